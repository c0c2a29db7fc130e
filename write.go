package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"time"
)

// send queues one or more whole encoded frames for the peer and reports
// whether they were taken. The bytes may be shared with other connections
// and must not change afterwards. It never waits on the network. A frame
// that would take the outbox past its hard cap (hardQueueFactor times
// -max-queue, counted as memory: see frameCost) means the peer has stopped
// keeping up, and it is dropped instead. A frame is always taken into an
// empty outbox, whatever its size, so one large message cannot by itself
// overflow it.
func (c *Conn) send(frame []byte) bool {
	taken, _ := c.queueFrame(frame)
	return taken
}

// queueFrame is send, also reporting whether the outbox is now past the
// soft limit, -max-queue, where whoever sends to the peer should wait for
// it (see waitDrained).
func (c *Conn) queueFrame(frame []byte) (taken, behind bool) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false, false
	}
	cost := frameCost(frame)
	if c.queued > 0 && c.queued+cost > c.cfg.hardQueue() {
		c.mu.Unlock()
		c.drop()
		return false, false
	}
	c.queued += cost
	c.enqueueLocked(frame)
	behind = c.queued > c.cfg.maxQueue
	c.mu.Unlock()
	return true, behind
}

// enqueueLocked appends frame to the outbox and, unless the outbox is
// already in hand, hands it to the connection's flusher, or where there
// is none to a writer goroutine. The caller holds c.mu.
func (c *Conn) enqueueLocked(frame []byte) {
	c.queue = append(c.queue, frame)
	if c.scheduled {
		return
	}
	c.scheduled = true
	if c.flusher != nil {
		c.flusher.add(c)
	} else {
		go c.writeLoop()
	}
}

// isDiscarding reports whether the peer has been dropped, and frames not
// yet written are to be thrown away.
func (c *Conn) isDiscarding() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.discarding
}

// isClosing reports whether a close frame has been queued.
func (c *Conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// Close starts the closing handshake (§7.1.2): it queues a close frame
// with code and reason behind what is already queued, and gives the peer
// a bounded time to answer it.
func (c *Conn) Close(code closeCode, reason string) {
	c.queueClose(code, reason, false, time.Now().Add(c.cfg.closeTimeout))
}

// tooSlowReason is the close reason of a peer dropped for not keeping up.
const tooSlowReason = "too slow: messages piled up faster than the client read them"

// drop closes the connection of a peer that cannot keep up: its outbox
// reached the hard cap, or took nothing for a whole write timeout while a
// sender waited on it. What is still queued is discarded, the close frame
// goes out if the peer takes it in time, and the reader stops at once
// instead of waiting for an answer. It is counted once, as too_slow.
func (c *Conn) drop() {
	if c.queueClose(closePolicyViolation, tooSlowReason, true, time.Now()) {
		c.cfg.metrics.drop(dropTooSlow)
	}
}

// queueClose queues a close frame unless one already is, dropping the
// frames the writer has not taken yet when discard is set, and sets the
// read deadline to readBy unless it is zero. It reports whether it queued
// the frame.
func (c *Conn) queueClose(code closeCode, reason string, discard bool, readBy time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queueCloseLocked(code, reason, discard, readBy)
}

// queueCloseLocked is queueClose for a caller that holds c.mu. The read
// deadline is set under c.mu, as the reader's own deadlines are (see
// arm), so that neither undoes the other.
func (c *Conn) queueCloseLocked(code closeCode, reason string, discard bool, readBy time.Time) bool {
	if c.closing {
		return false
	}
	c.closing = true
	c.unparkLocked() // the loop must run to see the closing handshake through
	c.setCause(&CloseError{Code: code, Reason: reason})
	if discard {
		c.discardLocked()
	}
	if !readBy.IsZero() {
		c.nc.SetReadDeadline(readBy)
	}
	c.enqueueLocked(encodeFrame(opClose, closePayload(code, reason)))
	c.queued += frameCost(c.queue[len(c.queue)-1])
	return true
}

// discardLocked throws away the frames the writer has not taken, but for
// the rest of one a write cut short, which must go out whole for the close
// frame to be read as one; and wakes whoever waits for the outbox to
// drain. The caller holds c.mu.
func (c *Conn) discardLocked() {
	keep := 0
	if c.headCut && len(c.queue) > 0 {
		keep = 1
	}
	for _, f := range c.queue[keep:] {
		c.queued -= frameCost(f)
	}
	clear(c.queue[keep:])
	c.queue = c.queue[:keep]
	c.pongAt, c.pongs = 0, 0
	c.discarding = true
	c.wakeDrainedLocked()
}

// setPeerClose records the peer's close frame as the cause, unless the
// server had already started closing, and returns it.
func (c *Conn) setPeerClose(peer *CloseError) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setCause(peer)
	return peer
}

// maxBatch is the most frames one writev takes. The kernel takes up to
// 1024, but each connection keeps an iovec array as long as its longest
// writev, and past a few dozen frames a longer one saves little.
const maxBatch = 32

// writeLoop is the writer goroutine, for a peer that cannot take what is
// queued at once: it waits for room on the socket, within the write
// timeout, and writes everything queued with as few system calls as it
// can (writev through net.Buffers), until the outbox is empty. It swaps
// the outbox with the array of its last batch, so a long burst reuses two
// arrays.
func (c *Conn) writeLoop() {
	var (
		spare [][]byte
		bufs  = new(net.Buffers) // the writev under way; one for the whole loop
	)
	for {
		c.mu.Lock()
		batch := c.queue
		if len(batch) == 0 {
			// Still the owner: clear the deadline before handing the
			// outbox back, as the flusher's writes must not meet one.
			c.nc.SetWriteDeadline(time.Time{})
			closed := c.idleLocked()
			c.mu.Unlock()
			if closed {
				c.closeSending()
			}
			return
		}
		c.queue, spare = spare, nil
		c.queued -= len(batch) * entryOverhead
		c.pongAt, c.pongs = 0, 0
		cut := c.headCut
		c.headCut = false
		c.mu.Unlock()

		partial, err := c.writeBatch(bufs, batch, cut)

		clear(batch)
		spare = batch[:0]
		if err != nil && !c.writeFailed(err, partial) {
			c.abort(fmt.Errorf("write: %w", err))
			return
		}
	}
}

// idleLocked gives the outbox back once it is empty, and lets go of an
// array grown in a burst: the outbox starts again in the connection's own
// room for one frame. A connection that parked meanwhile lets go of its
// net.Conn. It reports whether the connection is closing, which
// means the close frame has gone out: the caller then calls closeSending
// once it has let go of c.mu. The caller holds c.mu, and no batch taken
// from the outbox is still being written.
func (c *Conn) idleLocked() (closing bool) {
	c.scheduled = false
	c.one[0] = nil
	c.queue = c.one[:0]
	c.detachParkedLocked()
	return c.closing
}

// closeSending shuts down the sending side after the close frame, so the
// peer sees the server close first (§7.1.1), and tells finish. It runs
// without c.mu: on TLS, shutting down sends an alert, which may wait.
func (c *Conn) closeSending() {
	closeWrite(c.nc)
	c.mu.Lock()
	c.signalLocked()
	c.mu.Unlock()
}

// writeBatch writes the frames of batch, maxBatch at a time, each write
// within the write timeout (the close timeout once the peer is dropped),
// and counts what leaves the outbox. When a write fails, partial is what
// is left of the frame it cut short: either one of batch, or its first
// when cut says it is the rest of an earlier write. Each writev goes
// through bufs, the writer's own.
func (c *Conn) writeBatch(bufs *net.Buffers, batch [][]byte, cut bool) (partial []byte, err error) {
	for ; len(batch) > 0; cut = false {
		timeout := c.cfg.writeTimeout
		if c.isDiscarding() {
			timeout = c.cfg.closeTimeout
		}
		if err := c.nc.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
			c.wrote(batchBytes(batch))
			return nil, err
		}
		k := min(len(batch), maxBatch)
		var ends [maxBatch]int64 // where each frame ends, from the first
		for i, f := range batch[:k] {
			ends[i] = int64(len(f))
			if i > 0 {
				ends[i] += ends[i-1]
			}
		}
		*bufs = batch[:k]
		n, err := bufs.WriteTo(c.nc)
		// WriteTo leaves in bufs what it did not write: the first frame
		// cut short, when the write stopped inside one.
		if i := k - len(*bufs); err != nil && i < k && (n > 0 || cut) && (i == 0 || ends[i-1] < n) {
			partial = (*bufs)[0]
		}
		*bufs = nil
		c.cfg.metrics.addBytesOut(n)
		discarding := c.wrote(n)
		if err != nil || discarding {
			// A dropped peer gets its close frame next; what the batch
			// still held (WriteTo has cut what it wrote from the frames
			// in batch) leaves the outbox unwritten.
			c.wrote(batchBytes(batch))
			return partial, err
		}
		batch = batch[k:]
	}
	return nil, nil
}

// batchBytes is the length of the frames in batch, together.
func batchBytes(batch [][]byte) int64 {
	var n int64
	for _, f := range batch {
		n += int64(len(f))
	}
	return n
}

// wrote counts n bytes out of the outbox, and reports whether the peer
// has been dropped.
func (c *Conn) wrote(n int64) (discarding bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wroteLocked(int(n))
	return c.discarding
}

// writeFailed decides what follows a failed write, and reports whether the
// writer should go on. A write that timed out drops the peer, which has
// taken nothing for the whole write timeout (counted once, as
// write_timeout, unless it had already been dropped), and gives it one
// last chance, within the close timeout, to take the rest of the frame the
// write cut short and then the close frame, so that it may still learn
// why. Any other failure, or a second one, ends the connection.
func (c *Conn) writeFailed(err error, partial []byte) (retry bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	timedOut := errors.Is(err, os.ErrDeadlineExceeded)
	if timedOut && !c.discarding {
		c.cfg.metrics.drop(dropWriteTimeout)
	}
	if !timedOut || c.lastChance || (c.closing && !c.discarding) {
		return false
	}
	c.lastChance = true
	c.queueCloseLocked(closePolicyViolation, tooSlowReason, true, time.Now())
	if len(partial) > 0 {
		c.queued += len(partial)
		c.requeueLocked(partial)
	}
	return true
}

// takeLocked removes the first k frames from the outbox; their bytes stay
// counted until they are written. The caller holds c.mu.
func (c *Conn) takeLocked(k int) {
	n := copy(c.queue, c.queue[k:])
	clear(c.queue[n:])
	c.queue = c.queue[:n]
	c.queued -= k * entryOverhead
	c.pongAt, c.pongs = 0, 0
	c.headCut = false
}

// requeueLocked puts bytes that a write left over back at the head of the
// outbox: they may begin inside a frame, and must be written whole for the
// stream to stay whole. The caller holds c.mu.
func (c *Conn) requeueLocked(rest []byte) {
	c.queue = slices.Insert(c.queue, 0, rest)
	c.headCut = true
	c.queued += entryOverhead
	if c.pongAt > 0 {
		c.pongAt++
	}
}

// closeWrite shuts down the sending side of nc where it can be.
func closeWrite(nc net.Conn) {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}
