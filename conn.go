package main

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// connConfig holds the limits one connection enforces.
type connConfig struct {
	maxMessage   int64         // largest message, after reassembly
	maxQueue     int           // outbox memory where senders wait for the peer (flow.go)
	writeTimeout time.Duration // longest a single write may take
	closeTimeout time.Duration // longest the closing handshake may take
	metrics      *metrics      // counts bytes and drops; nil counts nothing

	messageTimeout time.Duration // longest a message may take to arrive whole; 0 is no limit
	reassembly     *budget       // shared by the partial messages of every connection; nil is no limit

	// deflater compresses and inflates for the connections that
	// negotiated permessage-deflate (RFC 7692); it holds nothing of any
	// of them. nil with compression off.
	deflater *deflater
	// poller holds connections while they are parked between messages;
	// nil where there is none.
	poller *poller
	// ended is called once a connection's loop has ended rather than
	// parked; nil calls nothing.
	ended func(*Conn)
	// release is told when a connection parks; nil is told nothing.
	release *memoryRelease
}

// readBufferSize is the read buffer of a connection: room for a frame
// header and a short message. Longer payloads are read straight into the
// message, past the buffer.
const readBufferSize = 256

// Conn is the server side of one WebSocket connection after the opening
// handshake. One goroutine reads messages with ReadMessage; any goroutine
// may queue frames with send. Queued frames are written in order by the
// connection's flusher, which serves many connections and never waits on
// one; when the peer's socket is full, a writer goroutine of the
// connection's own takes over until the outbox is empty again.
//
// A connection holds only what it needs between messages: what it needs
// to read one (see readState), and the writer goroutine's batch, are taken
// while it is in use and given back after, so that thousands of quiet
// connections cost little more than their sockets.
type Conn struct {
	nc  net.Conn    // nil while parked without it (see bare_linux.go)
	cfg *connConfig // shared by the connections of an endpoint

	// Read side, owned by the goroutine that calls ReadMessage.
	rd          *readState // nil while parked and before the first read
	lastMessage monotime   // when the peer's last message arrived

	// idleTicks counts keepalive ticks since the peer last sent a frame;
	// busy is set while the reader acts on a message, and reads nothing.
	idleTicks  atomic.Int32
	busy       atomic.Bool
	peerClosed bool // the peer's close frame has arrived, read side
	// deflateParams is what the handshake agreed on for
	// permessage-deflate (RFC 7692); the zero value when it did not.
	deflateParams deflateParams
	pongs         uint8 // pongs in queue, at most maxPendingPongs; write side

	// Write side.
	mu         sync.Mutex
	queue      [][]byte   // frames waiting to be written, in order
	one        [1][]byte  // the room queue starts in, so that a frame to an idle peer allocates nothing
	queued     int        // what the outbox costs, queued or being written (see frameCost)
	sent       int64      // bytes that have left the outbox, ever: the peer's progress
	pongAt     int32      // 1 + the index of the last pong in queue, 0 if none is queued
	tracked    int32      // its place in its server's list of connections
	admittedAs string     // the address it counts against for -max-conns-per-ip
	rare       *rareState // made when a sender first waits on the peer, or the connection ends
	lastChance bool       // a write timed out: the close frame is being tried once more
	headCut    bool       // queue[0] is what a write left over, and may begin inside a frame
	scheduled  bool       // the flusher or a writer goroutine has the outbox in hand
	closing    bool       // a close frame is queued: nothing may follow it
	discarding bool       // dropped: what the writer has not written yet goes nowhere
	done       bool       // the close frame is written, or the connection has broken
	parked     bool       // held by the poller, with no goroutine of its own
	woken      bool       // unparked, and not yet read since

	// flusher writes for this connection without blocking, through raw;
	// nil for a connection it cannot reach (TLS), which always uses
	// writeLoop.
	flusher *flusher
	raw     syscall.RawConn // nc's, or the bare socket of a parked connection

	// The connection's loop, which ends it or parks it, and its id with
	// the poller while it is parked.
	loop   func() (ended bool)
	pollID uint64
}

// newConn wraps a hijacked connection. early holds bytes the client sent
// right behind its handshake, which are read before anything else. cfg
// is shared, and must not change. f is the flusher to write through, or
// nil for a writer goroutine only.
func newConn(nc net.Conn, early []byte, cfg *connConfig, f *flusher) *Conn {
	c := &Conn{nc: nc, cfg: cfg}
	c.queue = c.one[:0]
	if len(early) > 0 {
		c.rd = takeReadState(nc, early)
	}
	if f != nil {
		if c.raw = rawConn(nc); c.raw != nil {
			c.flusher = f
		}
	}
	return c
}

// rareState is what a connection needs only once a sender waits for its
// peer to catch up, or once it ends: a quiet connection has none. It is
// guarded by the connection's mu.
type rareState struct {
	cause   error         // why the connection is ending, once known
	drained chan struct{} // closed when queued falls to the low-water mark, nil if nobody waits
	// closeSent is closed once done, for finish to wait on; made only
	// when finish has to wait.
	closeSent chan struct{}
}

// rareLocked returns c's rareState, making it if c has none. The caller
// holds c.mu.
func (c *Conn) rareLocked() *rareState {
	if c.rare == nil {
		c.rare = new(rareState)
	}
	return c.rare
}

// poller returns the poller that holds c while it is parked, or nil
// where c cannot be parked: the poller watches the socket that the
// flusher writes to, which a connection without a flusher does not show.
func (c *Conn) poller() *poller {
	if c.flusher == nil {
		return nil
	}
	return c.cfg.poller
}

// compressor returns the deflater when permessage-deflate was
// negotiated, nil otherwise.
func (c *Conn) compressor() *deflater {
	if c.deflateParams.serverWindowBits == 0 {
		return nil
	}
	return c.cfg.deflater
}

// encodeMessage encodes one whole message for the peer: compressed when
// permessage-deflate was negotiated and the message gains by it, plain
// otherwise (RFC 7692 §6 lets each message choose).
func (c *Conn) encodeMessage(op opcode, payload []byte) []byte {
	if d := c.compressor(); d != nil {
		if f := d.compressedFrame(op, payload, c.deflateParams.fullWindow()); f != nil {
			return f
		}
	}
	return encodeFrame(op, payload)
}

// takesBroadcastDeflate reports whether the peer can be sent the
// compressed frames of a broadcast, which are compressed once with the
// full 32 KiB window: it negotiated permessage-deflate and did not limit
// the server's window (RFC 7692 §7.1.2.1).
func (c *Conn) takesBroadcastDeflate() bool {
	return c.compressor() != nil && c.deflateParams.fullWindow()
}

// setCause records why the connection is ending, if nothing has yet.
// The caller holds c.mu.
func (c *Conn) setCause(err error) {
	if r := c.rareLocked(); r.cause == nil {
		r.cause = err
	}
}

// Cause tells why the connection ended: the close the server sent, the
// close the peer sent, or the network error, whichever came first. readErr
// is what ReadMessage returned, for when nothing came before it.
func (c *Conn) Cause(readErr error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setCause(readErr)
	return c.rare.cause
}

// abort ends the connection at once, without a closing handshake: for a
// peer that has stopped answering, or a failed write.
func (c *Conn) abort(err error) {
	c.mu.Lock()
	c.setCause(err)
	c.closing = true
	c.signalLocked()
	c.unparkLocked()
	c.mu.Unlock()
	c.nc.Close()
}

// signalLocked marks the close frame sent, or the connection broken, and
// wakes finish if it waits. The caller holds c.mu.
func (c *Conn) signalLocked() {
	if !c.done {
		c.done = true
		if c.rare != nil && c.rare.closeSent != nil {
			close(c.rare.closeSent)
		}
		c.wakeDrainedLocked()
	}
}

// closeSentChan returns a channel closed once the close frame is sent,
// or the connection has broken.
func (c *Conn) closeSentChan() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return closedChan
	}
	r := c.rareLocked()
	if r.closeSent == nil {
		r.closeSent = make(chan struct{})
	}
	return r.closeSent
}

// closedChan is a channel that is always closed.
var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// finish ends the connection once its reader is done, within the close
// timeout. After both close frames have crossed, it closes TCP as soon as
// its own close frame is out (§7.1.1: the server closes first; the writer
// has already shut down its sending side). When the peer has not answered
// a close the server sent, it reads and drops whatever comes until the
// peer hangs up or time runs out, so that unread bytes do not turn the
// close into a reset that could destroy the close frame in flight.
func (c *Conn) finish(readErr error) {
	defer c.nc.Close()
	var ce *CloseError
	closing := errors.As(readErr, &ce)
	// drop stops the reader of a peer too slow to keep up with a read
	// deadline: its 1008 close frame gets the same bounded chance.
	dropped := !closing && errors.Is(readErr, os.ErrDeadlineExceeded) && c.isClosing()
	if !closing && !dropped {
		return // the connection is already broken
	}
	deadline := time.Now().Add(c.cfg.closeTimeout)
	t := time.NewTimer(c.cfg.closeTimeout)
	defer t.Stop()
	select {
	case <-c.closeSentChan():
	case <-t.C:
		return
	}
	if dropped || c.peerClosed || c.nc.SetReadDeadline(deadline) != nil {
		return
	}
	for {
		if _, err := c.rd.br.Discard(readBufferSize); err != nil {
			return
		}
	}
}

// drain reads and drops messages until the closing handshake ends, then
// finishes the connection: the loop of a connection the server has begun
// to close.
func (c *Conn) drain() bool {
	for {
		_, _, err := c.ReadMessage()
		if err == errParked {
			return false
		}
		if err != nil {
			c.finish(err)
			return true
		}
	}
}
