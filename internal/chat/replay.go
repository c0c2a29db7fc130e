package chat

import (
	"encoding/json"
	"slices"

	"wschat/internal/store"
)

// Replay. A newcomer to a room gets its history, then its live messages,
// with nothing missed, nothing twice and nothing out of order, and never
// more in memory at once than a page of the room log and its own outbox:
//
//  1. On entering (enterLocked) the session is marked as catching up:
//     the room's live messages are held for it (hold), not sent.
//  2. A goroutine of the session's own (replayer) reads the history a
//     page at a time from the engine, outside every lock, and sends it
//     under the same flow control as live messages: when the client's
//     outbox is past its soft limit, it waits for the client (Wait).
//  3. When a page comes back short, it has caught up: under the room's
//     lock it sends what was held that came after the last message it
//     replayed, and lets live messages through (goLive). Anything held
//     that it read from the log as well is not sent twice; anything
//     delivered later that it replayed already is skipped (after).
//  4. With accounts, its mailbox's latest messages follow, the same way:
//     private messages kept from its joining on are held (deliverMail),
//     and after the mailbox's replay those it did not have go out
//     (mailLive). One handed over late, as another node's announcement
//     may be, is not sent twice either.
//
// Everything held is in the log too, so when more is held than
// Options.HoldBytes allows it is dropped, and read again from the log.
// The session's reader goes on meanwhile, so that the client's pings are
// answered and its close is read; a message it sends waits for the
// replay to end (Receive), so that its answer comes after the history.

// replayer is a session's replay under way.
type replayer struct {
	stop chan struct{} // closed to stop it
	done chan struct{} // closed once it has stopped
}

// hold keeps a live message for a session catching up. The caller holds
// the room's lock.
func (s *Session) hold(id store.ID, encoded []byte) {
	if s.overflow {
		return
	}
	if s.heldBytes+len(encoded) > s.c.opts.HoldBytes {
		s.held, s.heldBytes, s.overflow = nil, 0, true
		return
	}
	s.held = append(s.held, heldMessage{id, encoded})
	s.heldBytes += len(encoded)
}

// startReplay replays room r's history to the session, from where from
// says, then its mailbox's latest messages if mail is set, on a goroutine
// of its own.
func (s *Session) startReplay(r *room, from replayFrom, mail bool) {
	rp := &replayer{stop: make(chan struct{}), done: make(chan struct{})}
	s.replay.Store(rp)
	go func() {
		defer func() {
			close(rp.done)
			s.replay.CompareAndSwap(rp, nil)
		}()
		done := s.replayRoom(rp, r, from)
		switch {
		case done && mail:
			s.replayMail(rp)
		case mail:
			s.mailLive(store.ID{}) // no history, but mail from now on
		}
	}()
}

// awaitReplay waits for the replay under way, if any, to end. Only the
// session's reader calls it.
func (s *Session) awaitReplay() {
	if rp := s.replay.Load(); rp != nil {
		<-rp.done
	}
}

// stopReplay stops the replay under way, if any, and waits for it to
// stop. Only the session's reader calls it.
func (s *Session) stopReplay() {
	if rp := s.replay.Load(); rp != nil {
		close(rp.stop)
		<-rp.done
	}
}

// replayRoom replays r's history, then lets its live messages through,
// and reports whether it got that far.
func (s *Session) replayRoom(rp *replayer, r *room, from replayFrom) bool {
	cursor, ok := s.start(rp, r, from)
	page := s.c.opts.ReplayPage
	for ok {
		var recs []store.Record
		recs, ok = s.read(rp, func() ([]store.Record, error) {
			ctx, cancel := call()
			defer cancel()
			return s.c.history.After(ctx, r.key, cursor, page)
		})
		for _, rec := range recs {
			if !s.replayOne(rp, r, rec) {
				return false
			}
			cursor = rec.ID
		}
		if ok && len(recs) < page && s.goLive(r, cursor) {
			return true
		}
	}
	return false
}

// start returns the id the replay starts after: from's, or, counting
// from the end, the one before the oldest of the room's last from.last
// messages, found by paging back.
func (s *Session) start(rp *replayer, r *room, from replayFrom) (store.ID, bool) {
	if !from.fromEnd {
		return from.after, true
	}
	// Even for none, the newest message is where the end is.
	cursor, want := store.MaxID, max(from.last, 1)
	for want > 0 {
		recs, ok := s.read(rp, func() ([]store.Record, error) {
			ctx, cancel := call()
			defer cancel()
			return s.c.history.Before(ctx, r.key, cursor, min(want, s.c.opts.ReplayPage))
		})
		if !ok {
			return store.ID{}, false
		}
		if len(recs) == 0 {
			break
		}
		cursor, want = recs[0].ID, want-len(recs)
	}
	switch {
	case cursor == store.MaxID:
		return store.ID{}, true // no history: everything is new
	case from.last == 0:
		return cursor, true // the newest: nothing before it
	}
	return justBefore(cursor), true
}

// justBefore is the id right before id.
func justBefore(id store.ID) store.ID {
	switch {
	case id.Seq > 0:
		return store.ID{Ms: id.Ms, Seq: id.Seq - 1}
	case id.Ms > 0:
		return store.ID{Ms: id.Ms - 1, Seq: ^uint64(0)}
	}
	return id
}

// read runs one read from the engine unless the replay is stopped, and
// tells the client when the engine cannot answer.
func (s *Session) read(rp *replayer, f func() ([]store.Record, error)) ([]store.Record, bool) {
	if stopped(rp) {
		return nil, false
	}
	recs, err := f()
	if err != nil {
		s.c.failed("read a room's history", err)
		s.tell(CodeUnavailable, "your room's history could not be read: reconnect to get it")
		return nil, false
	}
	return recs, true
}

// replayOne sends the session one message of r's history, marked as such
// in JSON, and waits for the client to take it if its outbox is full. It
// reports whether to go on.
func (s *Session) replayOne(rp *replayer, r *room, rec store.Record) bool {
	if stopped(rp) {
		return false
	}
	var m message
	if err := json.Unmarshal(rec.Payload, &m); err != nil {
		return true // the log keeps only what the chat wrote: this cannot be
	}
	p := m.line()
	if s.json {
		p = jsonPayload(roomEvent(r.name, rec.ID, m, true))
	}
	if s.t.Send(s.c.enc.Frame(p)) {
		s.t.Wait()
	}
	return true
}

// goLive ends the replay of r at cursor, the last message sent: what was
// held after it goes out, and live messages from then on. When more was
// held than may be, it reports false, and the replay reads on from the
// log instead.
func (s *Session) goLive(r *room, cursor store.ID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.room != r || !s.catching {
		return true // moved or gone meanwhile
	}
	if s.overflow {
		s.overflow = false
		return false
	}
	for _, h := range s.held {
		if cursor.Less(h.id) {
			s.t.Send(h.encoded)
			cursor = h.id
		}
	}
	s.catching, s.held, s.heldBytes, s.after = false, nil, 0, cursor
	return true
}

// replayMail sends the session its mailbox's latest messages, then lets
// mail through.
func (s *Session) replayMail(rp *replayer) {
	recs, _ := s.read(rp, func() ([]store.Record, error) {
		ctx, cancel := call()
		defer cancel()
		return s.c.mail.Latest(ctx, s.key, s.c.opts.Replay)
	})
	var cursor store.ID
	for _, rec := range recs {
		if stopped(rp) {
			break
		}
		var m message
		if json.Unmarshal(rec.Payload, &m) == nil {
			if s.t.Send(s.c.enc.Frame(privatePayload(s, m, rec.ID, true))) {
				s.t.Wait()
			}
		}
		cursor = rec.ID
	}
	s.mailLive(cursor)
}

// mailHold is the most private messages held for a session while its
// mailbox is replayed; past it the oldest are let go, as the mailbox's
// replay would have left them out too.
const mailHold = 256

// deliverMail sends the session a private message kept in its mailbox
// as id, unless its mailbox is being replayed: then it is held until the
// replay ends (mailLive). One it was replayed already is not sent.
func (s *Session) deliverMail(id store.ID, m message) {
	encoded := s.c.enc.Frame(privatePayload(s, m, id, false))
	ms := s.box
	if ms == nil {
		s.t.Send(encoded)
		return
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	switch {
	case ms.catching:
		if len(ms.held) == mailHold {
			ms.held = slices.Delete(ms.held, 0, 1)
		}
		ms.held = append(ms.held, heldMessage{id, encoded})
	case ms.after.Less(id):
		s.t.Send(encoded)
	}
}

// mailLive ends the replay of the mailbox at cursor, the last message
// sent: what was held after it goes out, in order, and mail from then on.
func (s *Session) mailLive(cursor store.ID) {
	ms := s.box
	ms.mu.Lock()
	defer ms.mu.Unlock()
	slices.SortFunc(ms.held, func(a, b heldMessage) int {
		switch {
		case a.id.Less(b.id):
			return -1
		case b.id.Less(a.id):
			return 1
		}
		return 0
	})
	for _, h := range ms.held {
		if cursor.Less(h.id) {
			s.t.Send(h.encoded)
			cursor = h.id
		}
	}
	ms.catching, ms.held, ms.after = false, nil, cursor
}

// stopped reports whether the replay has been told to stop.
func stopped(rp *replayer) bool {
	select {
	case <-rp.stop:
		return true
	default:
		return false
	}
}
