package chat

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"wschat/internal/engine"
	"wschat/internal/store"
	"wschat/internal/textrules"
)

// Acting on messages. A participant may reply to a message of its room,
// react to one with an emoji (a toggle: once on, the same again takes it
// back), and edit or delete its own. Each action is checked against the
// message as its room's history has it now (inspect), then kept in that
// history as a record of its own, which every member gets as an event
// (edit, delete, react) and whoever reads the history later gets folded
// into the message (fold.go). An action counts against its sender's rate
// and share of history like a message.

// owner is who may edit or delete the session's messages, as kept with
// each: the participant and the name together, hashed, so that the log
// holds no address twice. With accounts that is the account on any
// device; without, the same name from the same address, as after a
// reload of the page.
func owner(participant, key string) string {
	sum := sha256.Sum256([]byte(participant + "\x00" + key))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// target is a message of a room's, as it stands now.
type target struct {
	id store.ID
	m  message
	st *state
}

// inspect reads the message of s's room that idText names, and what
// has been done to it since, within a request's budget. It returns a
// refusal when there is no such message (or it is deleted), or it could
// not be read.
func (s *Session) inspect(idText string) (target, *Refusal) {
	id, err := store.ParseID(idText)
	if err != nil || id.IsZero() {
		return target{}, refuse(CodeUsage, fmt.Sprintf("%q is not the id of a message: ids look like %s (JSON clients have them; /history shows them)", idText, store.ID{Ms: 1796045000123}))
	}
	room := s.c.hub.roomOf(s)
	m, ok, err := s.c.record(room.key, id)
	if err != nil {
		return target{}, s.c.readRefusal(err)
	}
	gone := refuse(CodeNoMessage, fmt.Sprintf("%s keeps no message %s: it may have been deleted, or be too old", room.name, idText))
	if !ok || !m.isPost() {
		return target{}, gone
	}
	f := newFold()
	full := false
	on := []byte(`"target":"` + idText + `"`)
	err = s.c.scanFor(s.c.budget(), room.key, id, true, on, func(rec store.Record, a message) bool {
		if a.isAction() && a.Target == idText && !f.add(rec.ID, a) {
			full = true
		}
		return !full
	})
	if err != nil || full {
		return target{}, s.c.readRefusal(cmpErr(err, errSpent))
	}
	st := f.of(id)
	if st != nil && st.deleted {
		return target{}, gone
	}
	return target{id: id, m: m, st: st}, nil
}

// cmpErr returns err, or def when err is nil.
func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// readRefusal is the refusal of a request whose read of history failed:
// the engine away, or the budget spent.
func (c *Chat) readRefusal(err error) *Refusal {
	if errors.Is(err, errSpent) {
		return refuse(CodeTooCostly, "that would read more of the room's history than one request may: try a newer message, or fewer")
	}
	c.failed("read a room's history", err)
	return refuse(CodeUnavailable, unavailable)
}

// reply posts words from s to its room, as an answer to the message
// idText names.
func (s *Session) reply(idText, words string) {
	if words == "" {
		s.answer(CodeUsage, "usage: /reply ID TEXT")
		return
	}
	t, r := s.inspect(idText)
	if r != nil {
		s.answer(r.Code, r.Text)
		return
	}
	m := s.message(words)
	m.ReplyTo, m.ReplyName = t.id.String(), t.m.Name
	s.keep(m)
}

// edit gives s's message idText the text words.
func (s *Session) edit(idText, words string) {
	if words == "" {
		s.answer(CodeUsage, "usage: /edit ID TEXT (to take a message back, /delete ID)")
		return
	}
	t, r := s.mine(idText)
	if r != nil {
		s.answer(r.Code, r.Text)
		return
	}
	if t.m.Sealed != nil {
		s.answer(CodeNotEditable, "an encrypted message cannot be edited: delete it and send another")
		return
	}
	if t.m.Type != "message" {
		s.answer(CodeNotEditable, "a shared file cannot be edited: delete it and share another")
		return
	}
	s.keep(message{Type: "edit", Name: s.name, To: t.m.Name, Text: words, Target: idText, ClientID: s.req.clientID})
}

// remove deletes the message idText, s's own or, for an operator of
// the room or an administrator, anyone's: nobody is sent it again.
func (s *Session) remove(idText string) {
	t, r := s.mine(idText)
	if r != nil && r.Code == CodeNotYours && s.c.opts.Accounts {
		rec, err := s.c.recordOf(s.c.hub.roomOf(s))
		if err == nil && s.roleIn(rec) >= operator {
			r = nil
			s.c.audit(engine.AuditEntry{Room: s.c.hub.roomOf(s).name, Actor: s.name, Action: "delete", Target: t.m.Name})
		}
	}
	if r != nil {
		s.answer(r.Code, r.Text)
		return
	}
	s.keep(message{Type: "delete", Name: s.name, To: t.m.Name, Target: idText, ClientID: s.req.clientID})
}

// mine inspects the message idText, which must be s's own.
func (s *Session) mine(idText string) (target, *Refusal) {
	t, r := s.inspect(idText)
	if r == nil && (t.m.Owner == "" || t.m.Owner != s.owner) {
		r = refuse(CodeNotYours, fmt.Sprintf("message %s is %s's: you may edit and delete only your own", idText, t.m.Name))
	}
	return t, r
}

// react puts emoji on the message idText for s, or takes it back if s
// has it on already.
func (s *Session) react(idText, emoji string) {
	if !textrules.CheckEmoji(emoji) {
		s.answer(CodeBadEmoji, fmt.Sprintf("%q is not an emoji: react with one, such as 👍", emoji))
		return
	}
	t, r := s.inspect(idText)
	if r != nil {
		s.answer(r.Code, r.Text)
		return
	}
	on, present, kinds := t.st.isOn(emoji, s.key)
	if !on && !present && kinds >= maxReactionKinds {
		s.answer(CodeTooManyReactions, fmt.Sprintf("message %s has %d different reactions, the most one may: add to one of them", idText, maxReactionKinds))
		return
	}
	s.keep(message{Type: "react", Name: s.name, To: t.m.Name, Target: idText, Emoji: emoji, On: !on, ClientID: s.req.clientID})
}
