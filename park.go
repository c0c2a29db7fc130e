package main

import (
	"errors"
	"time"
)

// An idle connection costs a goroutine only while it has something to
// read. Between messages, with nothing buffered, ReadMessage parks the
// connection with the server's poller and its goroutine ends; when the
// peer sends again, or the server needs the connection to finish (a close,
// a drop, a shutdown), the connection's loop runs again on a new
// goroutine. A chat of thousands of quiet participants then holds no
// stacks for them at all. Where there is no poller (other systems, TLS,
// connections made outside a Server) ReadMessage waits as usual.

// parkAfter is how long a connection must have sent no message before it
// is parked. One that talks keeps its goroutine: parking and waking it for
// every message would cost more than the goroutine, and delay what it says.
const parkAfter = 2 * time.Second

// quiet reports whether the peer has sent no message for parkAfter. Pings
// and pongs do not count: a participant who only listens still answers
// the server's pings.
func (c *Conn) quiet() bool { return time.Since(c.lastMessage) > parkAfter }

// errParked tells a connection's loop that ReadMessage parked the
// connection: the loop returns, and runs again when there is more to read.
var errParked = errors.New("parked until the peer sends more")

// run runs the connection's loop on the calling goroutine, and its ending
// once the loop has ended rather than parked.
func (c *Conn) run() {
	if c.loop() {
		c.ended()
	}
}

// park hands the connection to its poller, and reports whether it did.
// The caller's goroutine must then return without touching the read side.
func (c *Conn) park() bool {
	if c.poller == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.woken {
		// Woken for a reason to read: read before parking again, or an
		// end of stream, which is always readable, would wake it forever.
		c.woken = false
		return false
	}
	if c.closing || c.poller.add(c) != nil {
		return false
	}
	c.parked = true
	return true
}

// unparkLocked takes a parked connection back from its poller and runs
// its loop. The caller holds c.mu.
func (c *Conn) unparkLocked() {
	if !c.parked {
		return
	}
	c.parked, c.woken = false, true
	c.poller.remove(c)
	go c.run()
}
