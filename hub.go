package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"wschat/internal/store"
	"wschat/internal/textrules"
)

// lobby is the room a participant is in when it names none.
const lobby = "lobby"

// hub is every participant of the server, by name, and every room with
// someone in it, by name. Its mutex guards the two maps and every move
// between rooms; a room's own mutex orders what happens inside it. Lock
// order: hub.mu, then a room's mu.
//
// A room exists while someone is in it: the last to leave takes it away,
// so an empty room costs nothing.
type hub struct {
	mu       sync.Mutex
	names    map[string][]*peer // connections by folded name: names are unique server-wide; an account may have several
	rooms    map[string]*room   // by folded name
	maxRooms int                // most rooms at once; 0 means no limit
	history  *history
	metrics  *metrics
	deflater *deflater // compresses broadcasts for rooms' peers; nil: none
}

// Why the hub turns a participant away.
var (
	errNameTaken    = errors.New("name taken")
	errTooManyRooms = errors.New("too many rooms")
	errSameRoom     = errors.New("already in that room")
)

func newHub(maxRooms int, m *metrics, hist *history) *hub {
	return &hub{names: make(map[string][]*peer), rooms: make(map[string]*room), maxRooms: maxRooms, history: hist, metrics: m}
}

// add puts p in the room called name (folded: key), unless p's name is
// taken or the room would be one too many. A name is taken while someone
// has it, unless names are accounts: then every connection of the
// account may have it at once. since is the last message p saw there, or
// nil.
func (h *hub) add(p *peer, name, key string, since *store.ID) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	conns := h.names[p.key]
	if len(conns) > 0 && !(p.account && conns[0].account) {
		return errNameTaken
	}
	r, err := h.roomLocked(name, key)
	if err != nil {
		return err
	}
	h.names[p.key] = append(conns, p)
	r.mu.Lock()
	r.enterLocked(p, since)
	r.mu.Unlock()
	return nil
}

// remove takes p out of the chat, and reports whether p was still there:
// a peer leaves once, however many reasons it has.
func (h *hub) remove(p *peer) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	conns := h.names[p.key]
	i := slices.Index(conns, p)
	if i < 0 {
		return false
	}
	if conns = slices.Delete(conns, i, i+1); len(conns) == 0 {
		delete(h.names, p.key)
	} else {
		h.names[p.key] = conns
	}
	h.exitLocked(p)
	return true
}

// move takes p from its room to the one called name: the old room hears
// that p left, the new one that p joined, and p gets the new room's
// welcome. Only p's own reader moves p.
func (h *hub) move(p *peer, name, key string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if key == p.room.key {
		return errSameRoom
	}
	r, err := h.roomLocked(name, key)
	if err != nil {
		return err
	}
	h.exitLocked(p)
	r.mu.Lock()
	r.enterLocked(p, nil)
	r.mu.Unlock()
	return nil
}

// deliver passes message id, kept in the log of room key, to the room, if
// it is open: one that closed in the meantime had nobody to tell, and a
// newcomer who opens it again gets the message as history.
func (h *hub) deliver(key string, id store.ID, m storedMessage) (behind []*Conn) {
	h.mu.Lock()
	r := h.rooms[key]
	h.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.deliver(id, m)
}

// exitLocked takes p out of its room, and the room away if it is now
// empty. The caller holds h.mu.
func (h *hub) exitLocked(p *peer) {
	r := p.room
	r.mu.Lock()
	r.exitLocked(p)
	empty := len(r.peers) == 0
	r.mu.Unlock()
	if empty {
		delete(h.rooms, r.key)
	}
}

// roomLocked returns the room called name, opening it unless that makes
// one room too many. The caller holds h.mu.
func (h *hub) roomLocked(name, key string) (*room, error) {
	if r, ok := h.rooms[key]; ok {
		return r, nil
	}
	if h.maxRooms > 0 && len(h.rooms) >= h.maxRooms {
		return nil, errTooManyRooms
	}
	r := &room{name: name, key: key, present: make(map[string]int), history: h.history, lastID: h.history.newest(key), metrics: h.metrics, deflater: h.deflater}
	h.rooms[key] = r
	return r, nil
}

// roomOf returns the room p is in now.
func (h *hub) roomOf(p *peer) *room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return p.room
}

// inRoom returns the one of conns that is in the room whose folded name
// is key, or nil.
func (h *hub) inRoom(conns []*peer, key string) *peer {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range conns {
		if p != nil && p.room.key == key {
			return p
		}
	}
	return nil
}

// find returns the connections of the participant whose folded name is
// key: none when nobody has that name.
func (h *hub) find(key string) []*peer {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.names[key])
}

// roomCounts lists the rooms and how many are in each, by name.
func (h *hub) roomCounts() []roomCount {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]roomCount, 0, len(h.rooms))
	for _, r := range h.rooms {
		r.mu.Lock()
		out = append(out, roomCount{Name: r.name, Count: len(r.present), Messages: r.messages})
		r.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b roomCount) int { return strings.Compare(textrules.Fold(a.Name), textrules.Fold(b.Name)) })
	return out
}

// tooManyRooms is the reason given when a room cannot be opened.
func tooManyRooms(limit int) string {
	return fmt.Sprintf("the server has its most rooms open (%d): choose one that exists", limit)
}
