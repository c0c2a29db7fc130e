package chat

import (
	"fmt"
	"sync"
)

// hub is every session of this node, by name, and every room with
// someone in it here, by key. Its mutex guards the two maps and every
// move between rooms; a room's own mutex orders what happens inside it.
// Lock order: hub.mu, then a room's mu. Nothing under either waits on
// the network or grows with history: the engine is called outside them.
//
// A room exists here while someone is in it here: the last to leave takes
// it away, so an empty room costs nothing.
type hub struct {
	mu        sync.RWMutex
	names     map[string]*Session // by name key, the first of a chain through Session.same: an account may have several
	rooms     map[string]*room    // by key
	maxRooms  int                 // most rooms at once, the lobby aside; 0 means no limit
	roomsEach int                 // most rooms one participant may have opened at once; 0 means no limit
	people    *participants
}

func newHub(maxRooms, roomsEach int, people *participants) *hub {
	return &hub{names: make(map[string]*Session), rooms: make(map[string]*room),
		maxRooms: maxRooms, roomsEach: roomsEach, people: people}
}

// add puts s into the room called name (key as compared), opening it
// unless that would be one room too many, and sends s its welcome, which
// lists everyone the engine knows to be in the room.
func (h *hub) add(s *Session, name, key string, everyone roster, recovered bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, err := h.roomLocked(s, name, key)
	if err != nil {
		return err
	}
	s.same, h.names[s.key] = h.names[s.key], s
	r.mu.Lock()
	r.enterLocked(s, everyone, recovered, h.othersIn(s, r) == 0)
	r.mu.Unlock()
	return nil
}

// remove takes s out of the chat and returns the room it was in, or nil
// if it had left already: a session leaves once.
func (h *hub) remove(s *Session) *room {
	h.mu.Lock()
	defer h.mu.Unlock()
	link := h.names[s.key]
	if link == s {
		if s.same == nil {
			delete(h.names, s.key)
		} else {
			h.names[s.key] = s.same
		}
	} else {
		for link != nil && link.same != s {
			link = link.same
		}
		if link == nil {
			return nil
		}
		link.same = s.same
	}
	s.same = nil
	r := s.room
	h.exitLocked(s)
	return r
}

// move takes s from its room to the one called name: the old room hears
// that s left, the new one that it joined, and s gets the new room's
// welcome. Only s's own reader moves s, and never to the room it is in.
func (h *hub) move(s *Session, name, key string, everyone roster) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, err := h.roomLocked(s, name, key)
	if err != nil {
		return err
	}
	h.exitLocked(s)
	r.mu.Lock()
	r.enterLocked(s, everyone, true, h.othersIn(s, r) == 0)
	r.mu.Unlock()
	return nil
}

// exitLocked takes s out of its room, and the room away if it is now
// empty. The caller holds h.mu.
func (h *hub) exitLocked(s *Session) {
	r := s.room
	r.mu.Lock()
	r.exitLocked(s, h.othersIn(s, r) == 0)
	empty := len(r.members) == 0
	r.mu.Unlock()
	if empty {
		delete(h.rooms, r.key)
		if r.opener != nil {
			h.people.closeRoom(r.opener)
		}
	}
}

// roomLocked returns the room called name, which s opens if it is not
// open. The lobby, and a room with someone in it, can always be joined:
// only a new room is refused, when the server has its most rooms open,
// or s's participant has opened its most. The caller holds h.mu.
func (h *hub) roomLocked(s *Session, name, key string) (*room, error) {
	if r, ok := h.rooms[key]; ok {
		return r, nil
	}
	r := newRoom(s.c, name, key)
	if key != lobby {
		open := len(h.rooms)
		if _, ok := h.rooms[lobby]; ok {
			open--
		}
		if h.maxRooms > 0 && open >= h.maxRooms {
			return nil, refuse(CodeRoomLimit, fmt.Sprintf("the server has its most rooms open (%d): choose one that exists", h.maxRooms))
		}
		if !h.people.openRoom(s.p, h.roomsEach) {
			return nil, refuse(CodeRoomLimit, fmt.Sprintf("you have opened %d rooms that are still open, the most one person may: join one that exists, or leave one you opened", h.roomsEach))
		}
		r.opener = s.p
	}
	h.rooms[key] = r
	return r, nil
}

// room returns the open room whose key is key, or nil.
func (h *hub) room(key string) *room {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.rooms[key]
}

// roomOf returns the room s is in now.
func (h *hub) roomOf(s *Session) *room {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return s.room
}

// find returns the sessions of the name whose key is key on this node.
func (h *hub) find(key string) []*Session {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []*Session
	for s := h.names[key]; s != nil; s = s.same {
		out = append(out, s)
	}
	return out
}

// othersIn counts the sessions of s's name but s in room r. The caller
// holds h.mu.
func (h *hub) othersIn(s *Session, r *room) int {
	n := 0
	for o := h.names[s.key]; o != nil; o = o.same {
		if o != s && o.room == r {
			n++
		}
	}
	return n
}

// inRoom returns the one of sessions that is in the room whose key is
// key, or nil.
func (h *hub) inRoom(sessions []*Session, key string) *Session {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, s := range sessions {
		if s != nil && s.room.key == key {
			return s
		}
	}
	return nil
}

// openRooms returns the rooms open here.
func (h *hub) openRooms() []*room {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		out = append(out, r)
	}
	return out
}
