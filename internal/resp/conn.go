package resp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// maxInFlight bounds the commands written to one connection and not yet
// answered; more callers wait to be written.
const maxInFlight = 1024

// maxBatch is the size past which the writer stops gathering commands
// into one write.
const maxBatch = 64 << 10

// conn is one connection to Redis after its handshake. Once started, one
// goroutine writes the commands callers hand it, in batches, and another
// reads the replies and gives them back in the same order (spec "Multiple
// commands and pipelining").
type conn struct {
	nc    net.Conn
	rd    *Reader
	proto int // 2 or 3, as agreed by HELLO

	writeTimeout time.Duration
	reqs         chan *request // unbuffered: a request taken is answered
	sent         chan *request // written or being written, in order
	done         chan struct{} // closed when the connection has failed
	once         sync.Once
	err          error // why done was closed; read after <-done
	wg           sync.WaitGroup
}

// request is one command waiting for its reply.
type request struct {
	args  []string
	reply chan result // buffered: the reader never waits for the caller
}

type result struct {
	v   Value
	err error
}

// dialConn connects to ep and runs the handshake: AUTH, HELLO 3 (RESP2
// when refused) and SELECT (spec "Client handshake"). ctx bounds it all.
func dialConn(ctx context.Context, ep endpoint, opts *Options) (*conn, error) {
	d := net.Dialer{}
	nc, err := d.DialContext(ctx, "tcp", ep.addr)
	if err != nil {
		return nil, fmt.Errorf("resp: dial %s: %w", ep.addr, err)
	}
	// Ending ctx unblocks whatever the handshake is waiting for.
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if ep.tls {
		cfg := &tls.Config{}
		if opts.TLSConfig != nil {
			cfg = opts.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = ep.host
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("resp: TLS with %s: %w", ep.addr, err)
		}
		nc = tc
	}
	c := &conn{nc: nc, rd: NewReader(nc, opts.Limits), writeTimeout: opts.WriteTimeout}
	if err := c.handshake(ep); err != nil {
		nc.Close()
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return nil, err
	}
	if !stop() { // ctx ended just now: the deadline is being set
		nc.Close()
		return nil, fmt.Errorf("resp: handshake with %s: %w", ep.addr, ctx.Err())
	}
	nc.SetDeadline(time.Time{})
	return c, nil
}

func (c *conn) handshake(ep endpoint) error {
	if args := ep.authArgs(); args != nil {
		if _, err := c.call(args...); err != nil {
			user := ep.user
			if user == "" {
				user = "default"
			}
			return fmt.Errorf("resp: AUTH as user %q at %s: %w", user, ep.addr, err)
		}
	}
	c.proto = 3
	if _, err := c.call("HELLO", "3"); err != nil {
		if !refusesRESP3(err) {
			return fmt.Errorf("resp: HELLO 3 at %s: %w", ep.addr, err)
		}
		c.proto = 2
	}
	if ep.db != 0 {
		if _, err := c.call("SELECT", fmt.Sprint(ep.db)); err != nil {
			return fmt.Errorf("resp: SELECT %d at %s: %w", ep.db, ep.addr, err)
		}
	}
	return nil
}

// refusesRESP3 reports whether HELLO 3 failed because the server does not
// speak RESP3 (NOPROTO) or has no HELLO (spec "Client handshake"), in
// which case the connection stays on RESP2. Other refusals, such as
// NOAUTH, are errors.
func refusesRESP3(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Prefix() == "NOPROTO" || strings.Contains(e.Msg, "unknown command"))
}

// call writes one command and reads its reply, skipping pushes. It is for
// the handshake, before the pipeline starts.
func (c *conn) call(args ...string) (Value, error) {
	if _, err := c.nc.Write(AppendCommand(nil, args...)); err != nil {
		return Value{}, fmt.Errorf("write: %w", err)
	}
	for {
		v, err := c.rd.ReadValue()
		if err != nil {
			return Value{}, fmt.Errorf("read: %w", err)
		}
		if v.kind != Push {
			return v, v.Err()
		}
	}
}

// start runs the pipeline's writer and reader.
func (c *conn) start() {
	c.reqs = make(chan *request)
	c.sent = make(chan *request, maxInFlight)
	c.done = make(chan struct{})
	c.wg.Add(2)
	go c.writeLoop()
	go c.readLoop()
}

// fail records why the connection ended, the first time, and closes it.
func (c *conn) fail(err error) {
	c.once.Do(func() {
		c.err = err
		close(c.done)
		c.nc.Close()
	})
}

// close ends the connection and waits for its goroutines.
func (c *conn) close() {
	c.fail(ErrClosed)
	c.wg.Wait()
}

// send hands one command to the writer, which writes the commands it is
// handed in that order. It fails, with not a byte of it written, when the
// connection fails or ctx ends first.
func (c *conn) send(ctx context.Context, args []string) (*request, error) {
	r := &request{args: args, reply: make(chan result, 1)}
	select {
	case c.reqs <- r:
		return r, nil
	case <-c.done:
		return nil, c.err
	case <-ctx.Done():
		return nil, fmt.Errorf("resp: %s: %w", args[0], ctx.Err())
	}
}

// wait returns the reply to r, a command send handed over, unless ctx
// ends first.
func (r *request) wait(ctx context.Context) (Value, error) {
	select {
	case res := <-r.reply:
		return res.v, res.err
	case <-ctx.Done():
		return Value{}, fmt.Errorf("resp: %s: %w", r.args[0], ctx.Err())
	}
}

// writeLoop gathers the commands waiting at the time into one write.
// Each is queued on sent before its bytes go, so a reply always finds its
// request.
func (c *conn) writeLoop() {
	defer c.wg.Done()
	defer close(c.sent)
	var buf []byte
	for {
		select {
		case r := <-c.reqs:
			buf = c.queue(buf[:0], r)
		case <-c.done:
			return
		}
	gather:
		for len(buf) < maxBatch {
			select {
			case r := <-c.reqs:
				buf = c.queue(buf, r)
			default:
				break gather
			}
		}
		c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout))
		if _, err := c.nc.Write(buf); err != nil {
			c.fail(fmt.Errorf("%w: write: %w", ErrDisconnected, err))
			return
		}
		if cap(buf) > 4*maxBatch {
			buf = nil // let one large command's buffer go
		}
	}
}

func (c *conn) queue(buf []byte, r *request) []byte {
	c.sent <- r
	return AppendCommand(buf, r.args...)
}

// readLoop answers requests in the order they were written. Pushes are
// out of band (spec "Pushes") and are not replies. Once the connection
// fails, every request written and not answered gets the error.
func (c *conn) readLoop() {
	defer c.wg.Done()
	for {
		v, err := c.rd.ReadValue()
		if err != nil {
			c.fail(fmt.Errorf("%w: read: %w", ErrDisconnected, err))
			break
		}
		if v.kind == Push {
			continue
		}
		var r *request
		select {
		case r = <-c.sent:
		default:
		}
		if r == nil {
			c.fail(fmt.Errorf("%w: %w: a reply to no command", ErrDisconnected, ErrProtocol))
			break
		}
		r.reply <- result{v: v, err: v.Err()}
	}
	for r := range c.sent {
		r.reply <- result{err: c.err}
	}
}
