package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"wschat/internal/resp"
	"wschat/internal/store"
)

// Several nodes with Redis. A node started with -redis keeps what a
// single node keeps in its own room log in Redis instead, so that every
// node connected to the same Redis serves the same chat:
//
//   - A room's messages are a stream, wschat:room:KEY (a mailbox's,
//     wschat:room:@KEY). A message is appended and announced in one
//     script, XADD then PUBLISH on wschat:events: Redis runs a script
//     whole, so the announcements leave in the order of the stream ids,
//     and every node reads them, on one subscription, in that order. A
//     node delivers each to its own members of the room; an id it has
//     already passed is skipped, as on a single node. When the
//     subscription breaks, the node reads each open room's stream from
//     the last id it delivered (XRANGE), then goes on with the
//     announcements, which now come after.
//   - A name is a claim, wschat:name:KEY = the node's id, set NX with an
//     expiry that the node renews every third of it, and deleted when its
//     last connection there leaves: a crashed node's names come free
//     within the expiry. Accounts claim nothing: an account may be
//     connected on several nodes at once, as on one.
//   - Who is where: wschat:members:KEY holds "NODE NAME" for everyone in
//     room KEY, wschat:rooms the rooms, and wschat:node:NODE says, with
//     the same expiry, that the node is alive; entries of a node that is
//     not are left out and removed.
//
// Without Redis a node keeps its clients but refuses what needs it
// (joining, moving, sending) with a reason, until Redis is back.

// backplane is a node's link to the others through Redis. A nil
// *backplane is a single node.
type backplane struct {
	client *resp.Client
	node   string        // this node's id, random
	ttl    time.Duration // how long a claim outlives its last renewal
	keep   int           // messages a room's stream keeps, about
	log    *slog.Logger

	up      atomic.Bool
	hub     *hub // set once the chat is made
	stop    chan struct{}
	closing sync.Once
	done    sync.WaitGroup
	sub     *resp.Subscription
	resynch chan struct{} // asks the renewal loop to claim everything again
	// reconnected asks the follower to catch up, if it could not before.
	reconnected chan struct{}
}

// eventsChannel is where every node announces what the others must hear.
const eventsChannel = "wschat:events"

// defaultRedisTTL is how long a node's claims outlive its last renewal.
const defaultRedisTTL = 15 * time.Second

// redisTimeout bounds one call to Redis made on behalf of a client.
const redisTimeout = 2 * time.Second

// errNoRedis is why a node refuses what needs Redis while it is away.
var errNoRedis = errors.New("redis unreachable")

// noRedis is what a participant is told when that happens.
const noRedis = "the chat cannot reach its other servers right now (Redis is unreachable): nothing was sent; try again shortly"

// The scripts. Redis runs each whole, so nothing comes between their
// commands (EVAL, "Atomicity of scripts").
const (
	// KEYS[1] stream; ARGV: cap, payload, channel, kind, key.
	appendScript = `local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'm', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4] .. '\n' .. ARGV[5] .. '\n' .. id .. '\n' .. ARGV[2])
return id`
	// KEYS[1] claim; ARGV: node, ttl ms. Takes the claim, or renews it,
	// unless another node has it.
	claimScript = `local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`
	// KEYS[1] claim; ARGV: node. Deletes the claim if it is ours.
	releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`
)

// openBackplane connects to Redis at url and starts following the other
// nodes. hub is attached later, by attach.
func openBackplane(url string, ttl time.Duration, keep int, log *slog.Logger) (*backplane, error) {
	var id [8]byte
	rand.Read(id[:])
	b := &backplane{node: hex.EncodeToString(id[:]), ttl: ttl, keep: keep, log: log,
		stop: make(chan struct{}), resynch: make(chan struct{}, 1), reconnected: make(chan struct{}, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := resp.Dial(ctx, url, resp.Options{OnState: b.state})
	if err != nil {
		return nil, fmt.Errorf("connect to redis: %w", err)
	}
	b.client = c
	if b.sub, err = c.Subscribe(ctx, eventsChannel); err != nil {
		c.Close()
		return nil, fmt.Errorf("subscribe to %s: %w", eventsChannel, err)
	}
	return b, nil
}

// attach starts delivering to h's rooms and renewing its claims.
func (b *backplane) attach(h *hub) {
	b.hub = h
	b.done.Go(b.follow)
	b.done.Go(b.renew)
}

// close stops following and renewing, and disconnects. Claims of the
// names still here lapse by themselves.
func (b *backplane) close() {
	b.closing.Do(func() {
		close(b.stop)
		b.sub.Close()
		b.client.Close()
		b.done.Wait()
	})
}

// state logs each change of the connection to Redis.
func (b *backplane) state(st resp.State) {
	was := b.up.Swap(st.Connected)
	switch {
	case st.Connected && !was:
		b.log.Info("redis connected", "node", b.node)
		for _, c := range []chan struct{}{b.resynch, b.reconnected} {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	case !st.Connected && was && !errors.Is(st.Err, resp.ErrClosed):
		b.log.Error("redis unreachable: refusing joins and messages until it is back", "err", st.Err)
	}
}

// do runs one command, bounded by redisTimeout, failing at once while
// Redis is away rather than waiting for it.
func (b *backplane) do(args ...string) (resp.Value, error) {
	if !b.up.Load() {
		return resp.Value{}, errNoRedis
	}
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	return b.client.Do(ctx, args...)
}

func streamKey(key string) string  { return "wschat:room:" + key }
func claimKey(key string) string   { return "wschat:name:" + key }
func membersKey(key string) string { return "wschat:members:" + key }
func nodeKey(node string) string   { return "wschat:node:" + node }
func (b *backplane) ms() string    { return strconv.FormatInt(b.ttl.Milliseconds(), 10) }

// append keeps payload as the next message of stream key and announces
// it as kind ('m' for a room, 'q' for a mailbox) to every node.
func (b *backplane) append(kind, key string, payload []byte) (store.ID, error) {
	v, err := b.do("EVAL", appendScript, "1", streamKey(key), strconv.Itoa(max(b.keep, 1)), string(payload), eventsChannel, kind, key)
	if err != nil {
		return store.ID{}, err
	}
	return store.ParseID(v.Str())
}

// records reads a range of stream key: XRANGE or XREVRANGE with its
// bounds and count. It returns the records oldest first.
func (b *backplane) records(cmd, key, from, to string, n int) ([]store.Record, error) {
	v, err := b.do(cmd, streamKey(key), from, to, "COUNT", strconv.Itoa(n))
	if err != nil {
		return nil, err
	}
	var recs []store.Record
	for _, e := range v.Elems() {
		f := e.Elems()
		if len(f) != 2 {
			continue
		}
		id, err := store.ParseID(f[0].Str())
		if err != nil {
			continue
		}
		kv := f[1].Elems()
		if len(kv) != 2 {
			continue
		}
		recs = append(recs, store.Record{ID: id, Payload: kv[1].Bytes()})
	}
	if cmd == "XREVRANGE" {
		for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
			recs[i], recs[j] = recs[j], recs[i]
		}
	}
	return recs, nil
}

// last returns the latest n records of stream key.
func (b *backplane) last(key string, n int) ([]store.Record, error) {
	if n <= 0 {
		return nil, nil
	}
	return b.records("XREVRANGE", key, "+", "-", n)
}

// after returns the records of stream key after id, and whether nothing
// between id and them was trimmed away: something at or before id is
// still there, or nothing at all is.
func (b *backplane) after(key string, id store.ID) ([]store.Record, bool, error) {
	recs, err := b.records("XRANGE", key, "("+id.String(), "+", max(b.keep, 1))
	if err != nil {
		return nil, false, err
	}
	before, err := b.records("XREVRANGE", key, id.String(), "-", 1)
	if err != nil {
		return nil, false, err
	}
	return recs, len(before) > 0 || len(recs) == 0, nil
}

// newest is the id of the latest message of room key's stream. When Redis
// cannot say, it is now: what came before is taken as delivered, rather
// than delivered live, late, when Redis is back.
func (b *backplane) newest(key string) store.ID {
	recs, err := b.last(key, 1)
	if err != nil {
		return store.ID{Ms: uint64(time.Now().UnixMilli())}
	}
	if len(recs) == 1 {
		return recs[0].ID
	}
	return store.ID{}
}

// since returns the messages after id in room key's stream, or its latest
// replay when id is nil, and whether that is all that was asked for.
func (b *backplane) since(key string, id *store.ID, replay int) ([]store.Record, bool) {
	if id == nil {
		recs, err := b.last(key, replay)
		return recs, err == nil
	}
	recs, recovered, err := b.after(key, *id)
	return recs, recovered && err == nil
}
