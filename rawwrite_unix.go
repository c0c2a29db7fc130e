//go:build unix

package main

import (
	"net"
	"syscall"
)

// rawWriter makes non-blocking writes to a TCP socket through its file
// descriptor. Its fields belong to whoever holds the outbox.
type rawWriter struct {
	conn syscall.RawConn
	fn   func(fd uintptr) bool // writeFD, bound once so a write allocates nothing
	p    []byte                // what writeFD writes
	n    int                   // what it wrote
	err  error                 // and how it failed
}

// init prepares w for nc, and reports whether nc can be written this way.
func (w *rawWriter) init(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	w.conn, w.fn = rc, w.writeFD
	return true
}

// write writes p without waiting: all of it, or as much as the socket
// takes with errWouldBlock.
func (w *rawWriter) write(p []byte) (int, error) {
	w.p = p
	err := w.conn.Write(w.fn)
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
