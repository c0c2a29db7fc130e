package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"wschat/internal/resp"
	"wschat/internal/store"
	"wschat/internal/textrules"
)

// follow reads what the nodes announce, in order, until the backplane
// closes. After a gap it reads every open room's stream where it left
// off, so that nothing is missed and nothing comes out of order.
// A catch-up that fails (the commands' connection may come back after
// the subscription's) is tried again when Redis is back. It runs here,
// between announcements, never beside them: a room delivers nothing
// older than what it has delivered.
func (b *backplane) follow() {
	behind := false
	for {
		select {
		case ev, ok := <-b.sub.Events():
			if !ok {
				return
			}
			if ev.Kind == resp.EventReconnected {
				behind = !b.catchUp()
			} else {
				b.dispatch(ev.Payload)
			}
		case <-b.reconnected:
			if behind {
				behind = !b.catchUp()
			}
		}
	}
}

// dispatch acts on one announcement: "KIND\nKEY\nID\nPAYLOAD" for a
// message ('m') or mail ('q'), "KIND\nKEY\nNODE\nNAME" for a join ('j')
// or a leave ('l') in room KEY, "p\nKEY\nNODE\nPAYLOAD" for a private
// message to whoever has the name KEY. Anything else is ignored.
func (b *backplane) dispatch(ev []byte) {
	parts := bytes.SplitN(ev, []byte("\n"), 4)
	if len(parts) != 4 {
		return
	}
	kind, key, third, rest := string(parts[0]), string(parts[1]), string(parts[2]), parts[3]
	switch kind {
	case "m", "q":
		id, err := store.ParseID(third)
		var m storedMessage
		if err != nil || json.Unmarshal(rest, &m) != nil {
			return
		}
		if kind == "m" {
			b.hub.deliver(key, id, m)
		} else {
			sendPrivate(b.hub.find(strings.TrimPrefix(key, "@")), m, id, time.Time{})
		}
	case "j", "l":
		if third != b.node {
			b.hub.remoteNotice(key, string(rest), kind == "j")
		}
	case "p":
		var m storedMessage
		if third != b.node && json.Unmarshal(rest, &m) == nil {
			sendPrivate(b.hub.find(key), m, store.ID{}, time.Now())
		}
	}
}

// catchUp delivers what every open room's stream has after the last
// message the room delivered, and reports whether it could.
func (b *backplane) catchUp() bool {
	for key, last := range b.hub.lastIDs() {
		recs, err := b.records("XRANGE", key, "("+last.String(), "+", max(b.keep, 1))
		if err != nil {
			b.log.Warn("catch up on a room: will try again when Redis is back", "room", key, "err", err)
			return false
		}
		for _, rec := range recs {
			var m storedMessage
			if json.Unmarshal(rec.Payload, &m) == nil {
				b.hub.deliver(key, rec.ID, m)
			}
		}
	}
	return true
}

// claim takes the name whose folded form is key for this node, and
// reports whether it had it or got it.
func (b *backplane) claim(key string) (bool, error) {
	v, err := b.do("EVAL", claimScript, "1", claimKey(key), b.node, b.ms())
	return err == nil && v.Int() == 1, err
}

// markOnline marks the account whose folded name is key as connected
// here, whoever else has it too.
func (b *backplane) markOnline(key string) {
	b.do("SET", claimKey(key), b.node, "PX", b.ms())
}

// online reports whether the name whose folded form is key is connected
// on some node.
func (b *backplane) online(key string) bool {
	v, err := b.do("EXISTS", claimKey(key))
	return err == nil && v.Int() == 1
}

// release gives the name whose folded form is key up, if this node has it.
func (b *backplane) release(key string) {
	if _, err := b.do("EVAL", releaseScript, "1", claimKey(key), b.node); err != nil {
		b.log.Warn("release a name", "name", key, "err", err)
	}
}

// entered records that name came into room (folded: key) on this node and
// tells the other nodes.
func (b *backplane) entered(key, room, name string) {
	b.do("HSET", membersKey(key), b.node+" "+name, room)
	b.do("SADD", "wschat:rooms", key)
	b.do("PUBLISH", eventsChannel, "j\n"+key+"\n"+b.node+"\n"+name)
}

// exited records that name left room key on this node and tells the
// other nodes.
func (b *backplane) exited(key, name string) {
	b.do("HDEL", membersKey(key), b.node+" "+name)
	b.do("PUBLISH", eventsChannel, "l\n"+key+"\n"+b.node+"\n"+name)
}

// private hands m to the node where the name whose folded form is key is
// connected, and reports whether someone has that name anywhere.
func (b *backplane) private(key string, m storedMessage) (bool, error) {
	v, err := b.do("GET", claimKey(key))
	if err != nil || v.IsNull() {
		return false, err
	}
	payload, _ := json.Marshal(m)
	_, err = b.do("PUBLISH", eventsChannel, "p\n"+key+"\n"+b.node+"\n"+string(payload))
	return err == nil, err
}

// members returns the names in room key on every live node, each once,
// and the room's name as spelled by whoever opened it. The places of a
// node that is gone are removed, and whichever node removes one tells
// the room that its holder left.
func (b *backplane) members(key string) (names []string, room string, err error) {
	v, err := b.do("HGETALL", membersKey(key))
	if err != nil {
		return nil, "", err
	}
	all, _ := v.StringMap()
	alive := map[string]bool{}
	for field, spelled := range all {
		node, name, _ := strings.Cut(field, " ")
		live, seen := alive[node]
		if !seen {
			n, err := b.do("EXISTS", nodeKey(node))
			live = err != nil || n.Int() == 1 || node == b.node
			alive[node] = live
		}
		if !live {
			if n, err := b.do("HDEL", membersKey(key), field); err == nil && n.Int() == 1 {
				b.do("PUBLISH", eventsChannel, "l\n"+key+"\n"+node+"\n"+name)
			}
			continue
		}
		room = spelled.Str()
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(textrules.Fold(a), textrules.Fold(b)) })
	return names, room, nil
}

// roomCounts lists the rooms with someone in them on any node.
func (b *backplane) roomCounts(local []roomCount) ([]roomCount, error) {
	v, err := b.do("SMEMBERS", "wschat:rooms")
	if err != nil {
		return nil, err
	}
	messages := map[string]uint64{}
	for _, rc := range local {
		messages[textrules.Fold(rc.Name)] = rc.Messages
	}
	var out []roomCount
	for _, k := range v.Elems() {
		key := k.Str()
		names, room, err := b.members(key)
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			b.do("SREM", "wschat:rooms", key)
			continue
		}
		out = append(out, roomCount{Name: room, Count: len(names), Messages: messages[key]})
	}
	slices.SortFunc(out, func(a, b roomCount) int { return strings.Compare(textrules.Fold(a.Name), textrules.Fold(b.Name)) })
	return out, nil
}

// renew keeps this node's claims alive every third of their expiry, and
// makes them all again at once when Redis comes back (it may have lost
// them), until the backplane closes.
func (b *backplane) renew() {
	t := time.NewTicker(b.ttl / 3)
	defer t.Stop()
	for {
		all := false
		select {
		case <-b.stop:
			return
		case <-t.C:
		case <-b.resynch:
			all = true
		}
		b.renewAll(all)
	}
}

// renewAll renews the node's liveness and the claims of its names, and
// clears the places of nodes that are gone from the rooms it has members
// in. With all, or when the node's liveness had lapsed, it records its
// members' places again too: Redis or the other nodes may have removed
// them, and they do not come back by themselves.
func (b *backplane) renewAll(all bool) {
	v, err := b.do("SET", nodeKey(b.node), "1", "PX", b.ms(), "GET")
	if err != nil {
		return
	}
	all = all || v.IsNull() // lapsed: the other nodes took this one's places away
	rooms := map[string]bool{}
	for key, places := range b.hub.places() {
		if places.account {
			b.markOnline(key)
		} else if ok, err := b.claim(key); err == nil && !ok {
			b.log.Warn("name claimed by another node while Redis was away", "name", key)
		}
		for _, pl := range places.rooms {
			if all {
				b.do("HSET", membersKey(pl.key), b.node+" "+pl.name, pl.room)
				b.do("SADD", "wschat:rooms", pl.key)
			}
			rooms[pl.key] = true
		}
	}
	for key := range rooms {
		b.members(key) // clears the places of nodes that are gone
	}
}
