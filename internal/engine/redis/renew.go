package redis

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"time"

	"wschat/internal/engine"
	"wschat/internal/resp"
)

// renew keeps this node alive in Redis every third of the claims' expiry,
// and records every claim and place again at once when Redis comes back
// (it may have lost them), until the engine closes.
func (e *Engine) renew() {
	t := time.NewTicker(e.ttl / 3)
	defer t.Stop()
	for {
		all := false
		select {
		case <-e.stop:
			return
		case <-t.C:
		case <-e.resynch:
			all = true
		}
		e.renewAll(all)
		e.sweep()
	}
}

// renewAll renews the node's liveness and its claims. A claim that
// lapsed while the node or Redis was too slow to renew it is taken again,
// unless someone else took the name meanwhile. With all, or when the
// node's liveness had lapsed (the other nodes then took its members out
// of their rooms), it records its places again too.
func (e *Engine) renewAll(all bool) {
	v, err := e.background("renew the node's liveness", "SET", nodeKey(e.node), "1", "PX", e.ms(), "GET")
	if err != nil {
		return
	}
	all = all || v.IsNull()
	e.background("record the node", "SADD", nodesKey, e.node)
	e.mu.Lock()
	claims, places := slices.Collect(maps.Values(e.claims)), slices.Collect(maps.Values(e.places))
	e.mu.Unlock()
	e.keepClaims(claims)
	e.exitAgain()
	if !all {
		return
	}
	for _, p := range places {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		if e.enter(ctx, p) == nil && !e.isAt(p) {
			e.exit(ctx, p) // left meanwhile
		}
		cancel()
	}
}

// keepClaims renews claims, the node's as read a moment ago, takes again
// those that lapsed and are still the node's, and releases those the
// node gave up meanwhile.
func (e *Engine) keepClaims(claims []engine.Claim) {
	renewed, lapsed := e.renewClaims(claims)
	// A claim given up since it was read above also reads as lapsed: it
	// must not be taken again, or the name would look held (online, and
	// taken to another node) until it is released below.
	lapsed = slices.DeleteFunc(lapsed, func(c engine.Claim) bool { return !e.holds(c) })
	for _, c := range e.claimAgain(lapsed) {
		e.log.Warn("a name's claim lapsed and someone else took the name", "name", c.Key)
	}
	for _, c := range slices.Concat(renewed, lapsed) {
		if !e.holds(c) { // given up while renewed or taken again
			e.background("release a name", "EVAL", releaseScript, "1", claimKey(c.Key), c.Holder)
		}
	}
}

// renewBatch is how many claims one script renews, or how many claims
// are taken again at a time: a few hundred keep each of Redis's steps
// short.
const renewBatch = 500

// renewClaims extends each of claims whose holder still has it, in
// scripts of renewBatch sent one after another without waiting, so that
// a node of 17,000 names waits about one round trip, not 17,000. It
// returns the claims it renewed and those that had lapsed; a claim whose
// script had no answer in time is in neither, and waits for the next
// round.
func (e *Engine) renewClaims(claims []engine.Claim) (renewed, lapsed []engine.Claim) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var waits []func(context.Context) (resp.Value, error)
	for batch := range slices.Chunk(claims, renewBatch) {
		args := make([]string, 0, 4+2*len(batch))
		args = append(args, "EVAL", renewScript, strconv.Itoa(len(batch)))
		for _, c := range batch {
			args = append(args, claimKey(c.Key))
		}
		args = append(args, e.ms())
		for _, c := range batch {
			args = append(args, c.Holder)
		}
		waits = append(waits, e.start(ctx, e.client, args))
	}
	for i, wait := range waits {
		batch := claims[i*renewBatch : min((i+1)*renewBatch, len(claims))]
		v, err := wait(ctx)
		if err == nil && v.Len() != len(batch) {
			err = errReply("renew the node's claims", v.Format())
		}
		if err != nil {
			e.logFailure("renew the node's claims", err)
			continue
		}
		for j, ok := range v.Elems() {
			if ok.Int() == 1 {
				renewed = append(renewed, batch[j])
			} else {
				lapsed = append(lapsed, batch[j])
			}
		}
	}
	return renewed, lapsed
}

// claimAgain takes each of claims again, renewBatch at a time sent
// without waiting, and returns those whose names someone else holds now.
func (e *Engine) claimAgain(claims []engine.Claim) (taken []engine.Claim) {
	for batch := range slices.Chunk(claims, renewBatch) {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		waits := make([]func(context.Context) (resp.Value, error), len(batch))
		for i, c := range batch {
			waits[i] = e.start(ctx, e.client, claimArgs(c, e.ms()))
		}
		for i, wait := range waits {
			v, err := wait(ctx)
			switch {
			case err != nil:
				e.logFailure("claim a name again", err)
			case v.Str() != "":
				taken = append(taken, batch[i])
			}
		}
		cancel()
	}
	return taken
}

// holds reports whether c is still one of the node's claims.
func (e *Engine) holds(c engine.Claim) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.claims[c.Holder]
	return ok
}

// isAt reports whether p is still one of the node's places.
func (e *Engine) isAt(p engine.Place) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	q, ok := e.places[p.Holder]
	return ok && q.Room == p.Room
}

// sweep takes the members of every node whose liveness has lapsed out of
// their rooms; whichever node does it first announces that they left.
func (e *Engine) sweep() {
	v, err := e.background("list the nodes", "SMEMBERS", nodesKey)
	if err != nil {
		return
	}
	for _, n := range v.Elems() {
		node := n.Str()
		if node == e.node {
			continue
		}
		if alive, err := e.background("check a node", "EXISTS", nodeKey(node)); err != nil || alive.Int() == 1 {
			continue
		}
		rooms, err := e.background("list a lapsed node's rooms", "SMEMBERS", nodeRoomsKey(node))
		if err != nil {
			continue
		}
		for _, r := range rooms.Elems() {
			room := r.Str()
			e.background("take a lapsed node's members out", "EVAL", sweepScript, "3", hereKey(room, node), membersKey(room), roomsKey,
				room, node, eventsChannel)
		}
		e.background("forget a lapsed node", "DEL", nodeRoomsKey(node))
		e.background("forget a lapsed node", "SREM", nodesKey, node)
	}
}
