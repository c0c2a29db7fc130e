package main

import (
	"wschat/internal/store"
	"wschat/internal/textrules"
)

// What the backplane asks of the hub: where this node's rooms stand, and
// who is here.

// lastIDs returns the last message each open room delivered, by key.
func (h *hub) lastIDs() map[string]store.ID {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]store.ID, len(h.rooms))
	for key, r := range h.rooms {
		r.mu.Lock()
		out[key] = r.lastID
		r.mu.Unlock()
	}
	return out
}

// remoteNotice tells room key, if it is open here, that name joined or
// left it on another node, unless name is in it here too.
func (h *hub) remoteNotice(key, name string, joining bool) {
	h.mu.Lock()
	r := h.rooms[key]
	h.mu.Unlock()
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.present[textrules.Fold(name)] > 0 {
		return
	}
	if joining {
		r.noticeLocked(joined(r.name, name))
	} else {
		r.noticeLocked(left(r.name, name))
	}
}

// place is a room a name is in on this node.
type place struct{ key, room, name string }

// namePlaces is where one name is on this node, and whether it is an
// account's.
type namePlaces struct {
	account bool
	rooms   []place
}

// places returns where every name on this node is, by folded name.
func (h *hub) places() map[string]namePlaces {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]namePlaces, len(h.names))
	for key, conns := range h.names {
		np := namePlaces{account: conns[0].account}
		for _, p := range conns {
			np.rooms = append(np.rooms, place{key: p.room.key, room: p.room.name, name: p.name})
		}
		out[key] = np
	}
	return out
}
