package main

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"
)

// What a peer can make the server hold while it reads: the bytes of a
// message not yet complete, and a goroutine while the peer is quiet. A
// message must be complete within the message timeout, and all partial
// messages of a server share one budget; a connection stays unparked no
// longer than parkAfter after its last message.

// budget is memory shared by every connection of a server: the buffers
// of messages being reassembled, together. A nil budget is unlimited.
type budget struct {
	limit int64
	used  atomic.Int64
}

// take counts n more bytes in, and reports whether they fit.
func (b *budget) take(n int64) bool {
	if b == nil {
		return true
	}
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

// give counts n bytes out.
func (b *budget) give(n int64) {
	if b != nil {
		b.used.Add(-n)
	}
}

// hold counts n more bytes of the message being read against the
// server's budget, and reports whether they fit.
func (c *Conn) hold(n int64) bool {
	if !c.cfg.reassembly.take(n) {
		return false
	}
	c.rd.held += n
	return true
}

// releaseHeld gives back what the message buffer held of the budget: the
// message is complete and the caller's, or it is dropped.
func (c *Conn) releaseHeld() {
	if c.rd != nil && c.rd.held > 0 {
		c.cfg.reassembly.give(c.rd.held)
		c.rd.held = 0
	}
}

// armed is which read deadline of the reader's own is set.
type armed int

const (
	armedNone    armed = iota
	armedPark          // the moment the peer will have been quiet for parkAfter
	armedMessage       // the end of the message timeout
)

// armParking sets a read deadline at the moment the peer will have been
// quiet for parkAfter, so that a connection waiting for its next frame
// parks then, rather than at that frame.
func (c *Conn) armParking() {
	if c.poller() != nil && c.rd.armed != armedPark {
		c.arm(armedPark, c.lastMessage.add(parkAfter))
	}
}

// armMessage sets the read deadline of a message that begins with h,
// unless it has arrived whole already.
func (c *Conn) armMessage(h frameHeader) {
	if c.cfg.messageTimeout > 0 && (!h.fin || h.length > int64(c.rd.br.Buffered())) {
		c.arm(armedMessage, time.Now().Add(c.cfg.messageTimeout))
	}
}

// arm sets a read deadline of the reader's own, unless the connection is
// closing: the closing handshake's deadline then stands. It runs under
// c.mu, as queueClose sets that one, so that neither undoes the other.
func (c *Conn) arm(what armed, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closing && c.nc.SetReadDeadline(t) == nil {
		c.rd.armed = what
	}
}

// disarm clears the read deadline if the one set is what.
func (c *Conn) disarm(what armed) {
	if c.rd.armed == what {
		c.arm(armedNone, time.Time{})
		c.rd.armed = armedNone
	}
}

// ownTimeout tells which deadline of the reader's own err is the expiry
// of, or armedNone if it is not one: another error, or the closing
// handshake's deadline.
func (c *Conn) ownTimeout(err error) armed {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return armedNone
	}
	what := c.rd.armed
	if what != armedNone {
		c.disarm(what) // the connection may park, and must not wake to an expired deadline
	}
	if c.isClosing() {
		return armedNone
	}
	return what
}

// messageTimedOut turns the expiry of the message timeout into the
// protocol error that closes the connection; other errors pass.
func (c *Conn) messageTimedOut(err error) error {
	if c.ownTimeout(err) == armedMessage {
		return c.messageExpired()
	}
	return err
}

// messageExpired is the close of a peer that left a message incomplete
// for the whole message timeout.
func (c *Conn) messageExpired() error {
	return protocolError(closePolicyViolation,
		fmt.Sprintf("message not completed within %v", c.cfg.messageTimeout))
}
