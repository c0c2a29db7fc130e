package main

import "time"

// Flow control. A peer's outbox is counted as memory, and has two limits:
// past the soft one, -max-queue, whoever sends to the peer waits for it
// to drain before reading more from its own client, so a burst slows its
// sender (whose socket then fills, and TCP pushes back on it) instead of
// piling up; at the hard cap, or when it cannot drain within the write
// timeout, the peer has stopped keeping up and is dropped.

// entryOverhead is what one queued frame costs beyond its bytes: its
// slice header in the outbox (24 bytes), the room the outbox array keeps
// for doubling, and the rounding of a small allocation up to its size
// class. Counted with each frame, it makes a flood of tiny frames fill
// the outbox as fast as it fills memory.
const entryOverhead = 64

// frameCost is what queueing frame costs the outbox.
func frameCost(frame []byte) int { return len(frame) + entryOverhead }

// hardQueueFactor sets the hard cap of an outbox, in multiples of
// -max-queue. Senders stop at the soft limit, so only frames already on
// their way when it was reached (one per sender, and notices) go past it.
const hardQueueFactor = 4

// hardQueue is the most an outbox may hold before its peer is dropped.
func (cfg connConfig) hardQueue() int { return hardQueueFactor * cfg.maxQueue }

// lowWater is where an outbox has drained enough for waiting senders to
// go on: half of -max-queue, so that they do not wake for every frame.
func (cfg connConfig) lowWater() int { return cfg.maxQueue / 2 }

// wroteLocked counts n bytes written, or thrown away, out of the outbox,
// and wakes waiting senders once it is down to the low-water mark. The
// caller holds c.mu.
func (c *Conn) wroteLocked(n int) {
	c.queued -= n
	c.sent += int64(n)
	if c.rare != nil && c.rare.drained != nil && c.queued <= c.cfg.lowWater() {
		c.wakeDrainedLocked()
	}
}

// wakeDrainedLocked wakes every sender waiting on the outbox. The caller
// holds c.mu.
func (c *Conn) wakeDrainedLocked() {
	if c.rare != nil && c.rare.drained != nil {
		close(c.rare.drained)
		c.rare.drained = nil
	}
}

// waitDrained waits until the outbox has drained to the low-water mark,
// the peer has been dropped, or the connection has ended, and reports
// whether one of those happened before deadline.
func (c *Conn) waitDrained(deadline time.Time) bool {
	c.mu.Lock()
	if c.queued <= c.cfg.lowWater() || c.discarding || c.done {
		c.mu.Unlock()
		return true
	}
	r := c.rareLocked()
	if r.drained == nil {
		r.drained = make(chan struct{})
	}
	drained := r.drained
	c.mu.Unlock()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-drained:
		return true
	case <-t.C:
		return false
	}
}

// awaitDrained holds a sender who put the peer behind (see queueFrame)
// until it has drained. A peer that keeps reading, however slowly, slows
// the sender to its pace; one to which nothing at all could be written
// for a whole write timeout has stalled, and is dropped: a peer that
// stalls holds a sender no longer than that.
func (c *Conn) awaitDrained() {
	for {
		before := c.progress()
		if c.waitDrained(time.Now().Add(c.cfg.writeTimeout)) {
			return
		}
		if c.progress() == before {
			c.drop()
			return
		}
	}
}

// progress counts the bytes that have left the outbox, ever.
func (c *Conn) progress() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent
}

// maxPendingPongs is how many pongs may wait in an outbox. Conformance
// suites send ten pings at once and expect ten pongs (Autobahn cases 2.10
// and 2.11); past this many, a peer is flooding pings without reading.
const maxPendingPongs = 16

// sendPong queues the answer to a ping (§5.5.2). Once maxPendingPongs
// wait in the outbox, the last of them is replaced rather than joined by
// another, as §5.5.3 allows ("an endpoint MAY elect to send a Pong frame
// for only the most recently processed Ping frame"), so a peer that
// floods pings and never reads grows nothing. A pong frame has room for
// any control payload, so that it can be rewritten in place.
func (c *Conn) sendPong(payload []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return // §5.5.1: nothing may follow the close frame
	}
	if c.pongs >= maxPendingPongs && c.pongAt > 0 {
		old := c.queue[c.pongAt-1]
		pong := appendFrame(old[:0], opPong, payload)
		c.queued += len(pong) - len(old)
		c.queue[c.pongAt-1] = pong
		return
	}
	pong := appendFrame(make([]byte, 0, 2+maxControlPayload), opPong, payload)
	c.queued += frameCost(pong)
	c.enqueueLocked(pong)
	c.pongs++
	c.pongAt = int32(len(c.queue))
}
