package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// A parked connection keeps its socket as a bare file descriptor rather
// than as a net.Conn. A net.Conn holds, besides the descriptor, its
// netFD, two copies of its addresses, a finalizer, and the Go runtime's
// poll descriptor with its two deadline timers, some 650 bytes in all,
// which a connection that waits in the server's own poller does not use.
// Parking detaches the connection: it duplicates the descriptor and
// closes the net.Conn, which gives the poll descriptor back to the
// runtime. Waking attaches it again: net.FileConn makes a net.Conn of the
// descriptor. Meanwhile the flusher writes to the bare descriptor as it
// writes to a net.Conn's, so a broadcast to parked connections wakes none
// of them.

// bareSocket is the socket of a detached connection: a file descriptor,
// and the syscall.RawConn the flusher and the poller use it through. Its
// lock keeps the descriptor open while they do.
type bareSocket struct {
	mu  sync.RWMutex
	fd  int   // -1 once given up
	err error // why the descriptor was given up: errMoved, or a failure
}

// errMoved tells the flusher that the connection woke while it wrote:
// its socket is a net.Conn's again, through the connection's raw.
var errMoved = errors.New("the socket has moved to a net.Conn")

// Control calls f with the descriptor.
func (b *bareSocket) Control(f func(fd uintptr)) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.fd < 0 {
		return b.err
	}
	f(uintptr(b.fd))
	return nil
}

// Read calls f once with the descriptor: a bare socket cannot wait.
func (b *bareSocket) Read(f func(fd uintptr) bool) error {
	return b.Control(func(fd uintptr) { f(fd) })
}

// Write calls f once with the descriptor: a bare socket cannot wait, and
// the flusher's writes never do.
func (b *bareSocket) Write(f func(fd uintptr) bool) error {
	return b.Control(func(fd uintptr) { f(fd) })
}

// takeOver makes a net.Conn of the descriptor, which b then gives up.
// If that fails, the socket is closed.
func (b *bareSocket) takeOver() (net.Conn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := os.NewFile(uintptr(b.fd), "")
	nc, err := net.FileConn(f) // a duplicate of the descriptor
	f.Close()
	b.fd = -1
	if err != nil {
		b.err = fmt.Errorf("taking a parked socket back: %w", err)
		return nil, b.err
	}
	b.err = errMoved
	return nc, nil
}

// detachLocked swaps c's net.Conn for a bare duplicate of its descriptor,
// and reports whether it did. Nothing may be using the net.Conn: the
// reader is parking, and no write is under way. The caller holds c.mu.
func (c *Conn) detachLocked() bool {
	fd, err := -1, error(nil)
	if ctlErr := c.raw.Control(func(s uintptr) { fd, err = dupCloseOnExec(int(s)) }); ctlErr != nil || err != nil {
		return false
	}
	c.nc.Close()
	c.nc, c.raw = nil, &bareSocket{fd: fd}
	return true
}

// attachLocked gives a detached connection a net.Conn again. If the
// descriptor cannot be made one, the connection is broken: it reads and
// writes the error, and its loop ends it. The caller holds c.mu, and has
// taken c out of its poller.
func (c *Conn) attachLocked() {
	b, ok := c.raw.(*bareSocket)
	if !ok || c.nc != nil {
		return
	}
	nc, err := b.takeOver()
	if err != nil {
		c.nc = brokenConn{err}
		return
	}
	c.nc, c.raw = nc, rawConn(nc)
}

// dupCloseOnExec duplicates fd, closed on exec as Go's own descriptors are.
func dupCloseOnExec(fd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// brokenConn is the net.Conn of a connection whose socket could not be
// attached again: every call fails with err.
type brokenConn struct{ err error }

func (b brokenConn) Read([]byte) (int, error)         { return 0, b.err }
func (b brokenConn) Write([]byte) (int, error)        { return 0, b.err }
func (b brokenConn) Close() error                     { return nil }
func (b brokenConn) LocalAddr() net.Addr              { return nil }
func (b brokenConn) RemoteAddr() net.Addr             { return nil }
func (b brokenConn) SetDeadline(time.Time) error      { return b.err }
func (b brokenConn) SetReadDeadline(time.Time) error  { return b.err }
func (b brokenConn) SetWriteDeadline(time.Time) error { return b.err }
