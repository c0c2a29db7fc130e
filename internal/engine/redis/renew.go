package redis

import (
	"context"
	"maps"
	"slices"
	"time"

	"wschat/internal/engine"
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

// renewAll renews the node's liveness and its claims. With all, or when
// the node's liveness had lapsed (the other nodes then took its members
// out of their rooms), it records its claims and places again too.
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
	// Claims whose batch had no answer wait for the next round.
	renewed, err := e.renewClaims(claims)
	if err != nil && !all {
		return
	}
	for i, ok := range renewed {
		c := claims[i]
		var err error
		if all && !ok {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			var heldBy string
			heldBy, err = e.Claim(ctx, c) // Redis may have lost it
			cancel()
			ok = err == nil && heldBy == ""
		}
		switch {
		case err == nil && !ok && e.holds(c): // one released meanwhile was not lost
			e.log.Warn("a name's claim was lost while Redis was away", "name", c.Key)
		case ok && !e.holds(c):
			e.background("release a name", "EVAL", releaseScript, "1", claimKey(c.Key), c.Holder) // released meanwhile
		}
	}
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
