package resp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

var (
	// ErrClosed is returned by calls on a closed Client or Subscription.
	ErrClosed = errors.New("resp: client closed")
	// ErrDisconnected is wrapped by the error of every call that was in
	// flight when its connection broke. Such a call may or may not have
	// run on the server.
	ErrDisconnected = errors.New("resp: connection lost")
)

// Options tune a Client. The zero value is ready to use.
type Options struct {
	// TLSConfig is used for rediss:// URLs; nil means the system's roots.
	// An empty ServerName is set to the URL's host.
	TLSConfig *tls.Config
	// DialTimeout bounds each connection attempt with its handshake
	// (default 5 s). Dial's own context bounds the first one as well.
	DialTimeout time.Duration
	// WriteTimeout bounds each write of a batch of commands (default 5 s).
	WriteTimeout time.Duration
	// Limits bound every reply; MaxBulk defaults to 64 MiB.
	Limits Limits
	// MinBackoff and MaxBackoff bound the wait between reconnection
	// attempts, which doubles from the first to the second, with jitter
	// (defaults 50 ms and 5 s).
	MinBackoff, MaxBackoff time.Duration
	// EventBuffer is the capacity of a Subscription's channel (default 256).
	EventBuffer int
	// OnState, when set, is called on each change of the command
	// connection's state, in order: first from Dial, then from the
	// client's reconnecting goroutine. It must not block or call the
	// Client.
	OnState func(State)
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.DialTimeout, 5*time.Second)
	def(&o.WriteTimeout, 5*time.Second)
	def(&o.MinBackoff, 50*time.Millisecond)
	def(&o.MaxBackoff, 5*time.Second)
	if o.EventBuffer <= 0 {
		o.EventBuffer = 256
	}
	o.Limits = o.Limits.withDefaults()
	return o
}

// State is the state of a Client's command connection.
type State struct {
	Connected bool
	Protocol  int   // 3 after HELLO 3, 2 when the server refused it; 0 if never connected
	Err       error // why it is disconnected: the break, or the last failed attempt
}

// Client is a connection to one Redis server, shared by concurrent
// callers, that reconnects by itself. Its zero value is not usable; get
// one from Dial.
type Client struct {
	ep   endpoint
	opts Options

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the reconnecting goroutine and subscriptions

	mu      sync.Mutex
	cur     *conn         // nil while disconnected
	changed chan struct{} // closed and replaced when cur changes
	state   State
}

// Dial connects to the server named by a URL of the form
// redis://[user:password@]host[:port][/db], or rediss:// for TLS, and
// runs the handshake. The first connection must succeed within ctx;
// later ones are made by the Client itself.
func Dial(ctx context.Context, rawURL string, opts Options) (*Client, error) {
	ep, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	c := &Client{ep: ep, opts: opts.withDefaults(), changed: make(chan struct{})}
	cn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.serve(cn)
	c.wg.Add(1)
	go c.run(cn)
	return c, nil
}

// Do sends one command, such as Do(ctx, "SET", "k", "v"), and returns its
// reply. A Redis error reply is returned as the value and as an *Error.
// While the client is disconnected, Do waits for it to reconnect until
// ctx ends. If the connection breaks after the command was written, Do
// fails with an error wrapping ErrDisconnected; it does not retry.
//
// The connection is shared: a blocking command (BLPOP, XREAD BLOCK)
// delays every call behind it, so give those a Client of their own, and
// commands that change the connection (SELECT, HELLO, CLIENT REPLY) are
// not repeated after a reconnect. Commands that turn the connection into
// a stream of pushes are refused: use Subscribe.
func (c *Client) Do(ctx context.Context, args ...string) (Value, error) {
	return c.Start(ctx, args...)(ctx)
}

// Start is Do in two steps: it hands the command to the connection and
// returns at once, with a function that waits for the reply (until the
// context it is given ends). Commands started one after another, each
// once the Start before it has returned, run on the server in that
// order, so that a caller may send the next before the reply to the
// last has come: pipelining (spec "Multiple commands and pipelining").
// If Start itself fails, the function returns that error.
func (c *Client) Start(ctx context.Context, args ...string) func(context.Context) (Value, error) {
	r, err := c.start(ctx, args)
	if err != nil {
		return func(context.Context) (Value, error) { return Value{}, err }
	}
	return r.wait
}

func (c *Client) start(ctx context.Context, args []string) (*request, error) {
	if len(args) == 0 {
		return nil, errors.New("resp: Do with no command")
	}
	if pushMode(args[0]) {
		return nil, fmt.Errorf("resp: %s is not for Do: its replies do not come one per command", args[0])
	}
	var failed *conn
	for {
		cn, err := c.conn(ctx, failed)
		if err != nil {
			return nil, fmt.Errorf("resp: %s: %w", args[0], err)
		}
		r, err := cn.send(ctx, args)
		if !errors.Is(err, ErrDisconnected) {
			return r, err
		}
		failed = cn // not a byte was written: wait for the next connection
	}
}

// pushMode reports whether cmd switches a connection to pub/sub or
// monitoring (spec "Request-Response model"), after which replies no
// longer match commands one to one.
func pushMode(cmd string) bool {
	for _, c := range []string{"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE",
		"PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR"} {
		if strings.EqualFold(cmd, c) {
			return true
		}
	}
	return false
}

// connect makes one connection within ctx and the dial timeout.
func (c *Client) connect(ctx context.Context) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.DialTimeout)
	defer cancel()
	return dialConn(ctx, c.ep, &c.opts)
}

// conn returns the current connection unless it is failed, waiting for
// another while disconnected.
func (c *Client) conn(ctx context.Context, failed *conn) (*conn, error) {
	for {
		c.mu.Lock()
		cn, changed, st := c.cur, c.changed, c.state
		c.mu.Unlock()
		if c.ctx.Err() != nil {
			return nil, ErrClosed
		}
		if cn != nil && cn != failed {
			return cn, nil
		}
		select {
		case <-changed:
		case <-c.ctx.Done():
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for a connection (%v): %w", st.Err, ctx.Err())
		}
	}
}

// Connected reports whether the command connection is up.
func (c *Client) Connected() bool { return c.State().Connected }

// State returns the command connection's state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Close ends the connection and every subscription, fails the calls in
// flight, and returns once all of the client's goroutines have ended.
func (c *Client) Close() error {
	c.mu.Lock()
	c.cancel()
	c.mu.Unlock()
	c.wg.Wait()
	return nil
}

// run keeps a connection up until Close: it serves cn until it breaks,
// then dials again with backoff.
func (c *Client) run(cn *conn) {
	defer c.wg.Done()
	for {
		select {
		case <-cn.done:
		case <-c.ctx.Done():
			cn.fail(ErrClosed)
		}
		proto := cn.proto
		c.setState(nil, State{Protocol: proto, Err: cn.err})
		cn.close()
		cn = redial(c.ctx, &c.opts, c.connect, func(err error) {
			c.setState(nil, State{Protocol: proto, Err: err})
		})
		if cn == nil {
			return
		}
		c.serve(cn)
	}
}

// serve starts cn's pipeline and makes it the one calls use.
func (c *Client) serve(cn *conn) {
	cn.start()
	c.setState(cn, State{Connected: true, Protocol: cn.proto})
}

func (c *Client) setState(cn *conn, st State) {
	if c.ctx.Err() != nil {
		st.Err = ErrClosed
	}
	c.mu.Lock()
	if c.cur != cn {
		c.cur = cn
		close(c.changed)
		c.changed = make(chan struct{})
	}
	changed := st.Connected != c.state.Connected || st.Err != c.state.Err
	c.state = st
	c.mu.Unlock()
	if changed && c.opts.OnState != nil {
		c.opts.OnState(st)
	}
}

// redial calls connect until it succeeds or ctx ends (then it returns
// nil), waiting between attempts and reporting each failure to failed.
func redial(ctx context.Context, opts *Options, connect func(context.Context) (*conn, error), failed func(error)) *conn {
	for attempt := 0; ; attempt++ {
		t := time.NewTimer(backoff(attempt, opts.MinBackoff, opts.MaxBackoff))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil
		}
		cn, err := connect(ctx)
		if err == nil {
			return cn
		}
		if ctx.Err() != nil {
			return nil
		}
		failed(err)
	}
}

// backoff returns the wait before reconnection attempt n (from 0): lo
// doubled n times, capped at hi, then a random point of its upper half,
// so that many clients do not all come back at the same instant.
func backoff(n int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 0; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d/2 + rand.N(d/2+1)
}
