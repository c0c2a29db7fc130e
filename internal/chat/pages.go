package chat

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"wschat/internal/store"
	"wschat/internal/textrules"
)

// Finding messages. Beyond what a newcomer is replayed, a client may read
// the whole of its room's kept history a page at a time, older and older
// (history), and look for the messages that say something (search).
// Each message comes as it stands now, deleted ones not at all. Both read
// the engine within a request's budget (scan.go); their answers are
// bounded in messages and bytes.

// Bounds of a page of history and of a search's answer.
const (
	defaultPage   = 50      // messages in a page of history, when the client names no limit
	maxPage       = 100     // the most a client may ask for
	textPage      = 20      // messages /history shows a plain text client
	pageBytes     = 1 << 20 // what one answer's messages may take: it ends early past this
	maxQuery      = 200     // bytes of a search
	searchResults = 20      // messages a search finds at most at a time
)

// page is one answer: messages as they stand, oldest first.
type page struct {
	msgs    []folded
	bytes   int
	more    bool     // there may be more before before
	before  store.ID // where the next page would end
	partial bool     // a search read only part of the history
}

// add adds f to the page, and reports whether the page has room for more.
func (p *page) add(f folded, limit int) bool {
	p.msgs = append(p.msgs, f)
	p.bytes += len(f.m.Text) + recordCost
	return len(p.msgs) < limit && p.bytes < pageBytes
}

// history answers a request for the page of messages of s's room before
// the id beforeText names (the latest, if none), of at most limit (0:
// defaultPage) messages.
func (s *Session) history(beforeText string, limit int) {
	room := s.c.hub.roomOf(s)
	before, ok := s.pageStart(beforeText)
	if !ok {
		return
	}
	limit = cmp.Or(limit, defaultPage)
	if limit < 1 || limit > maxPage {
		s.answer(CodeUsage, fmt.Sprintf("a page of history has 1 to %d messages", maxPage))
		return
	}
	b := s.c.budget()
	f := newFold()
	full := false
	var err error
	if before != store.MaxID {
		// Actions on the page's messages may come after before.
		err = s.c.scanFor(b, room.key, justBefore(before), true, actionMark, func(rec store.Record, m message) bool {
			full = m.isAction() && !f.add(rec.ID, m)
			return !full
		})
		if err != nil || full {
			r := s.c.readRefusal(cmpErr(err, errSpent))
			s.answer(r.Code, r.Text)
			return
		}
	}
	var p page
	err = s.c.scan(b, room.key, before, false, func(rec store.Record, m message) bool {
		p.before = rec.ID
		switch {
		case m.isAction():
			p.more = !f.add(rec.ID, m) // full: the page ends here
		case m.isPost() && !f.deleted(rec.ID):
			p.more = !p.add(apply(rec.ID, m, f.of(rec.ID)), limit)
		}
		return !p.more
	})
	p.more = p.more || errors.Is(err, errSpent) && len(p.msgs) > 0
	if err != nil && !p.more {
		r := s.c.readRefusal(err)
		s.answer(r.Code, r.Text)
		return
	}
	slices.Reverse(p.msgs)
	s.sendPage("history", room, "", p)
}

// pageStart reads where a page ends: before the id beforeText names, or
// at the end. It tells s when it names none.
func (s *Session) pageStart(beforeText string) (store.ID, bool) {
	if beforeText == "" {
		return store.MaxID, true
	}
	id, err := store.ParseID(beforeText)
	if err != nil {
		s.answer(CodeUsage, fmt.Sprintf("%q is not the id of a message: ids look like %s", beforeText, store.ID{Ms: 1796045000123}))
		return store.ID{}, false
	}
	return id, true
}

// search answers a search of s's room's history for the messages that
// say query, ignoring case, before the id beforeText names (from the
// newest, if none). It reads from the newest message back, folding
// actions as it goes, until it has found searchResults or its budget is
// spent; a message matches if its text as it stands now holds query (a
// file's, if its name does). Plain substrings only: no pattern can make
// a search cost more than reading the messages.
func (s *Session) search(query, beforeText string) {
	room := s.c.hub.roomOf(s)
	query = textrules.CleanMessage(query)
	if query == "" || len(query) > maxQuery {
		s.answer(CodeUsage, fmt.Sprintf("usage: /search TEXT, of 1 to %d bytes", maxQuery))
		return
	}
	before, ok := s.pageStart(beforeText)
	if !ok {
		return
	}
	want := textrules.Fold(query)
	f := newFold()
	var p page
	err := s.c.scan(s.c.budget(), room.key, store.MaxID, false, func(rec store.Record, m message) bool {
		switch {
		case m.isAction():
			p.partial = !f.add(rec.ID, m)
			return !p.partial
		case m.isPost() && rec.ID.Less(before) && !f.deleted(rec.ID):
			fm := apply(rec.ID, m, f.of(rec.ID))
			if matches(fm.m, want) {
				p.before = rec.ID
				p.more = !p.add(fm, searchResults)
				return !p.more
			}
		}
		return true
	})
	if errors.Is(err, errSpent) {
		p.partial, err = true, nil
	}
	if err != nil {
		r := s.c.readRefusal(err)
		s.answer(r.Code, r.Text)
		return
	}
	if !p.more {
		p.before = store.ID{}
	}
	slices.Reverse(p.msgs)
	s.sendPage("search", room, query, p)
}

// matches reports whether m says want, both folded (textrules.Fold).
func matches(m message, want string) bool {
	if m.File != nil {
		return strings.Contains(textrules.Fold(m.File.Name), want)
	}
	return strings.Contains(textrules.Fold(m.Text), want)
}

// sendPage sends s a page of room's messages: one event in JSON, a line
// each and a summary in plain text.
func (s *Session) sendPage(kind string, room *room, query string, p page) {
	var before string
	if p.more {
		before = p.before.String()
	}
	if s.json {
		e := event{Type: kind, Room: room.name, Text: query, Before: before, More: p.more, Partial: p.partial,
			ClientID: s.req.clientID, Messages: make([]event, len(p.msgs))}
		for i, f := range p.msgs {
			e.Messages[i] = f.event(room.name, true)
		}
		s.send(jsonPayload(e))
		return
	}
	for _, f := range p.msgs {
		s.send(append([]byte("* "+f.id.Time().Format("2006-01-02 15:04")+" ["+f.id.String()+"] "), f.line()...))
	}
	s.send(text("* ", pageSummary(kind, room.name, query, len(p.msgs), before, p.partial), ""))
}

// pageSummary is the line after a plain text page.
func pageSummary(kind, room, query string, n int, before string, partial bool) string {
	if kind == "search" {
		s := fmt.Sprintf("%d messages in %s say %q", n, room, query)
		if before != "" {
			s += ": the newest are shown"
		}
		if partial {
			s += " (only the newest part of the history was searched: a search reads so much at most)"
		}
		return s
	}
	switch {
	case before != "":
		return fmt.Sprintf("%d messages of %s; /history %s shows older ones", n, room, before)
	case n == 0:
		return fmt.Sprintf("%s keeps nothing older", room)
	}
	return fmt.Sprintf("%d messages of %s: the oldest it keeps", n, room)
}
