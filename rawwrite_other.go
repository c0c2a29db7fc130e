//go:build !unix

package main

import (
	"errors"
	"net"
	"syscall"
)

// rawConn is Unix only: elsewhere every connection writes through its
// writer goroutine, and no flusher is used.
func rawConn(net.Conn) syscall.RawConn { return nil }

// rawWriter is Unix only.
type rawWriter struct{}

func (w *rawWriter) write(syscall.RawConn, []byte) (int, error) { return 0, errNoRawWrites }

var errNoRawWrites = errors.New("no non-blocking writes on this system")
