// Package memory is the engine of a single node: messages and mail are
// kept in a room log (package store, in memory or on disk), and names and
// rooms in maps. It is the chat's default engine.
package memory

import (
	"context"
	"errors"
	"sync"

	"wschat/internal/engine"
	"wschat/internal/store"
)

// Engine keeps one node's messages, mail and presence. It implements
// engine.Broker, engine.History, engine.Mail and engine.Presence.
type Engine struct {
	log *store.Log
	h   engine.Handler // set by Attach
	presence
}

// New returns an engine that keeps messages and mail in log, which it
// owns from then on: Close closes it.
func New(log *store.Log) *Engine {
	return &Engine{log: log, presence: presence{claims: make(map[string]*claim), rooms: make(map[string]*roomPresence)}}
}

// Attach implements engine.Broker.
func (e *Engine) Attach(h engine.Handler) { e.h = h }

// Close implements engine.Broker: it closes the room log.
func (e *Engine) Close() error { return e.log.Close() }

// Stats returns the room log's counters.
func (e *Engine) Stats() store.Stats { return e.log.Stats() }

// Publish implements engine.Broker: the message is kept, then delivered
// here, before Publish returns.
func (e *Engine) Publish(_ context.Context, room string, payload []byte) (store.ID, engine.Delivery, error) {
	type result struct {
		id  store.ID
		d   engine.Delivery
		err error
	}
	done := make(chan result, 1)
	e.log.Append(room, "", payload, func(rec store.Record, err error) {
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

// mailbox is the room log's key for the mailbox of the account whose
// name's key is key. No room has it: "@" is in no room name.
func mailbox(key string) string { return "@" + key }

// Keep implements engine.Mail: every owner's copy is kept before any is
// handed over, and none is when one cannot be.
func (e *Engine) Keep(_ context.Context, owners []string, payload []byte) error {
	recs := make([]store.Record, len(owners))
	var errs []error
	var wg sync.WaitGroup
	for i, owner := range owners {
		wg.Add(1)
		e.log.Append(mailbox(owner), "", payload, func(rec store.Record, err error) {
			recs[i] = rec
			if err != nil {
				errs = append(errs, err) // done calls never overlap
			}
			wg.Done()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i, owner := range owners {
		e.h.Mail(owner, recs[i])
	}
	return nil
}

// Read implements engine.Mail.
func (e *Engine) Read(_ context.Context, owner string, after store.ID, n int) ([]store.Record, error) {
	return e.log.After(mailbox(owner), after, n), nil
}

// Latest implements engine.Mail.
func (e *Engine) Latest(_ context.Context, owner string, n int) ([]store.Record, error) {
	return e.log.Last(mailbox(owner), n), nil
}
