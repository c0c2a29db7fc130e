package chat

import (
	"encoding/json"
	"errors"
	"slices"

	"wschat/internal/store"
)

// Replay. A newcomer to a room gets its history, then its live messages,
// with nothing missed, nothing twice and nothing out of order, and never
// more in memory at once than a page of the room log, the actions it
// folds and its own outbox:
//
//  1. On entering (enterLocked) the session is marked as catching up:
//     the room's live messages are held for it (hold), not sent.
//  2. A goroutine of the session's own (replayer) first reads what it
//     will send, within a request's budget, folding the actions on the
//     messages into a fold (prepare, fold.go): back from the end until it
//     has the last messages not deleted, or forward from the client's
//     since. Then it reads the history again a page at a time from the
//     engine, outside every lock, and sends each message as it stands,
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
	w, ok := s.prepare(rp, r, from)
	cursor := w.start
	page := s.c.opts.ReplayPage
	for ok {
		var recs []store.Record
		recs, ok = s.read(rp, func() ([]store.Record, error) {
			ctx, cancel := call()
			defer cancel()
			return s.c.history.After(ctx, r.key, cursor, page)
		})
		for _, rec := range recs {
			if !s.replayOne(rp, r, rec, w) {
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

// window is what a replay sends: the records after start, each message
// as the actions up to horizon leave it (fold.go). What came after
// horizon goes as it came, actions as events of their own.
type window struct {
	start   store.ID
	horizon store.ID // the newest record folded
	fold    *fold
	// resend: actions on messages before start are sent, since the client
	// saw those (it asked for what came since); a newcomer is not sent
	// them, since it has not.
	resend bool
}

// prepare reads what the replay will send, folding the actions in it,
// within a request's budget: from the end back, until from.last messages
// that are not deleted, or forward from the id the client saw. Past the
// budget it folds no further: the rest goes as it came.
func (s *Session) prepare(rp *replayer, r *room, from replayFrom) (window, bool) {
	w := window{fold: newFold(), start: from.after, horizon: from.after, resend: !from.fromEnd}
	var err error
	switch {
	case !from.fromEnd:
		err = s.c.scanFor(s.c.budget(), r.key, from.after, true, actionMark, func(rec store.Record, m message) bool {
			more := !m.isAction() || !w.inWindow(m) || w.fold.add(rec.ID, m)
			w.horizon = rec.ID
			return more && !stopped(rp)
		})
	case from.last == 0:
		// None: the newest message is where the replay starts.
		recs, ok := s.read(rp, func() ([]store.Record, error) {
			ctx, cancel := call()
			defer cancel()
			return s.c.history.Before(ctx, r.key, store.MaxID, 1)
		})
		if len(recs) > 0 {
			w.start, w.horizon = recs[0].ID, recs[0].ID
		}
		return w, ok
	default:
		err = s.foldLast(rp, r, from.last, &w)
	}
	if errors.Is(err, errSpent) {
		err = nil
	}
	if err != nil {
		s.unreadable(err)
		return w, false
	}
	return w, !stopped(rp)
}

// foldLast reads r's history back from the end until it has last
// lines (messages that are not deleted, and moderation messages),
// folding the actions it meets: actions come after the messages they act
// on, so each message it counts has had all of its folded. The replay starts just before the oldest.
func (s *Session) foldLast(rp *replayer, r *room, last int, w *window) error {
	count := 0
	err := s.c.scan(s.c.budget(), r.key, store.MaxID, false, func(rec store.Record, m message) bool {
		if w.horizon.IsZero() {
			w.horizon = rec.ID
			w.start = rec.ID // nothing to replay, unless a message is counted
		}
		switch {
		case m.isAction():
			if !w.fold.add(rec.ID, m) {
				return false
			}
		case m.isLine() && !w.fold.deleted(rec.ID):
			count++
			w.start = justBefore(rec.ID)
			if count == last {
				return false
			}
		}
		return !stopped(rp)
	})
	return err
}

// inWindow reports whether the action m acts on a message the replay
// sends.
func (w window) inWindow(m message) bool {
	target, err := store.ParseID(m.Target)
	return err == nil && w.start.Less(target)
}

// unreadable tells the client its room's history could not be read.
func (s *Session) unreadable(err error) {
	s.c.failed("read a room's history", err)
	s.send(notice(CodeUnavailable, "your room's history could not be read: reconnect to get it").pick(s.json))
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
		s.unreadable(err)
		return nil, false
	}
	return recs, true
}

// replayOne sends the session one record of r's history, as the window
// says (a message as it stands, marked as history in JSON; an action
// as an event, or nothing once folded), and waits for the client to take
// it if its outbox is full. It reports whether to go on.
func (s *Session) replayOne(rp *replayer, r *room, rec store.Record, w window) bool {
	if stopped(rp) {
		return false
	}
	var m message
	if err := json.Unmarshal(rec.Payload, &m); err != nil {
		return true // the log keeps only what the chat wrote: this cannot be
	}
	folded := !w.horizon.Less(rec.ID)
	f := apply(rec.ID, m, nil)
	switch {
	case m.isAction():
		in := w.inWindow(m)
		if in && folded || !in && !w.resend {
			return true
		}
	case folded:
		st := w.fold.of(rec.ID)
		if st != nil && st.deleted {
			return true
		}
		f = apply(rec.ID, m, st)
	}
	p := f.line()
	if s.json {
		p = jsonPayload(f.event(r.name, true))
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
