//go:build !unix

package main

import (
	"errors"
	"net"
	"syscall"
)

// rawWriter is Unix only: elsewhere every connection writes through its
// writer goroutine, and no flusher is used.
type rawWriter struct {
	conn syscall.RawConn
	fn   func(fd uintptr) bool
}

func (w *rawWriter) init(net.Conn) bool        { return false }
func (w *rawWriter) write([]byte) (int, error) { return 0, errNoRawWrites }
func (w *rawWriter) writeFD(uintptr) bool      { return true }

var errNoRawWrites = errors.New("no non-blocking writes on this system")
