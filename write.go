package main

import (
	"fmt"
	"net"
	"slices"
	"time"
)

// send queues one or more whole encoded frames for the peer and reports
// whether they were taken. The bytes may be shared with other connections
// and must not change afterwards. It never waits on the network: when the
// frame would take the bytes queued past the limit, the peer is too slow
// to keep up, and it is dropped instead. A frame is always taken into an
// empty outbox, whatever its size, so one large message cannot by itself
// overflow it.
func (c *Conn) send(frame []byte) bool {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false
	}
	if c.queued > 0 && c.queued+len(frame) > c.cfg.maxQueue {
		c.mu.Unlock()
		c.drop(closePolicyViolation, "too slow: messages piled up faster than the client read them")
		return false
	}
	c.queued += len(frame)
	c.enqueueLocked(frame)
	c.mu.Unlock()
	return true
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
		go c.writeFn()
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
	if c.queueClose(code, reason, false) {
		c.nc.SetReadDeadline(time.Now().Add(c.cfg.closeTimeout))
	}
}

// drop closes the connection of a peer that cannot keep up: what is still
// queued is discarded, the close frame goes out if the peer takes it in
// time, and the reader stops at once instead of waiting for an answer.
func (c *Conn) drop(code closeCode, reason string) {
	if c.queueClose(code, reason, true) {
		c.cfg.metrics.drop(dropTooSlow)
		c.nc.SetReadDeadline(time.Now())
	}
}

// queueClose queues a close frame unless one already is, dropping the
// frames the writer has not taken yet when discard is set. It reports
// whether it queued the frame.
func (c *Conn) queueClose(code closeCode, reason string, discard bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.closing = true
	c.unparkLocked() // the loop must run to see the closing handshake through
	c.setCause(&CloseError{Code: code, Reason: reason})
	if discard {
		clear(c.queue)
		c.queue = c.queue[:0]
		c.discarding = true
	}
	c.enqueueLocked(encodeFrame(opClose, closePayload(code, reason)))
	return true
}

// setPeerClose records the peer's close frame as the cause, unless the
// server had already started closing, and returns it.
func (c *Conn) setPeerClose(peer *CloseError) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setCause(peer)
	return peer
}

// Limits that keep an idle connection small.
const (
	// maxBatch is the most frames one writev takes. The kernel takes up
	// to 1024, but each connection keeps an iovec array as long as its
	// longest writev, and past a few dozen frames a longer one saves
	// little.
	maxBatch = 32
	// idleQueueCap is the outbox capacity a connection keeps between
	// bursts, so that a message to an idle peer allocates nothing; a
	// larger one grown in a burst is let go.
	idleQueueCap = 4
)

// writeLoop is the writer goroutine, for a peer that cannot take what is
// queued at once: it waits for room on the socket, within the write
// timeout, and writes everything queued with as few system calls as it
// can (writev through net.Buffers), until the outbox is empty.
func (c *Conn) writeLoop() {
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
		c.queue, c.spare = c.spare, nil
		c.mu.Unlock()

		n, err := c.writeBatch(batch)
		c.cfg.metrics.addBytesOut(n)

		c.mu.Lock()
		c.queued -= int(n)
		clear(batch)
		c.spare = batch[:0]
		c.mu.Unlock()
		if err != nil {
			c.cfg.metrics.writeFailed(err)
			c.abort(fmt.Errorf("write: %w", err))
			return
		}
	}
}

// idleLocked gives the outbox back once it is empty, and lets go of space
// grown in a burst. It reports whether the connection is closing, which
// means the close frame has gone out: the caller then calls closeSending
// once it has let go of c.mu. The caller holds c.mu.
func (c *Conn) idleLocked() (closing bool) {
	c.scheduled = false
	if cap(c.queue) > idleQueueCap {
		c.queue = nil
	}
	if cap(c.spare) > idleQueueCap {
		c.spare = nil
	}
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
// within the write timeout.
func (c *Conn) writeBatch(batch [][]byte) (int64, error) {
	var written int64
	for len(batch) > 0 {
		if err := c.nc.SetWriteDeadline(time.Now().Add(c.cfg.writeTimeout)); err != nil {
			return written, err
		}
		k := min(len(batch), maxBatch)
		c.bufs = batch[:k]
		n, err := c.bufs.WriteTo(c.nc)
		c.bufs = nil
		written += n
		if err != nil || c.isDiscarding() {
			return written, err // a dropped peer gets its close frame next
		}
		batch = batch[k:]
	}
	return written, nil
}

// takeLocked removes the first k frames from the outbox. The caller holds
// c.mu.
func (c *Conn) takeLocked(k int) {
	n := copy(c.queue, c.queue[k:])
	clear(c.queue[n:])
	c.queue = c.queue[:n]
}

// requeueLocked puts bytes that a write left over back at the head of the
// outbox. The caller holds c.mu.
func (c *Conn) requeueLocked(rest []byte) {
	c.queue = slices.Insert(c.queue, 0, rest)
}

// closeWrite shuts down the sending side of nc where it can be.
func closeWrite(nc net.Conn) {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}
