// Package engine names what the chat keeps and shares beyond one
// connection, as a few small interfaces: a Broker orders and keeps each
// room's messages and hands them to every node, History reads them back,
// Presence says who holds which name and who is in which room, and Mail
// keeps private messages between accounts. A single node is one
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

	"wschat/internal/store"
)

// ErrUnavailable is the cause of an engine's errors while what it relies
// on (Redis) is out of reach: the chat refuses what needs it, with a
// reason, until it is back.
var ErrUnavailable = errors.New("engine unavailable")

// A Broker orders each room's messages, keeps them, and hands every one,
// in that order, to the Handler of every node.
type Broker interface {
	// Attach starts handing what is published, on this node or another,
	// to h. It is called once, before anything is published.
	Attach(h Handler)

	// Publish keeps payload as the newest message of room. It returns
	// once the message is kept. On a single node the message has then
	// been handed to the Handler too, and Delivery is what Deliver
	// returned, for the publisher to wait on (flow control); elsewhere
	// it is handed over later, and Delivery is nil.
	Publish(ctx context.Context, room string, payload []byte) (store.ID, Delivery, error)

	// Private hands payload, kept nowhere, to the node where the name
	// whose key is key is held (Handler.Private there). It reports
	// whether that name is held on another node; a single node has none.
	Private(ctx context.Context, key string, payload []byte) (bool, error)

	// Close stops handing things over, and releases what the broker holds.
	Close() error
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

// Mail keeps private messages between accounts, in a mailbox for each.
type Mail interface {
	// Keep stores payload in the mailbox of every owner, then hands it
	// to every node (Handler.Mail), each owner's copy with its own id.
	Keep(ctx context.Context, owners []string, payload []byte) error
	// Read returns at most n messages of owner's mailbox after id,
	// oldest first.
	Read(ctx context.Context, owner string, after store.ID, n int) ([]store.Record, error)
	// Latest returns the newest n messages of owner's mailbox, oldest first.
	Latest(ctx context.Context, owner string, n int) ([]store.Record, error)
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
