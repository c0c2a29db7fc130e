package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"wschat/internal/bytesize"
	"wschat/internal/engine"

	"wschat/internal/store"
	"wschat/internal/textrules"
)

// Private messages. Without tokens a name is whoever holds it now, so a
// private message goes to whoever is online under that name, on any node,
// and is kept nowhere: the next holder of the name must not read it.
// With tokens a name is an account: a private message is kept in the
// mailbox of each of the two before either gets it; one to an account
// that is offline waits there, and every connection of an account is
// replayed its mailbox's latest messages when it connects. Mail is kept
// only for an account that has a mailbox: one online, one that has
// connected before, or one MailFor knows to exist; and within the mail's
// bounds, the recipient's copy charged to the sender's participant.

// private sends text from s to the participant called to, in whatever
// room, and back to s: the two of them see it, and nobody else.
func (s *Session) private(to, words string) {
	if to == "" || words == "" {
		s.answer(CodeUsage, "usage: /msg NAME TEXT")
		return
	}
	m := message{Type: "private", Name: s.name, To: to, Text: words, ClientID: s.req.clientID}
	if r := s.sendPrivate(m); r != nil {
		s.answer(r.Code, r.Text)
	}
}

// sendPrivate delivers m, a private message from s, to its recipient
// and back to s, or says why it could not. It may be called from any
// goroutine: it tells s nothing but what needs no answer (mail kept).
func (s *Session) sendPrivate(m message) *Refusal {
	c := s.c
	key := textrules.Fold(m.To)
	here := c.hub.find(key)
	if len(here) > 0 {
		m.To = here[0].name
	}
	if c.opts.Accounts {
		return s.mail(key, m)
	}
	if len(here) == 0 {
		return s.privateElsewhere(key, m)
	}
	for _, q := range here {
		q.send(privatePayload(q, m, store.ID{}, false))
	}
	if here[0].key != s.key {
		s.send(privatePayload(s, m, store.ID{}, false))
	}
	c.Stats.Private.Add(1)
	return nil
}

// privateElsewhere hands m to the node where the name whose key is key is
// held, if any, and sends s its copy.
func (s *Session) privateElsewhere(key string, m message) *Refusal {
	ctx, cancel := call()
	defer cancel()
	online, err := s.c.broker.Private(ctx, key, encodeMessage(m))
	switch {
	case err != nil:
		s.c.failed("send a private message", err)
		return refuse(CodeUnavailable, unavailable)
	case !online:
		return refuse(CodeNotOnline, fmt.Sprintf("%s is not online", m.To))
	}
	s.send(privatePayload(s, m, store.ID{}, false))
	s.c.Stats.Private.Add(1)
	return nil
}

// mail keeps m, from s to the account whose key is key, in both
// mailboxes; the engine then gives it to every connection of the two.
// If it cannot be kept, nobody gets it, and mail says why.
func (s *Session) mail(key string, m message) *Refusal {
	c := s.c
	exists := len(c.hub.find(key)) > 0 || c.opts.MailFor != nil && c.opts.MailFor(key, m.To)
	ctx, cancel := call()
	defer cancel()
	err := c.mail.Keep(ctx, engine.Letter{From: s.key, To: key, Sender: s.p.key, Create: exists, Payload: encodeMessage(m)})
	switch {
	case errors.Is(err, engine.ErrNoMailbox):
		return refuse(CodeNoMailbox, fmt.Sprintf("%s is not online, and nothing was kept: there is no mailbox for %s (no account of that name has connected here)", m.To, m.To))
	case err != nil:
		return s.c.refusal(err, mailWords(m.To))
	}
	c.Stats.Private.Add(1)
	s.tellIfOffline(key, m.To)
	return nil
}

// tellIfOffline tells s that name, whose key is key, is offline, so that
// the mail just kept waits for them. It asks with a timeout of its own:
// one shared with the keeping could run out on a loaded engine, and the
// notice be lost without a word.
func (s *Session) tellIfOffline(key, name string) {
	ctx, cancel := call()
	defer cancel()
	online, err := s.c.presence.Online(ctx, key)
	switch {
	case err != nil:
		s.c.failed("learn whether someone is online", err)
	case !online:
		s.tell(CodeMailKept, fmt.Sprintf("%s is offline: they will get your message when they next connect", name))
	}
}

// privatePayload is a private message for s: sent now, or kept as id
// when id is not zero, and replayed when history is set.
func privatePayload(s *Session, m message, id store.ID, history bool) []byte {
	if !s.json {
		return m.line()
	}
	e := event{Type: "private", Time: time.Now().UTC().Format(timeFormat), Name: m.Name, To: m.To, Text: m.Text, File: m.File, Sealed: m.Sealed,
		History: history, ClientID: m.ClientID}
	if !id.IsZero() {
		e.ID, e.Time = id.String(), id.Time().Format(timeFormat)
	}
	return jsonPayload(e)
}

// encodeMessage encodes what the room log keeps of m.
func encodeMessage(m message) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("encode a message: %v", err)) // strings and numbers always encode
	}
	return b
}

// post keeps m, from s, in the log of s's room, which then delivers it to
// everyone in the room. It returns once that is done and the members it
// put behind have drained (flow control), so that a sender runs neither
// ahead of the log nor of its readers. A message that cannot be kept is
// not delivered, and post says why; s is not told.
func (s *Session) post(m message) (store.ID, *Refusal) {
	r := s.c.hub.roomOf(s)
	if m.Type != "moderation" {
		if ref := s.mutedIn(r); ref != nil {
			return store.ID{}, ref
		}
	}
	room := r.key
	ctx, cancel := call()
	defer cancel()
	id, d, err := s.c.broker.Publish(ctx, room, s.p.key, encodeMessage(m))
	if err != nil {
		return store.ID{}, s.c.refusal(err, historyWords)
	}
	if d != nil {
		d.Wait()
	}
	return id, nil
}

// refusal is why a message was not kept, and so went to nobody: past a
// bound, in the words words gives, or for want of a store.
func (c *Chat) refusal(err error, words func(*store.LimitError) (Code, string)) *Refusal {
	var le *store.LimitError
	if errors.As(err, &le) {
		c.Stats.OverBounds.Add(1)
		return refuse(words(le))
	}
	c.Stats.NotStored.Add(1)
	c.failed("keep a message", err)
	if isUnavailable(err) {
		return refuse(CodeUnavailable, unavailable)
	}
	return refuse(CodeNotStored, "your message was not sent: the server could not store it; try again later")
}

// historyWords says why a message past a bound of history was not sent.
func historyWords(le *store.LimitError) (Code, string) {
	size := bytesize.Approx(le.Max)
	if le.Err == store.ErrFull {
		return CodeHistoryFull, "your message was not sent: the server keeps as much history as it may (" + size + ") until older messages age out; try again later"
	}
	return CodeHistoryShare, "your message was not sent: the messages of yours the rooms keep have reached your share (" + size + "); it frees as rooms move on and as messages age out"
}

// mailWords says why a letter to to past a bound of mail was not kept.
func mailWords(to string) func(*store.LimitError) (Code, string) {
	return func(le *store.LimitError) (Code, string) {
		size := bytesize.Approx(le.Max)
		switch le.Err {
		case store.ErrFull:
			return CodeMailFull, "nothing was kept: the server holds as much mail as it may (" + size + "); try again later"
		case store.ErrRoomShare:
			return CodeMailShare, "nothing was kept: " + to + "'s mailbox holds as much from you as one person may leave there (" + size + ") until older letters age out"
		}
		return CodeMailShare, "nothing was kept: the mail you have left for others has reached your share (" + size + ") until older letters age out"
	}
}
