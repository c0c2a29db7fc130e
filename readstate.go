package main

import (
	"bufio"
	"net"
	"sync"
)

// readState is what a connection's reader holds while it reads: the read
// buffer, the payload of a control frame, the read deadline of its own
// that is set, and what the message being read holds of the reassembly
// budget. Between messages none of it holds anything, so a connection
// that parks gives its readState back to readStates, and takes one again
// when it wakes: thousands of quiet connections share the few that the
// talking ones use.
type readState struct {
	src   connReader
	br    *bufio.Reader // reads src
	ctrl  [maxControlPayload]byte
	armed armed // which read deadline of its own the reader has set
	held  int64 // what the message being read holds of the reassembly budget
}

// readStates keeps the readStates of connections that are not reading.
var readStates = sync.Pool{New: func() any {
	rs := new(readState)
	rs.br = bufio.NewReaderSize(&rs.src, readBufferSize)
	return rs
}}

// takeReadState returns a readState that reads nc, early first.
func takeReadState(nc net.Conn, early []byte) *readState {
	rs := readStates.Get().(*readState)
	rs.src = connReader{nc: nc, early: early}
	return rs
}

// give puts rs back in readStates. Nothing may be buffered, no deadline
// of its own set, and no budget held.
func (rs *readState) give() {
	rs.src = connReader{}
	rs.br.Reset(&rs.src)
	rs.armed, rs.held = armedNone, 0
	readStates.Put(rs)
}

// reader returns the connection's readState, taking one if it has none.
func (c *Conn) reader() *readState {
	if c.rd == nil {
		c.rd = takeReadState(c.nc, nil)
	}
	return c.rd
}

// nothingBuffered reports whether every byte the peer has sent so far has
// been read: the connection may then park.
func (c *Conn) nothingBuffered() bool {
	return c.rd.br.Buffered() == 0 && len(c.rd.src.early) == 0
}

// connReader reads first the bytes a client sent right behind its
// handshake, which net/http had already read, then the connection.
type connReader struct {
	nc    net.Conn
	early []byte
}

func (r *connReader) Read(p []byte) (int, error) {
	if len(r.early) == 0 {
		return r.nc.Read(p)
	}
	n := copy(p, r.early)
	if r.early = r.early[n:]; len(r.early) == 0 {
		r.early = nil
	}
	return n, nil
}
