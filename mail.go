package main

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"wschat/internal/store"
	"wschat/internal/textrules"
)

// Private messages. Without tokens a name is whoever holds it now, so a
// private message goes to whoever is online under that name and is kept
// nowhere: the next holder of the name must not read it. With tokens a
// name is an account: a private message is kept in the mailbox of each of
// the two, in the room log, before either gets it; one to an account that
// is offline waits there, and every connection of an account is replayed
// its mailbox's latest messages when it connects.

// mailbox is the room log's key for the private messages of the account
// whose folded name is key. No room has it: "@" is not in room names.
func mailbox(key string) string { return "@" + key }

// private sends text from p to the participant called to, in whatever
// room, and back to p: the two of them see it, and nobody else.
func (ch *chat) private(p *peer, to, text string) {
	if to == "" || text == "" {
		tell(p, "usage: /msg NAME TEXT")
		return
	}
	key := textrules.Fold(to)
	targets := ch.hub.find(key)
	if len(targets) > 0 {
		to = targets[0].name
	}
	m := storedMessage{Type: "private", Name: p.name, To: to, Text: text}
	switch {
	case ch.history.shared != nil && ch.auth == nil && len(targets) == 0:
		ch.privateShared(p, key, m)
	case ch.auth != nil && (len(targets) > 0 || ch.auth.known(key, to)):
		ch.mail(p, key, m)
		if len(targets) == 0 && !ch.onlineElsewhere(key) {
			tell(p, fmt.Sprintf("%s is offline: they will get your message when they next connect", to))
		}
	case len(targets) == 0:
		tell(p, fmt.Sprintf("%s is not online", to))
	default:
		now := time.Now()
		sendPrivate(targets, m, store.ID{}, now)
		if targets[0].key != p.key {
			p.conn.send(privateMessage(p, m, store.ID{}, now, false))
		}
		ch.metrics.private.Add(1)
	}
}

// privateShared hands m to the node where the name whose folded form is
// key is connected, if any, and sends p its copy.
func (ch *chat) privateShared(p *peer, key string, m storedMessage) {
	switch online, err := ch.history.shared.private(key, m); {
	case err != nil:
		tell(p, noRedis)
	case !online:
		tell(p, fmt.Sprintf("%s is not online", m.To))
	default:
		p.conn.send(privateMessage(p, m, store.ID{}, time.Now(), false))
		ch.metrics.private.Add(1)
	}
}

// mail keeps m, from p to the account whose folded name is key, in both
// mailboxes, then gives it to every connection of the two. It returns
// once that is done; if either mailbox could not keep it, nobody gets it
// and p is told.
func (ch *chat) mail(p *peer, key string, m storedMessage) {
	payload, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("encode a stored message: %v", err)) // a struct of strings always encodes
	}
	owners := []string{p.key}
	if key != p.key {
		owners = append(owners, key)
	}
	if b := ch.history.shared; b != nil {
		ch.mailShared(p, b, owners, payload)
		return
	}
	ids := make([]store.ID, len(owners))
	var left atomic.Int32
	left.Store(int32(len(owners)))
	var failed atomic.Value
	for i, owner := range owners {
		ch.history.log.Append(mailbox(owner), payload, func(rec store.Record, err error) {
			if err != nil {
				failed.Store(err)
			}
			ids[i] = rec.ID
			if left.Add(-1) > 0 {
				return
			}
			if err, _ := failed.Load().(error); err != nil {
				ch.notStored(p, err)
			} else {
				for i, owner := range owners {
					sendPrivate(ch.hub.find(owner), m, ids[i], time.Time{})
				}
				ch.metrics.private.Add(1)
			}
			p.acked <- struct{}{}
		})
	}
	<-p.acked
}

// mailShared appends payload, from p, to the mailboxes of owners in
// Redis, which announces it to every node: each gives it to its own
// connections of the owner.
func (ch *chat) mailShared(p *peer, b *backplane, owners []string, payload []byte) {
	for _, owner := range owners {
		if _, err := b.append("q", mailbox(owner), payload); err != nil {
			tell(p, noRedis)
			return
		}
	}
	ch.metrics.private.Add(1)
}

// sendPrivate queues a private message to each of conns.
func sendPrivate(conns []*peer, m storedMessage, id store.ID, at time.Time) {
	for _, q := range conns {
		q.conn.send(privateMessage(q, m, id, at, false))
	}
}

// replayMail sends p the latest messages of its account's mailbox.
func (ch *chat) replayMail(p *peer) {
	recs := ch.history.log.Last(mailbox(p.key), ch.history.replay)
	if b := ch.history.shared; b != nil {
		recs, _ = b.last(mailbox(p.key), ch.history.replay)
	}
	for _, rec := range recs {
		var m storedMessage
		if json.Unmarshal(rec.Payload, &m) == nil {
			p.conn.send(privateMessage(p, m, rec.ID, time.Time{}, true))
		}
	}
}
