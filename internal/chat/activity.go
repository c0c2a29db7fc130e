package chat

import (
	"sync"

	"wschat/internal/store"
)

// Activity. Every node is handed every room's messages (Handler.Deliver),
// whether or not the room is open there, and notes the ids of each
// room's latest: so a client that says which message it saw last in a
// room (a rooms request's "seen") is told how many came since, the same
// on every node, whether the room emptied and opened again meanwhile or
// not. Ids are compared, not counters, so nothing depends on when a
// node started or a room opened.

// Bounds of what a node notes: the latest recentIDs ids of each room, of
// at most activeRooms rooms, the room noted longest ago forgotten first.
const (
	recentIDs   = 100
	activeRooms = 2000
)

// activity is the latest message ids of the rooms, by key.
type activity struct {
	mu    sync.Mutex
	rooms map[string]*recent
	tick  uint64 // counts notes, to tell which room was noted longest ago
}

// recent is a room's latest ids, a ring, oldest at next once full.
type recent struct {
	ids  [recentIDs]store.ID
	n    int // ids held
	next int // where the next goes
	used uint64
}

// note records that room has the message id.
func (a *activity) note(room string, id store.ID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rooms == nil {
		a.rooms = make(map[string]*recent)
	}
	r := a.rooms[room]
	if r == nil {
		if len(a.rooms) >= activeRooms {
			a.forgetOldest()
		}
		r = &recent{}
		a.rooms[room] = r
	}
	a.tick++
	r.used = a.tick
	r.ids[r.next] = id
	r.next = (r.next + 1) % recentIDs
	r.n = min(r.n+1, recentIDs)
}

// forgetOldest forgets the room noted longest ago. The caller holds a.mu.
func (a *activity) forgetOldest() {
	var oldest string
	var at uint64
	for k, r := range a.rooms {
		if oldest == "" || r.used < at {
			oldest, at = k, r.used
		}
	}
	delete(a.rooms, oldest)
}

// since returns the id of room's latest message, and how many of its
// messages came after seen; more when seen is older than every id noted,
// so that there may be more than that.
func (a *activity) since(room string, seen store.ID) (last store.ID, count int, more bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.rooms[room]
	if r == nil || r.n == 0 {
		return store.ID{}, 0, false
	}
	last = r.ids[(r.next+recentIDs-1)%recentIDs]
	oldest := r.ids[(r.next+recentIDs-r.n)%recentIDs]
	for i := range r.n {
		if seen.Less(r.ids[i]) {
			count++
		}
	}
	return last, count, r.n == recentIDs && seen.Less(oldest)
}
