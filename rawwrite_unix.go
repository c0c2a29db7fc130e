//go:build unix

package main

import (
	"net"
	"syscall"
)

// rawConn returns nc's raw connection, for non-blocking writes to its
// file descriptor, or nil where nc has none (TLS).
func rawConn(nc net.Conn) syscall.RawConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// rawWriter makes non-blocking writes to TCP sockets through their file
// descriptors. Each flusher has one: its fields are the flusher's own.
type rawWriter struct {
	fn  func(fd uintptr) bool // writeFD, bound once so a write allocates nothing
	p   []byte                // what writeFD writes
	n   int                   // what it wrote
	err error                 // and how it failed
}

// write writes p to rc without waiting: all of it, or as much as the
// socket takes with errWouldBlock.
func (w *rawWriter) write(rc syscall.RawConn, p []byte) (int, error) {
	if w.fn == nil {
		w.fn = w.writeFD
	}
	w.p = p
	err := rc.Write(w.fn)
	n, werr := w.n, w.err
	w.p, w.err = nil, nil
	switch {
	case err != nil:
		return 0, err
	case werr == syscall.EAGAIN || werr == syscall.EINTR || (werr == nil && n < len(p)):
		return n, errWouldBlock
	}
	return n, werr
}

// writeFD is the one write system call. Returning true tells the runtime
// not to wait for the socket to become writable: that is the writer
// goroutine's job.
func (w *rawWriter) writeFD(fd uintptr) bool {
	n, err := syscall.Write(int(fd), w.p)
	w.n, w.err = max(n, 0), err
	return true
}
