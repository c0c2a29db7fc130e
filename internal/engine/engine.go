// Package engine names what the chat keeps and shares beyond one
// connection, as a few small interfaces: a Broker orders and keeps each
// room's messages and hands them to every node, History reads them back,
// Presence says who holds which name and who is in which room, Mail
// keeps private messages between accounts, Moderation keeps what the
// people who run rooms decide (moderation.go), and Receipts remembers
// the client ids of requests, so that one sent again is carried out
// once. A single node is one
// implementation (package memory, the default); several nodes sharing
// Redis are another (package redis). The chat is the Handler an engine
// hands everything back to.
//
// An engine decides nothing about the chat: names, rooms, limits and
// wording are the chat's. It keeps bytes, orders them and passes them on.
package engine

import (
	"context"
	"errors"
	"time"

	"wschat/internal/store"
)

// ErrUnavailable is the cause of an engine's errors while what it relies
// on (Redis) is out of reach: the chat refuses what needs it, with a
// reason, until it is back.
var ErrUnavailable = errors.New("engine unavailable")

// ErrNoMailbox is Mail.Keep's error for a letter to an owner that has no
// mailbox: nothing was kept.
var ErrNoMailbox = errors.New("engine: the recipient has no mailbox")

// Bounds. Every engine keeps a room's messages, and a mailbox's, within
// the bounds of package store, with the same meaning: a room or mailbox
// drops its own oldest past its count, bytes and age, and a message
// that would take the whole, or the share of the participant it is
// charged to, past its bound is refused with a *store.LimitError, so
// that nothing anyone does removes what another room keeps.

// A Broker orders each room's messages, keeps them, and hands every one,
// in that order, to the Handler of every node.
type Broker interface {
	// Attach starts handing what is published, on this node or another,
	// to h. It is called once, before anything is published.
	Attach(h Handler)

	// Publish keeps payload as the newest message of room, charged to
	// the participant whose key is sender. It returns once the message
	// is kept. On a single node the message has then been handed to
	// the Handler too, and Delivery is what Deliver returned, for the
	// publisher to wait on (flow control); elsewhere it is handed over
	// later, and Delivery is nil. A message past a bound is refused
	// with a *store.LimitError.
	Publish(ctx context.Context, room, sender string, payload []byte) (store.ID, Delivery, error)

	// Private hands payload, kept nowhere, to the node where the name
	// whose key is key is held (Handler.Private there). It reports
	// whether that name is held on another node; a single node has none.
	// The key "" hands it to every other node, with the key "".
	Private(ctx context.Context, key string, payload []byte) (bool, error)

	// Close stops handing things over, and releases what the broker holds.
	Close() error
}

// A Pipeliner is a Broker that can take a sender's next message before
// it has kept the last. Where keeping a message is a round trip to a
// store other nodes share (Redis), a sender that waited for each before
// reading its next would fall behind whenever the round trip took longer
// than the time between its messages: its messages would queue unread,
// and every one after would be late by the whole queue.
type Pipeliner interface {
	// StartPublish hands payload over as Publish does and returns at
	// once, with a function that waits for what Publish would return
	// (no Delivery: the message is handed over later) until the context
	// it is given ends. Messages started one after another, each once
	// the StartPublish before it has returned, are kept in that order.
	StartPublish(ctx context.Context, room, sender string, payload []byte) func(context.Context) (store.ID, error)
}

// Delivery is what handing one message to a room's members came to,
// from Handler.Deliver: the publisher waits on it before reading on, so
// that it runs no further ahead of the members than they can take.
type Delivery interface {
	Wait()
}

// History reads a room's kept messages back, oldest first.
type History interface {
	// Locate tells where id stands in room's kept history.
	Locate(ctx context.Context, room string, id store.ID) (Location, error)
	// After returns at most n kept messages of room that come after id.
	After(ctx context.Context, room string, id store.ID, n int) ([]store.Record, error)
	// Before returns at most n kept messages of room that come before id,
	// the newest of them, oldest first. store.MaxID reads from the end.
	Before(ctx context.Context, room string, id store.ID, n int) ([]store.Record, error)
}

// Location is where an id stands in a room's kept history.
type Location struct {
	// Kept: id is a message the room keeps. Everything after it is kept too.
	Kept bool
	// Older: id is older than every message the room keeps, or the room
	// keeps none and id is zero. Complete then says whether the room has
	// kept every message it ever had, so that nothing after id is missing.
	Older, Complete bool
}

// Presence knows which names are held, and who is in which room, on
// every node.
type Presence interface {
	// Claim takes the name c.Key for c.Holder. It returns "" when it did,
	// or else the name, as spelled, of a holder that has it: a name one
	// holder has is taken for everyone else, unless both claims are of one
	// Account (an account's connections share its name).
	Claim(ctx context.Context, c Claim) (heldBy string, err error)
	// Release gives a claim up. A claim that is not c.Holder's is left.
	Release(ctx context.Context, c Claim) error
	// Online reports whether anyone holds the name key.
	Online(ctx context.Context, key string) (bool, error)

	// Enter records that p's holder is in p.Room, and tells the other
	// nodes (Handler.Presence) unless the name was there already.
	Enter(ctx context.Context, p Place) error
	// Exit undoes Enter, and tells the other nodes when the name has left.
	Exit(ctx context.Context, p Place) error
	// Members lists at most limit of the names in room, each once, in no
	// set order, and says how many there are in all.
	Members(ctx context.Context, room string, limit int) (names []string, count int, err error)
	// Rooms lists the rooms with someone in them, by key, with the name
	// each is spelled with and how many names are in it.
	Rooms(ctx context.Context) ([]Room, error)
}

// Claim is a holder's claim on a name.
type Claim struct {
	Key     string // the name as compared: names are unique by key, which look-alike names share
	Name    string // the name as spelled
	Holder  string // who claims it: unique to the claim, so that releasing a stale one never frees a newer one
	Account string // the account claiming it, or "": every connection of one account may hold its name at once
}

// Place is a holder in a room.
type Place struct {
	Room     string // the room's key
	RoomName string // the room as spelled by whoever opened it
	Name     string // the holder's name as spelled
	Holder   string // as in its Claim
}

// Room is one line of the room list.
type Room struct {
	Key, Name string
	Count     int // names in it
}

// Mail keeps private messages between accounts, in a mailbox for each,
// apart from the rooms. Only an owner that has a mailbox gets mail: one
// is opened when an account connects (Open), or by a letter to an
// account known to exist (Letter.Create). The record of mailboxes is
// bounded: past its size the one opened longest ago is forgotten, unless
// it holds mail.
type Mail interface {
	// Open gives owner a mailbox, or renews the one it has.
	Open(ctx context.Context, owner string) error
	// Keep stores a letter in the recipient's mailbox, charged to the
	// sender, then a copy in the writer's own, charged to nobody, and
	// hands both to every node (Handler.Mail), each copy with its own
	// id. It fails with ErrNoMailbox when the recipient has none, and
	// with a *store.LimitError past a bound; nothing is kept or handed
	// over then. The writer's copy is kept if there is room for it: the
	// letter has reached its recipient either way.
	Keep(ctx context.Context, l Letter) error
	// Read returns at most n messages of owner's mailbox after id,
	// oldest first.
	Read(ctx context.Context, owner string, after store.ID, n int) ([]store.Record, error)
	// Latest returns the newest n messages of owner's mailbox, oldest first.
	Latest(ctx context.Context, owner string, n int) ([]store.Record, error)
}

// Letter is one private message, as Mail keeps it.
type Letter struct {
	From, To string // the writer's and the recipient's mailboxes, by name key; the same for a letter to oneself
	Sender   string // the participant key the recipient's copy is charged to
	Create   bool   // open the recipient's mailbox if it has none: an account that exists
	Payload  []byte
}

// Handler is the chat on one node, as an engine sees it: what the
// engine hands over, in order for each room.
type Handler interface {
	// Deliver hands the room's members on this node a kept message, and
	// returns what the publisher may wait on, or nil.
	Deliver(room string, rec store.Record) Delivery
	// Mail hands owner's connections on this node a kept private message.
	Mail(owner string, rec store.Record)
	// Private hands the holder of the name key on this node an unkept
	// private message.
	Private(key string, payload []byte)
	// Presence tells room, on this node, that name joined or left it on
	// another node.
	Presence(room, name string, joined bool)
	// Delivered returns, for every room open on this node, the id of the
	// last message it delivered: where to catch up from after a gap.
	Delivered() map[string]store.ID
}

// Receipts remembers the client ids of the requests each participant's
// clients sent, so that a request sent again (its connection lost before
// the answer came) is carried out once. A participant's ids are kept
// for ReceiptsFor after its last request, the newest ReceiptsEach of
// them: a client that sends a request again within both is answered as
// if it were the first time, and nothing is done twice.
type Receipts interface {
	// Take records id as taken from sender, and reports whether it was
	// new: false means a request with that id was taken already.
	Take(ctx context.Context, sender, id string) (fresh bool, err error)
	// Forget undoes Take for a request that was refused, so that the
	// client may send it again with the same id.
	Forget(ctx context.Context, sender, id string) error
}

// The window of Receipts: how many ids a participant's are remembered,
// and for how long after its last request.
const (
	ReceiptsEach = 256
	ReceiptsFor  = time.Hour
)

// Rates adds up what each participant sends on every node against its
// message rate, so that a participant connected to several nodes has
// one rate, not one on each. A node's chat limits its participants as
// they send, alone, and tells Rates every so often how many messages
// each sent meanwhile; Rates answers which of them have now sent more
// than their rate allows on all nodes together, and for how long each
// must be refused everywhere.
type Rates interface {
	// Spend takes sent[p] tokens from the bucket of each participant p,
	// filled at limit, and returns how long each participant whose bucket
	// is now below empty must wait for it to be empty no more. A bucket
	// goes below empty: the messages were sent.
	Spend(ctx context.Context, limit RateLimit, sent map[string]int) (map[string]time.Duration, error)
}

// RateLimit is a token bucket: Rate tokens a second, Burst at most.
type RateLimit struct {
	Rate  float64
	Burst float64
}
