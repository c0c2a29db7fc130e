package chat

import (
	"strconv"
	"time"
)

// A room past Options.RoomNotices people no longer tells its members
// each join and leave by name: in a crowd, every arrival is news to
// everyone present, which grows with the square of the room. It tells
// them how many people are in it instead, at most every countEvery while
// that changes; /who still names some of them.

// countEvery is the least time between two counts a room tells.
const countEvery = 3 * time.Second

// crowd is what a room knows of its size on every node. The room's mu
// guards it.
type crowd struct {
	// people is the names in the room on every node: the engine's count
	// at the latest arrival here or count told, moved by each join and
	// leave heard since.
	people int
	told   int       // the count last told the members; 0 for none
	toldAt time.Time // and when
	due    bool      // a count is scheduled
}

// tellLocked tells the room that name joined or left it, here or on
// another node: by name while the room, counting name, has at most
// RoomNotices people, or else by a count soon. The caller holds r.mu.
func (r *room) tellLocked(name string, joining bool) {
	before := r.crowd.people
	if joining {
		r.crowd.people++
	} else {
		r.crowd.people = max(r.crowd.people-1, r.distinct)
	}
	if limit := r.c.opts.RoomNotices; limit == 0 || max(before, r.crowd.people) <= limit {
		if joining {
			r.noticeLocked(joined(r.name, name))
		} else {
			r.noticeLocked(left(r.name, name))
		}
		return
	}
	r.countSoonLocked()
}

// countSoonLocked schedules a count, unless one is. The caller holds
// r.mu.
func (r *room) countSoonLocked() {
	if !r.crowd.due {
		r.crowd.due = true
		time.AfterFunc(max(noticeDelay, time.Until(r.crowd.toldAt.Add(countEvery))), r.tellCount)
	}
}

// recount counts the room again once a member who left here has left it
// in the engine too: the count its leaving scheduled may have asked the
// engine before, and found it still there.
func (r *room) recount() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if limit := r.c.opts.RoomNotices; limit > 0 && r.crowd.people+1 > limit {
		r.countSoonLocked()
	}
}

// tellCount tells the members how many people are in the room, as the
// engine counts them now, unless they were told that count last.
func (r *room) tellCount() {
	ctx, cancel := call()
	_, n, err := r.c.presence.Members(ctx, r.key, 0)
	cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.crowd.due = false
	if err == nil {
		r.crowd.people = max(n, r.distinct)
	}
	if r.crowd.people == r.crowd.told || len(r.members) == 0 {
		return
	}
	r.crowd.told, r.crowd.toldAt = r.crowd.people, time.Now()
	r.noticeLocked(counted(r.name, r.crowd.people))
}

// counted is "* 1,234 people here" in both formats.
func counted(room string, n int) payloads {
	words := " people here"
	if n == 1 {
		words = " person here"
	}
	return payloads{text: text("* ", thousands(n), words), json: jsonPayload(event{Type: "count", Room: room, Count: n})}
}

// thousands writes n, not negative, with a comma between groups of
// three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
