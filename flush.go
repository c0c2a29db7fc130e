package main

import (
	"errors"
	"fmt"
	"sync"
)

// flushBufferSize is how many bytes of small frames a flusher gathers
// into one write.
const flushBufferSize = 64 << 10

// flusher writes the outboxes of many connections from one goroutine.
// A broadcast to thousands of peers hands each peer's connection to its
// flusher; the flusher writes what each has queued with one non-blocking
// system call, small frames gathered into one buffer, and moves on. No
// goroutine is started per write, so a burst costs no stacks, and a
// flusher that falls behind writes more frames per call. A peer whose
// socket is full gets a writer goroutine of its own (writeLoop), which
// waits for it; the flusher never does. A server runs one flusher per
// processor.
type flusher struct {
	mu    sync.Mutex
	ready []*Conn // connections with frames to write, in order of arrival
	spare []*Conn // the flusher's last batch, kept for reuse

	wake chan struct{} // signalled when ready becomes non-empty
	buf  []byte        // where small frames are gathered
	raw  rawWriter     // what writes, from the flusher's goroutine
}

func newFlusher() *flusher {
	return &flusher{wake: make(chan struct{}, 1), buf: make([]byte, 0, flushBufferSize)}
}

// add puts c in line. The caller holds c.mu and has marked c scheduled,
// so c is in line at most once.
func (f *flusher) add(c *Conn) {
	f.mu.Lock()
	f.ready = append(f.ready, c)
	first := len(f.ready) == 1
	f.mu.Unlock()
	if first {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}

// run flushes connections as they come in line, until stop is closed.
func (f *flusher) run(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-f.wake:
		}
		for {
			f.mu.Lock()
			batch := f.ready
			if len(batch) == 0 {
				f.mu.Unlock()
				break
			}
			f.ready, f.spare = f.spare, nil
			f.mu.Unlock()
			for i, c := range batch {
				f.flush(c)
				batch[i] = nil
			}
			f.spare = batch[:0]
		}
	}
}

// flush makes one non-blocking write of what c has queued. What the socket
// does not take is left to c's writer goroutine; what is queued behind a
// full buffer puts c back in line.
func (f *flusher) flush(c *Conn) {
	c.mu.Lock()
	if len(c.queue) == 0 {
		closed := c.idleLocked()
		c.mu.Unlock()
		if closed {
			c.closeSending()
		}
		return
	}
	data, gathered := f.gatherLocked(c)
	raw := c.raw
	c.mu.Unlock()

	n, err := f.raw.write(raw, data)
	for err == errMoved { // c woke: its socket is a net.Conn's again
		c.mu.Lock()
		raw = c.raw
		c.mu.Unlock()
		n, err = f.raw.write(raw, data)
	}
	c.cfg.metrics.addBytesOut(int64(n))

	c.mu.Lock()
	c.wroteLocked(n)
	closed := false
	switch {
	case err == nil && len(c.queue) == 0:
		closed = c.idleLocked()
	case err == nil:
		f.add(c)
	case errors.Is(err, errWouldBlock):
		rest := data[n:]
		if gathered {
			rest = append([]byte(nil), rest...) // f.buf is reused
		}
		c.requeueLocked(rest)
		if c.nc == nil {
			c.resumeLocked(false) // the writer needs the net.Conn
		}
		go c.writeLoop()
	}
	c.mu.Unlock()
	if closed {
		c.closeSending()
	}
	if err != nil && !errors.Is(err, errWouldBlock) {
		c.cfg.metrics.writeFailed(err)
		c.abort(fmt.Errorf("write: %w", err))
	}
}

// gatherLocked takes frames from the head of c's outbox: as many small
// ones as fit in the flusher's buffer, copied there, or one large frame
// as it is. gathered tells which. The caller holds c.mu.
func (f *flusher) gatherLocked(c *Conn) (data []byte, gathered bool) {
	if len(c.queue) == 1 || len(c.queue[0]) > flushBufferSize/2 {
		data = c.queue[0]
		c.takeLocked(1)
		return data, false
	}
	buf := f.buf[:0]
	k := 0
	for _, frame := range c.queue {
		if len(buf)+len(frame) > cap(buf) {
			break
		}
		buf = append(buf, frame...)
		k++
	}
	c.takeLocked(k)
	return buf, true
}

// errWouldBlock is a write the socket could not take whole without waiting.
var errWouldBlock = errors.New("socket buffer full")
