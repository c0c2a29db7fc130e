package redis

import (
	"bytes"
	"context"
	"strconv"
	"strings"

	"wschat/internal/engine"
	"wschat/internal/resp"
	"wschat/internal/store"
)

// Publish implements engine.Broker. The message reaches this node's chat
// through the announcements, like every other node's.
func (e *Engine) Publish(ctx context.Context, room, sender string, payload []byte) (store.ID, engine.Delivery, error) {
	id, err := e.append(ctx, e.rooms, room, sender, payload)
	return id, nil, err
}

// StartPublish implements engine.Pipeliner.
func (e *Engine) StartPublish(ctx context.Context, room, sender string, payload []byte) func(context.Context) (store.ID, error) {
	return e.startAppend(ctx, e.rooms, room, sender, payload)
}

// Private implements engine.Broker: the message is announced to every
// node, and the one where the name is held hands it over; with the key
// "", every other node does.
func (e *Engine) Private(ctx context.Context, key string, payload []byte) (bool, error) {
	if key != "" {
		online, err := e.Online(ctx, key)
		if err != nil || !online {
			return false, err
		}
	}
	_, err := e.do(ctx, "PUBLISH", eventsChannel, "p\n"+key+"\n"+e.node+"\n"+string(payload))
	return err == nil, err
}

// follow reads what the nodes announce, in order, until the engine
// closes. After a gap it reads every open room's stream where it left
// off, so that nothing is missed and nothing comes out of order. A
// catch-up that fails (the commands' connection may come back after the
// subscription's) is tried again when Redis is back. It runs here,
// between announcements, never beside them: a room delivers nothing
// older than what it has delivered.
func (e *Engine) follow() {
	behind := false
	for {
		select {
		case ev, ok := <-e.sub.Events():
			if !ok {
				return
			}
			if ev.Kind == resp.EventReconnected {
				behind = !e.catchUp()
			} else {
				e.dispatch(ev.Payload)
			}
		case <-e.reconnected:
			if behind {
				behind = !e.catchUp()
			}
		}
	}
}

// dispatch acts on one announcement: "KIND\nKEY\nID\nPAYLOAD" for a
// message ('m') or mail ('q'), "KIND\nKEY\nNODE\nNAME" for a join ('j')
// or a leave ('l') in room KEY, "p\nKEY\nNODE\nPAYLOAD" for a private
// message to whoever holds the name KEY. Anything else is ignored.
func (e *Engine) dispatch(ev []byte) {
	parts := bytes.SplitN(ev, []byte("\n"), 4)
	if len(parts) != 4 {
		return
	}
	kind, key, third, rest := string(parts[0]), string(parts[1]), string(parts[2]), parts[3]
	switch kind {
	case "m", "q":
		id, err := store.ParseID(third)
		if err != nil {
			return
		}
		if kind == "m" {
			e.h.Deliver(key, store.Record{ID: id, Payload: rest})
		} else {
			e.h.Mail(key, store.Record{ID: id, Payload: rest})
		}
	case "j", "l":
		if third != e.node {
			e.h.Presence(key, string(rest), kind == "j")
		}
	case "p":
		if third != e.node {
			e.h.Private(key, rest)
		}
	}
}

// catchUp delivers what every open room's stream has after the last
// message the room delivered, and reports whether it could.
func (e *Engine) catchUp() bool {
	for room, last := range e.h.Delivered() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		recs, err := e.records(ctx, "XRANGE", e.rooms.streams+room, "("+last.String(), "+", e.rooms.keep)
		cancel()
		if err != nil {
			e.log.Warn("catch up on a room: will try again when Redis is back", "room", room, "err", err)
			return false
		}
		for _, rec := range recs {
			e.h.Deliver(room, rec)
		}
	}
	return true
}

// records reads a range of a stream: XRANGE or XREVRANGE with its bounds
// and count. It returns the records oldest first.
func (e *Engine) records(ctx context.Context, cmd, stream, from, to string, n int) ([]store.Record, error) {
	v, err := e.read(ctx, cmd, stream, from, to, "COUNT", strconv.Itoa(n))
	if err != nil {
		return nil, err
	}
	recs := make([]store.Record, 0, v.Len())
	for _, entry := range v.Elems() {
		if rec, ok := record(entry); ok {
			recs = append(recs, rec)
		}
	}
	if strings.HasPrefix(cmd, "XREV") {
		for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
			recs[i], recs[j] = recs[j], recs[i]
		}
	}
	return recs, nil
}

// record reads one stream entry, [id, [field, value, ...]], whose
// message is the field "m" (its sender, if any, is "o"); only the chat
// writes these, so anything else is skipped.
func record(entry resp.Value) (store.Record, bool) {
	f := entry.Elems()
	if len(f) != 2 {
		return store.Record{}, false
	}
	id, err := store.ParseID(f[0].Str())
	if err != nil {
		return store.Record{}, false
	}
	kv := f[1].Elems()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i].Str() == "m" {
			return store.Record{ID: id, Payload: kv[i+1].Bytes()}, true
		}
	}
	return store.Record{}, false
}
