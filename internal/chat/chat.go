// Package chat is the chat itself: names, rooms, messages, commands,
// private messages, history replay and the notices that go with them. It
// knows nothing of frames or sockets: it talks to each connection through
// a Transport, encodes through an Encoder, and keeps and shares what
// outlives a connection through an engine (package engine), the single
// node's by default.
package chat

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"wschat/internal/engine"
	"wschat/internal/engine/memory"
	"wschat/internal/store"
	"wschat/internal/textrules"
)

// Options is the chat's policy and its engine. Zero values take the
// defaults given.
type Options struct {
	// The engine. Any left nil is the single node's, over a room log in
	// memory: a chat always has all six.
	Broker   engine.Broker
	History  engine.History
	Presence engine.Presence
	Mail     engine.Mail
	Receipts engine.Receipts
	Rates    engine.Rates
	// Directory flags encrypted rooms for every node; nil: a directory
	// of this node's, in memory.
	Directory engine.Directory
	// Moderation keeps rooms' owners, operators, bans and the like; nil
	// keeps them in memory.
	Moderation engine.Moderation

	Encoder Encoder // required

	Rate      float64 // chat messages a second per participant; 0 means no limit
	Burst     int     // chat messages a participant may send at once
	MaxRooms  int     // rooms open at once, the lobby aside; 0 means no limit
	RoomsEach int     // rooms one participant may have opened and still open; 0 means no limit
	// RoomNotices is how many people a room may have and still tell its
	// members each join and leave by name; past it, the room tells them
	// how many people are in it instead, at most every countEvery
	// (crowd.go). 0 means no limit.
	RoomNotices int

	Replay     int // messages a newcomer is replayed when it names no id
	ReplayPage int // messages read from the engine at a time while replaying; default 64
	HoldBytes  int // live bytes held for a member while it catches up, before they are read again from the log; default 4 MiB

	// What one request may spend reading history (a page of older
	// messages, a search, the checks behind an action): bytes of records
	// examined, default 16 MiB, and time, default 2 s.
	ScanBytes int
	ScanTime  time.Duration

	// Accounts: names are accounts (tokens are on). An account may have
	// several connections; private messages are kept in mailboxes.
	Accounts bool
	// MailFor reports whether the account called name (key as compared)
	// exists, so that mail to it may open its mailbox; nil: only an
	// account that has connected has one (tokens from another service).
	MailFor func(key, name string) bool
	// Admins are the accounts, by name, that administer the server:
	// with accounts, they may moderate every room.
	Admins []string
	// Renew checks a token a connection sends with /token, and returns
	// its subject and expiry; nil: /token is refused.
	Renew func(token string) (subject string, expires time.Time, err error)

	Logger *slog.Logger // nil: discard
}

// Chat is one node's chat. Its methods are safe for concurrent use.
type Chat struct {
	opts     Options
	broker   engine.Broker
	history  engine.History
	presence engine.Presence
	mail     engine.Mail
	dir      engine.Directory
	receipts engine.Receipts
	rates    engine.Rates
	// Moderation: the records, the administrators by name key (Admins),
	// and those by token claim connected here.
	moderation  engine.Moderation
	admins      map[string]bool
	adminKeys   []string
	tokenAdmins adminSet
	enc         Encoder
	log         *slog.Logger
	hub         *hub
	people      *participants
	uploads     uploads
	activity    activity
	limit       rateLimit
	slowDown    payloads // the notice for a message over the rate

	// Stats counts what the chat does, for /metrics.
	Stats Stats
}

// New returns a chat with opts, attached to its broker.
func New(opts Options) (*Chat, error) {
	if opts.Encoder == nil {
		return nil, fmt.Errorf("chat: no Encoder")
	}
	if opts.Broker == nil || opts.History == nil || opts.Presence == nil || opts.Mail == nil || opts.Receipts == nil || opts.Rates == nil {
		e, err := memoryEngine()
		if err != nil {
			return nil, err
		}
		opts.Broker = cmp.Or[engine.Broker](opts.Broker, e)
		opts.History = cmp.Or[engine.History](opts.History, e)
		opts.Presence = cmp.Or[engine.Presence](opts.Presence, e)
		opts.Mail = cmp.Or[engine.Mail](opts.Mail, e)
		opts.Receipts = cmp.Or[engine.Receipts](opts.Receipts, e)
		opts.Rates = cmp.Or[engine.Rates](opts.Rates, e)
	}
	if opts.Directory == nil {
		d, err := memory.OpenDirectory("", engine.DirectoryBounds{})
		if err != nil {
			return nil, err
		}
		opts.Directory = d
	}
	if opts.Moderation == nil {
		m, err := memory.OpenModeration("", engine.ModerationLimits{})
		if err != nil {
			return nil, err
		}
		opts.Moderation = m
	}
	opts.ReplayPage = cmp.Or(opts.ReplayPage, 64)
	opts.HoldBytes = cmp.Or(opts.HoldBytes, 4<<20)
	opts.ScanBytes = cmp.Or(opts.ScanBytes, defaultScanBytes)
	opts.ScanTime = cmp.Or(opts.ScanTime, defaultScanTime)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	limit := rateLimit{Rate: opts.Rate, Burst: opts.Burst}
	people := newParticipants(limit, maxParticipants)
	c := &Chat{
		opts: opts, broker: opts.Broker, history: opts.History, presence: opts.Presence, mail: opts.Mail, dir: opts.Directory,
		receipts: opts.Receipts, rates: opts.Rates,
		moderation: opts.Moderation, admins: make(map[string]bool),
		enc: opts.Encoder, log: opts.Logger,
		hub:     newHub(opts.MaxRooms, opts.RoomsEach, people),
		people:  people,
		uploads: uploads{byCredential: make(map[string]*Session)},
		limit:   limit,
	}
	for _, name := range opts.Admins {
		if k := textrules.Fold(name); k != "" && !c.admins[k] {
			c.admins[k] = true
			c.adminKeys = append(c.adminKeys, k)
		}
	}
	c.slowDown = notice(CodeSlowDown, c.slowDownWords())
	c.broker.Attach(handler{c})
	return c, nil
}

// slowDownWords is the notice for a message over the rate.
func (c *Chat) slowDownWords() string {
	return "slow down: the limit is " + c.limit.describe() + "; this message was not sent"
}

// memoryEngine is the engine a chat has when it is given none: the
// single node's, in memory, without bounds.
func memoryEngine() (*memory.Engine, error) {
	history, err := store.Open(store.Options{})
	if err != nil {
		return nil, fmt.Errorf("chat: open an in-memory room log: %w", err)
	}
	mail, err := store.Open(store.Options{})
	if err != nil {
		return nil, fmt.Errorf("chat: open an in-memory mail log: %w", err)
	}
	boxes, err := memory.OpenMailboxes("", maxParticipants)
	if err != nil {
		return nil, fmt.Errorf("chat: open a record of mailboxes: %w", err)
	}
	return memory.New(history, mail, boxes), nil
}

// Close stops the engine.
func (c *Chat) Close() error { return c.broker.Close() }

// engineTimeout bounds one call to the engine made on behalf of a client.
const engineTimeout = 2 * time.Second

// call returns a context for one call to the engine.
func call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), engineTimeout)
}

// unavailable is what a participant is told while the engine cannot be
// reached.
const unavailable = "the chat cannot reach its other servers right now (Redis is unreachable): nothing was sent; try again shortly"

// lobby is the room a participant is in when it names none.
const lobby = "lobby"
