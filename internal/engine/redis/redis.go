// Package redis is the engine of several nodes that share one Redis: what
// a single node keeps in its room log and maps, they keep in Redis, so
// that every node connected to it serves the same chat.
//
//   - A room's messages are a stream, wschat:room:KEY (a mailbox's,
//     wschat:mailbox:KEY), kept within bounds (bounds.go), with what it
//     is charged in wschat:history:* (wschat:mailstore:* for mail), and
//     the mailboxes opened in wschat:mailboxes. A message is appended and announced in one
//     script, XADD then PUBLISH on wschat:events: Redis runs a script
//     whole, so the announcements leave in the order of the stream ids,
//     and every node reads them, on one subscription, in that order, and
//     hands each to its chat. When the subscription breaks, the node reads
//     each open room's stream from the last id it delivered (XRANGE), then
//     goes on with the announcements, which now come after.
//   - A name is a hash, wschat:name:KEY, of its holders, each with the
//     time its claim runs out, renewed by its node every third of the
//     expiry: a crashed node's claims lapse by themselves. Claims are
//     taken and given up by scripts, so that two nodes never both hold a
//     name, and giving up a stale claim never frees a newer one.
//   - A name's client ids, for requests sent again: receipts.go.
//   - Who is where: wschat:here:ROOM:NODE holds each of the node's
//     holders in ROOM with its name, wschat:members:ROOM how many holders
//     each name has in ROOM on every node, wschat:rooms the rooms with
//     someone in them, and wschat:node:NODE, with the same expiry, says the
//     node is alive. A node that finds another's liveness lapsed takes
//     that node's holders out of its rooms, and tells the rooms they left.
//
// Without Redis a node keeps its clients but the chat refuses what needs
// Redis (joining, moving, sending) with a reason, until it is back:
// every call fails at once with engine.ErrUnavailable meanwhile.
package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"wschat/internal/engine"
	"wschat/internal/resp"
	"wschat/internal/store"
)

// Options configures an Engine.
type Options struct {
	URL        string        // redis:// or rediss:// URL
	TTL        time.Duration // how long a node's claims outlive their last renewal; default 15 s
	Keep       int           // messages a room's stream keeps, and a mailbox's; default 1000
	History    store.Bounds  // the rooms' messages' bounds
	Mail       store.Bounds  // the mailboxes' bounds
	Mailboxes  int           // owners the record of mailboxes holds; default 100,000
	Moderation engine.ModerationLimits
	Logger     *slog.Logger // nil: discard
}

// Engine is one node's link to the others through Redis. It implements
// engine.Broker, engine.History, engine.Mail, engine.Presence,
// engine.Moderation, engine.Receipts and engine.Rates.
type Engine struct {
	client *resp.Client
	// reader reads rooms' and mailboxes' history on a connection of its
	// own. Redis answers a connection's commands in order, so a long or
	// slow read on client would hold up every message, claim and place
	// behind it, in every room.
	reader *resp.Client
	sub    *resp.Subscription
	node   string // this node's id, random
	ttl    time.Duration
	rooms  family // the rooms' messages
	mail   family // the mailboxes
	boxes  int    // owners the record of mailboxes holds
	mod    engine.ModerationLimits
	log    *slog.Logger

	up      atomic.Bool
	h       engine.Handler // set by Attach
	stop    chan struct{}
	closing sync.Once
	done    sync.WaitGroup
	resynch chan struct{} // asks the renewal loop to record everything again
	// reconnected asks the follower to catch up, if it could not before.
	reconnected chan struct{}

	mu     sync.Mutex
	claims map[string]engine.Claim // this node's claims, by holder
	places map[string]engine.Place // this node's holders' places, by holder
	// leaving is the places whose Exit failed (Redis slow or away), by
	// holder and room, taken out again each round of renewals until it
	// works: a place left behind would count its name in the room for as
	// long as this node lives. At most maxLeaving.
	leaving map[string]engine.Place
}

// maxLeaving bounds the places a node remembers to take out again.
const maxLeaving = 100_000

// eventsChannel is where every node announces what the others must hear.
const eventsChannel = "wschat:events"

// callTimeout bounds one call to Redis the engine makes by itself.
const callTimeout = 2 * time.Second

// Open connects to Redis and subscribes to the announcements. Attach
// starts following them.
func Open(o Options) (*Engine, error) {
	if o.TTL <= 0 {
		o.TTL = 15 * time.Second
	}
	if o.Keep <= 0 {
		o.Keep = 1000
	}
	if o.Mailboxes <= 0 {
		o.Mailboxes = 100_000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{node: rand.Text()[:16], ttl: o.TTL, log: o.Logger, boxes: o.Mailboxes, mod: o.Moderation.WithDefaults(),
		rooms: family{streams: "wschat:room:", meta: "wschat:history:", kind: 'm', keep: o.Keep, bounds: o.History},
		mail:  family{streams: "wschat:mailbox:", meta: "wschat:mailstore:", kind: 'q', keep: o.Keep, bounds: o.Mail},
		stop:  make(chan struct{}), resynch: make(chan struct{}, 1), reconnected: make(chan struct{}, 1),
		claims: make(map[string]engine.Claim), places: make(map[string]engine.Place), leaving: make(map[string]engine.Place),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := resp.Dial(ctx, o.URL, resp.Options{OnState: e.state})
	if err != nil {
		return nil, fmt.Errorf("connect to redis: %w", err)
	}
	e.client = c
	if e.reader, err = resp.Dial(ctx, o.URL, resp.Options{}); err != nil {
		c.Close()
		return nil, fmt.Errorf("connect to redis for history: %w", err)
	}
	if e.sub, err = c.Subscribe(ctx, eventsChannel); err != nil {
		e.reader.Close()
		c.Close()
		return nil, fmt.Errorf("subscribe to %s: %w", eventsChannel, err)
	}
	return e, nil
}

// Attach implements engine.Broker: it starts handing announcements to h
// and renewing the node's claims.
func (e *Engine) Attach(h engine.Handler) {
	e.h = h
	e.done.Go(e.follow)
	e.done.Go(e.renew)
}

// Close implements engine.Broker. The node's claims lapse by themselves.
func (e *Engine) Close() error {
	e.closing.Do(func() {
		close(e.stop)
		e.sub.Close()
		e.client.Close()
		e.reader.Close()
		e.done.Wait()
	})
	return nil
}

// Up reports whether Redis answers.
func (e *Engine) Up() bool { return e.up.Load() }

// state logs each change of the connection to Redis.
func (e *Engine) state(st resp.State) {
	was := e.up.Swap(st.Connected)
	switch {
	case st.Connected && !was:
		e.log.Info("redis connected", "node", e.node)
		for _, c := range []chan struct{}{e.resynch, e.reconnected} {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	case !st.Connected && was && !errors.Is(st.Err, resp.ErrClosed):
		e.log.Error("redis unreachable: refusing joins and messages until it is back", "err", st.Err)
	}
}

// do runs one command, failing at once with engine.ErrUnavailable while
// Redis is away rather than waiting for it. A reply that is an error is
// returned as one.
func (e *Engine) do(ctx context.Context, args ...string) (resp.Value, error) {
	return e.call(ctx, e.client, args)
}

// read is do for a command that reads history, on the reader's
// connection.
func (e *Engine) read(ctx context.Context, args ...string) (resp.Value, error) {
	return e.call(ctx, e.reader, args)
}

func (e *Engine) call(ctx context.Context, c *resp.Client, args []string) (resp.Value, error) {
	return e.start(ctx, c, args)(ctx)
}

// start is call in two steps: it hands the command to c and returns a
// function that waits for the reply (resp.Client.Start).
func (e *Engine) start(ctx context.Context, c *resp.Client, args []string) func(context.Context) (resp.Value, error) {
	if !e.up.Load() {
		return func(context.Context) (resp.Value, error) { return resp.Value{}, engine.ErrUnavailable }
	}
	wait := c.Start(ctx, args...)
	return func(ctx context.Context) (resp.Value, error) {
		v, err := wait(ctx)
		if errors.Is(err, resp.ErrDisconnected) || errors.Is(err, resp.ErrClosed) || errors.Is(err, context.DeadlineExceeded) {
			return v, fmt.Errorf("%w: %w", engine.ErrUnavailable, err)
		}
		return v, err
	}
}

// background runs one command on the engine's own behalf, bounded by
// callTimeout, and logs it when it fails but for Redis being away.
func (e *Engine) background(what string, args ...string) (resp.Value, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	v, err := e.do(ctx, args...)
	e.logFailure(what, err)
	return v, err
}

// logFailure logs err, a failure to do what on the engine's own behalf,
// unless it is nil or Redis being away.
func (e *Engine) logFailure(what string, err error) {
	if err != nil && !errors.Is(err, engine.ErrUnavailable) {
		e.log.Warn(what, "err", err)
	}
}

func claimKey(key string) string       { return "wschat:name:" + key }
func membersKey(room string) string    { return "wschat:members:" + room }
func hereKey(room, node string) string { return "wschat:here:" + room + ":" + node }
func nodeKey(node string) string       { return "wschat:node:" + node }
func nodeRoomsKey(node string) string  { return "wschat:noderooms:" + node }

const (
	roomsKey = "wschat:rooms" // room key → name as spelled, for every room with someone in it
	nodesKey = "wschat:nodes" // every node that may have members somewhere
)

// ms is the claims' expiry in milliseconds.
func (e *Engine) ms() string { return strconv.FormatInt(e.ttl.Milliseconds(), 10) }
