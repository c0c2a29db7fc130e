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

// quiet reports whether the peer has sent no message for parkAfter, or
// none yet. Pings and pongs do not count: a participant who only listens
// still answers the server's pings.
func (c *Conn) quiet() bool {
	return c.lastMessage == 0 || now()-c.lastMessage > monotime(parkAfter)
}

// monotime is a moment on the process's monotonic clock: the time since
// processStart. It takes a third of the room of a time.Time. Zero is
// never.
type monotime time.Duration

// processStart is when monotime began.
var processStart = time.Now()

// now is the monotime of the present.
func now() monotime { return monotime(time.Since(processStart)) }

// add returns the time.Time d after m.
func (m monotime) add(d time.Duration) time.Time {
	return processStart.Add(time.Duration(m) + d)
}

// errParked tells a connection's loop that ReadMessage parked the
// connection: the loop returns, and runs again when there is more to read.
var errParked = errors.New("parked until the peer sends more")

// run runs the connection's loop on the calling goroutine, and its ending
// once the loop has ended rather than parked.
func (c *Conn) run() {
	if c.loop() {
		if c.cfg.ended != nil {
			c.cfg.ended(c)
		}
		if c.rd != nil {
			c.rd.give()
			c.rd = nil
		}
	}
}

// park hands the connection to its poller, and reports whether it did.
// The caller's goroutine must then return without touching the read side.
// Nothing is buffered, and no message under way: the read state goes back
// to the pool, and the next goroutine to read takes one.
func (c *Conn) park() bool {
	p := c.poller()
	if p == nil {
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
	if c.closing {
		return false
	}
	rd := c.rd
	c.rd = nil // from poller.add on, the connection may wake and read
	// A write under way uses the net.Conn: the connection then parks
	// with it (see bare_linux.go).
	detached := !c.scheduled && c.detachLocked()
	if p.add(c) != nil {
		if detached {
			c.attachLocked()
			rd.give() // it reads the net.Conn that detaching closed
			return false
		}
		c.rd = rd
		return false
	}
	c.parked = true
	rd.give()
	c.cfg.release.parked()
	return true
}

// unparkLocked takes a parked connection back from its poller and runs
// its loop, which reads before it parks again. The caller holds c.mu.
func (c *Conn) unparkLocked() { c.resumeLocked(true) }

// resumeLocked takes a parked connection back from its poller, gives it
// its net.Conn back if it parked without one, and runs its loop; woken
// says the loop must read before it parks again. The caller holds c.mu.
func (c *Conn) resumeLocked(woken bool) {
	if !c.parked {
		return
	}
	c.parked, c.woken = false, woken
	c.poller().remove(c)
	c.attachLocked()
	go c.run()
}

// detachParkedLocked lets a connection that parked while a write was
// under way go of its net.Conn, now that the write is done: it moves to
// its poller as a bare socket. The caller holds c.mu, and no write is
// under way.
func (c *Conn) detachParkedLocked() {
	if !c.parked || c.nc == nil {
		return
	}
	p := c.poller()
	p.remove(c)
	c.detachLocked() // if it cannot, it parks with its net.Conn again
	if p.add(c) != nil {
		c.parked = false
		c.attachLocked()
		go c.run()
	}
}
