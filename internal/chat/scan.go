package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"wschat/internal/store"
)

// Reading history on a client's behalf. A page of older messages, a
// search, and the checks behind an edit, a deletion or a reaction read a
// room's history from the engine a page at a time, on the session's own
// goroutine and outside every lock, within a budget: at most
// Options.ScanBytes of records examined and Options.ScanTime spent per
// request, whatever the request asks for.

// Defaults of the budget of one request.
const (
	defaultScanBytes = 16 << 20
	defaultScanTime  = 2 * time.Second
)

// scanPage is how many records a scan asks the engine for at a time.
const scanPage = 100

// recordCost is what a record counts against a budget beside its
// payload, as history counts it beside its bytes.
const recordCost = 64

// actionMark is what every action's payload holds and few messages do:
// a scan for actions alone decodes only the records that hold it.
var actionMark = []byte(`"target":"`)

// errSpent is a scan's error when its budget ran out before it was
// through.
var errSpent = errors.New("chat: the budget for reading history is spent")

// budget is what one request may still spend reading history.
type budget struct {
	bytes    int
	deadline time.Time
}

// budget returns the budget of one request, starting now.
func (c *Chat) budget() *budget {
	return &budget{bytes: c.opts.ScanBytes, deadline: time.Now().Add(c.opts.ScanTime)}
}

// scan reads room's kept records from the id from, forward (the records
// after it, oldest first) or backward (those before it, newest first),
// and hands each, with its message, to each, until each returns false,
// the room has no more, or the budget is spent (errSpent). It returns
// the engine's error, if it fails.
func (c *Chat) scan(b *budget, room string, from store.ID, forward bool, each func(store.Record, message) bool) error {
	return c.scanFor(b, room, from, forward, nil, each)
}

// scanFor is scan, but hands over only the records whose payload holds
// the bytes want, which it need not decode.
func (c *Chat) scanFor(b *budget, room string, from store.ID, forward bool, want []byte, each func(store.Record, message) bool) error {
	cursor := from
	for {
		if b.bytes <= 0 || !time.Now().Before(b.deadline) {
			return errSpent
		}
		recs, err := c.readPage(b, room, cursor, forward)
		if err != nil {
			return err
		}
		for i := range recs {
			rec := recs[i]
			if !forward {
				rec = recs[len(recs)-1-i]
			}
			if b.bytes <= 0 {
				return errSpent
			}
			b.bytes -= len(rec.Payload) + recordCost
			cursor = rec.ID
			if want != nil && !bytes.Contains(rec.Payload, want) {
				continue
			}
			var m message
			if json.Unmarshal(rec.Payload, &m) != nil {
				continue // only the chat writes records: this cannot be
			}
			if !each(rec, m) {
				return nil
			}
		}
		if len(recs) < scanPage {
			return nil
		}
	}
}

// readPage reads one page of a scan from the engine, within the budget's
// time.
func (c *Chat) readPage(b *budget, room string, cursor store.ID, forward bool) ([]store.Record, error) {
	ctx, cancel := context.WithDeadline(context.Background(), b.deadline)
	defer cancel()
	var recs []store.Record
	var err error
	if forward {
		recs, err = c.history.After(ctx, room, cursor, scanPage)
	} else {
		recs, err = c.history.Before(ctx, room, cursor, scanPage)
	}
	if err != nil && ctx.Err() != nil {
		return nil, errSpent
	}
	return recs, err
}

// record returns the record id of room and its message, if the room
// keeps it.
func (c *Chat) record(room string, id store.ID) (message, bool, error) {
	ctx, cancel := call()
	defer cancel()
	recs, err := c.history.After(ctx, room, justBefore(id), 1)
	if err != nil || len(recs) == 0 || recs[0].ID != id {
		return message{}, false, err
	}
	var m message
	if json.Unmarshal(recs[0].Payload, &m) != nil {
		return message{}, false, nil
	}
	return m, true, nil
}
