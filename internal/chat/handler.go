package chat

import (
	"bytes"
	"encoding/json"

	"wschat/internal/engine"
	"wschat/internal/store"
	"wschat/internal/textrules"
)

// handler is the chat as its engine sees it (engine.Handler).
type handler struct{ c *Chat }

// Deliver implements engine.Handler: the room's members here get the
// message, if the room is open here. One that closed in the meantime had
// nobody to tell, and a newcomer who opens it again gets the message as
// history.
func (h handler) Deliver(room string, rec store.Record) engine.Delivery {
	if isPostPayload(rec.Payload) {
		h.c.activity.note(room, rec.ID)
	}
	r := h.c.hub.room(room)
	if r == nil {
		return nil
	}
	var m message
	if err := json.Unmarshal(rec.Payload, &m); err != nil {
		return nil // the chat writes every message: this cannot be
	}
	if m.Type != "moderation" {
		return r.deliver(rec.ID, m)
	}
	// The room's copy of its record is out of date before anyone hears
	// of the change, and a kick or ban closes connections after they did.
	r.outdate()
	d := r.deliver(rec.ID, m)
	r.enforce(m)
	return d
}

// isPostPayload reports whether a kept payload is a chat message or a
// file's, without decoding it: encodeMessage writes "type" first.
func isPostPayload(p []byte) bool {
	return bytes.HasPrefix(p, []byte(`{"type":"message"`)) || bytes.HasPrefix(p, []byte(`{"type":"file"`))
}

// Mail implements engine.Handler: every connection of the owner here gets
// its copy of a private message.
func (h handler) Mail(owner string, rec store.Record) {
	var m message
	if json.Unmarshal(rec.Payload, &m) != nil {
		return
	}
	for _, s := range h.c.hub.find(owner) {
		s.deliverMail(rec.ID, m)
	}
}

// Private implements engine.Handler: the holder of the name here gets an
// unkept private message, a mention or a report; a report to every node
// (key "") goes to the administrators by token claim here.
func (h handler) Private(key string, payload []byte) {
	var m message
	if json.Unmarshal(payload, &m) != nil {
		return
	}
	switch m.Type {
	case "mention":
		h.c.tellMentioned(key, m)
		return
	case "report":
		if key == "" {
			h.c.tellTokenAdmins(m, nil)
		} else {
			h.c.tellReport(key, m)
		}
		return
	}
	for _, s := range h.c.hub.find(key) {
		s.send(privatePayload(s, m, store.ID{}, false))
	}
}

// Presence implements engine.Handler.
func (h handler) Presence(room, name string, joined bool) {
	if r := h.c.hub.room(room); r != nil {
		if h.c.hub.inRoom(h.c.hub.find(textrules.Fold(name)), room) == nil { // here too: said here already
			r.remoteNotice(name, joined)
		}
	}
}

// Delivered implements engine.Handler.
func (h handler) Delivered() map[string]store.ID {
	rooms := h.c.hub.openRooms()
	out := make(map[string]store.ID, len(rooms))
	for _, r := range rooms {
		r.mu.Lock()
		out[r.key] = r.lastID
		r.mu.Unlock()
	}
	return out
}
