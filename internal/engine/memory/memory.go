// Package memory is the engine of a single node: messages are kept in a
// room log (package store, in memory or on disk), mail in a log of its
// own, and names, rooms and client ids in maps. It is the chat's default engine.
package memory

import (
	"context"
	"errors"

	"wschat/internal/engine"
	"wschat/internal/store"
)

// Engine keeps one node's messages, mail and presence. It implements
// engine.Broker, engine.History, engine.Mail, engine.Presence,
// engine.Receipts and engine.Rates.
type Engine struct {
	log   *store.Log // the rooms' messages
	mail  *store.Log // the mailboxes, one "room" each, by owner
	boxes *Mailboxes
	h     engine.Handler // set by Attach
	presence
	*Receipts
	*Rates
}

// maxSenders is how many participants' client ids an Engine remembers.
const maxSenders = 10_000

// maxSpenders is how many participants' buckets of their rate an Engine
// keeps.
const maxSpenders = 100_000

// New returns an engine that keeps messages in history and mail in mail,
// with the record of mailboxes boxes. It owns all three from then on:
// Close closes them.
func New(history, mail *store.Log, boxes *Mailboxes) *Engine {
	return &Engine{log: history, mail: mail, boxes: boxes, Receipts: NewReceipts(maxSenders), Rates: NewRates(maxSpenders),
		presence: presence{claims: make(map[string]*claim), rooms: make(map[string]*roomPresence)}}
}

// Attach implements engine.Broker.
func (e *Engine) Attach(h engine.Handler) { e.h = h }

// Close implements engine.Broker: it closes the logs and the record of
// mailboxes.
func (e *Engine) Close() error {
	return errors.Join(e.log.Close(), e.mail.Close(), e.boxes.Close())
}

// Stats returns the room log's counters.
func (e *Engine) Stats() store.Stats { return e.log.Stats() }

// MailStats returns the mail log's counters.
func (e *Engine) MailStats() store.Stats { return e.mail.Stats() }

// Publish implements engine.Broker: the message is kept, then delivered
// here, before Publish returns.
func (e *Engine) Publish(_ context.Context, room, sender string, payload []byte) (store.ID, engine.Delivery, error) {
	type result struct {
		id  store.ID
		d   engine.Delivery
		err error
	}
	done := make(chan result, 1)
	e.log.Append(room, sender, payload, func(rec store.Record, err error) {
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{id: rec.ID, d: e.h.Deliver(room, rec)}
	})
	r := <-done
	return r.id, r.d, r.err
}

// Private implements engine.Broker: a single node has no other node
// where the name could be.
func (e *Engine) Private(context.Context, string, []byte) (bool, error) { return false, nil }

// Locate implements engine.History.
func (e *Engine) Locate(_ context.Context, room string, id store.ID) (engine.Location, error) {
	l := e.log.Locate(room, id)
	return engine.Location{Kept: l.Kept, Older: l.Older, Complete: l.Complete}, nil
}

// After implements engine.History.
func (e *Engine) After(_ context.Context, room string, id store.ID, n int) ([]store.Record, error) {
	return e.log.After(room, id, n), nil
}

// Before implements engine.History.
func (e *Engine) Before(_ context.Context, room string, id store.ID, n int) ([]store.Record, error) {
	return e.log.Before(room, id, n), nil
}

// Open implements engine.Mail.
func (e *Engine) Open(_ context.Context, owner string) error { return e.boxes.Open(owner) }

// Keep implements engine.Mail: the recipient's copy is kept first, so
// that a letter refused there is kept nowhere; then the writer's.
func (e *Engine) Keep(_ context.Context, l engine.Letter) error {
	if l.Create {
		if err := e.boxes.Open(l.To); err != nil {
			return err
		}
	} else if !e.boxes.Has(l.To) && len(e.mail.Last(l.To, 1)) == 0 {
		return engine.ErrNoMailbox
	}
	to, err := e.keep(l.To, l.Sender, l.Payload)
	if err != nil {
		return err
	}
	if l.From != l.To {
		if from, err := e.keep(l.From, "", l.Payload); err == nil {
			e.h.Mail(l.From, from)
		}
	}
	e.h.Mail(l.To, to)
	return nil
}

// keep appends payload to owner's mailbox, charged to sender.
func (e *Engine) keep(owner, sender string, payload []byte) (store.Record, error) {
	type result struct {
		rec store.Record
		err error
	}
	done := make(chan result, 1)
	e.mail.Append(owner, sender, payload, func(rec store.Record, err error) { done <- result{rec, err} })
	r := <-done
	return r.rec, r.err
}

// Read implements engine.Mail.
func (e *Engine) Read(_ context.Context, owner string, after store.ID, n int) ([]store.Record, error) {
	return e.mail.After(owner, after, n), nil
}

// Latest implements engine.Mail.
func (e *Engine) Latest(_ context.Context, owner string, n int) ([]store.Record, error) {
	return e.mail.Last(owner, n), nil
}
