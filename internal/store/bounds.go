package store

import (
	"errors"
	"fmt"
	"hash/fnv"
	"time"
)

// Bounds. Every kept record is charged its payload and RecordOverhead,
// and every room that keeps records RoomOverhead, charged to whoever's
// record opened it, until it is emptied; the charges are what the bounds
// count. A room keeps its newest Keep
// records within RoomBytes, and none older than MaxAge: these drop a
// room's own oldest records, and nothing else ever does, so no room
// loses history for what happens in another. The log as a whole
// (Total), one owner over every room (Share) and one owner within one
// room (RoomShare) are bounds that refuse: an Append that would pass one
// fails with a *LimitError, and nothing is dropped to make room.

// RecordOverhead is what a kept record is charged beyond its payload:
// about what holds it in memory (its index entry, its slice headers, its
// share of a room's), so that many tiny records cost what they take.
const RecordOverhead = 256

// RoomOverhead is what a room with records is charged beyond them: about
// what the largest engine (Redis, whose stream preallocates a node of 4
// KiB) takes for one, so that a flood of rooms of one message each costs
// what it takes there too.
const RoomOverhead = 5 << 10

// Charge is what a record of n payload bytes counts against the bounds.
func Charge(n int) int64 { return int64(n) + RecordOverhead }

// The bounds an Append may be refused for, as the Err of a *LimitError.
var (
	ErrShare     = errors.New("store: the owner's share is full")
	ErrRoomShare = errors.New("store: the owner's share of the room is full")
	ErrFull      = errors.New("store: the log is full")
)

// LimitError is an Append refused because its record would take a bound
// past its size: Err says which (ErrShare, ErrRoomShare or ErrFull), and
// Max is the bound, in bytes.
type LimitError struct {
	Err error
	Max int64
}

func (e *LimitError) Error() string { return fmt.Sprintf("%v: at most %d bytes", e.Err, e.Max) }
func (e *LimitError) Unwrap() error { return e.Err }

// owner is what the kept (and, with a Dir, pending) records of one owner
// are charged. It is in Log.owners while that is more than zero.
type owner struct {
	key    string
	charge int64
}

// ownerFor returns the owner whose key is key, or nil for "", nobody.
// l.mu must be held for writing.
func (l *Log) ownerFor(key string) *owner {
	if key == "" {
		return nil
	}
	o := l.owners[key]
	if o == nil {
		o = &owner{key: key}
		l.owners[key] = o
	}
	return o
}

// admit reports the bound a record charged c, of the owner key, would
// pass in room r (nil when the record opens it, which costs RoomOverhead
// more, though not of the owner's share of the room). The owner's own
// bounds come first: whoever fills the log fills its own share first.
// l.mu must be held.
func (l *Log) admit(r *room, key string, c int64) error {
	opening := int64(0)
	if r == nil {
		opening = RoomOverhead
	}
	if o := l.owners[key]; key != "" {
		var have, inRoom int64
		if o != nil {
			have = o.charge
			if r != nil {
				inRoom = r.shares[o]
			}
		}
		switch {
		case l.bounds.Share > 0 && have+c+opening > l.bounds.Share:
			return &LimitError{Err: ErrShare, Max: l.bounds.Share}
		case l.bounds.RoomShare > 0 && inRoom+c > l.bounds.RoomShare:
			return &LimitError{Err: ErrRoomShare, Max: l.bounds.RoomShare}
		}
	}
	if l.bounds.Total > 0 && l.charge+c+opening > l.bounds.Total {
		return &LimitError{Err: ErrFull, Max: l.bounds.Total}
	}
	return nil
}

// reserve charges a record of o, charged c, to the log, to o and to o's
// share of r, from the moment it is accepted. l.mu must be held for
// writing.
func (l *Log) reserve(r *room, o *owner, c int64) {
	l.charge += c
	if o == nil {
		return
	}
	o.charge += c
	if l.bounds.RoomShare > 0 {
		if r.shares == nil {
			r.shares = make(map[*owner]int64)
		}
		r.shares[o] += c
	}
}

// open charges a new room to its opener, o, and to the log. l.mu must be
// held for writing.
func (l *Log) open(r *room, o *owner) {
	r.opener = o
	l.charge += RoomOverhead
	if o != nil {
		o.charge += RoomOverhead
	}
}

// unreserve gives back what reserve charged. l.mu must be held for
// writing.
func (l *Log) unreserve(r *room, o *owner, c int64) {
	l.charge -= c
	if o == nil {
		return
	}
	if o.charge -= c; o.charge <= 0 {
		delete(l.owners, o.key)
	}
	if r.shares != nil {
		if r.shares[o] -= c; r.shares[o] <= 0 {
			delete(r.shares, o)
		}
	}
}

// sweepEvery is how often, at most, every room is checked for records
// past MaxAge: a room is checked at once whenever it is appended to.
func (l *Log) sweepEvery() time.Duration { return min(time.Minute, l.bounds.MaxAge/4) }

// sweep drops the records past MaxAge of every room, when it is time to.
// l.mu must be held for writing.
func (l *Log) sweep(now time.Time) {
	if l.bounds.MaxAge <= 0 || now.Sub(l.swept) < l.sweepEvery() {
		return
	}
	l.swept = now
	for _, r := range l.rooms {
		l.expire(r, now)
	}
}

// expire drops r's records past MaxAge; a room left with none, and none
// on its way, is deleted. l.mu must be held for writing.
func (l *Log) expire(r *room, now time.Time) {
	if l.bounds.MaxAge <= 0 {
		return
	}
	cutoff := now.Add(-l.bounds.MaxAge).UnixMilli()
	n := 0
	for n < len(r.ents) && int64(r.ents[n].id.Ms) < cutoff {
		n++
	}
	l.drop(r, n)
	if len(r.ents) == 0 && r.pending == 0 {
		l.delete(r)
	}
}

// delete forgets an empty room, noting whether it lost records. l.mu
// must be held for writing.
func (l *Log) delete(r *room) {
	r.gone = true
	delete(l.rooms, r.name)
	l.charge -= RoomOverhead
	if o := r.opener; o != nil {
		if o.charge -= RoomOverhead; o.charge <= 0 {
			delete(l.owners, o.key)
		}
	}
	if r.trimmed {
		l.lost[lostBit(r.name)/64] |= 1 << (lostBit(r.name) % 64)
		l.log.Debug("store: room emptied by age", "room", r.name)
	}
}

// lostBits is the size of the filter of rooms that lost records and
// were deleted: a room whose bit is set may have lost some, so it never
// vouches that it keeps all it had. Two rooms may share a bit: then the
// one that lost nothing is not vouched for either, which errs the safe
// way. 64 Ki bits, 8 KiB.
const lostBits = 1 << 16

// lostBit is the bit of room name in the filter.
func lostBit(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32() % lostBits
}

// mayHaveLost reports whether a room that has no record may have lost
// some: it did in this process, or the log was read back from a
// directory, where a room that lost all it had leaves no trace. l.mu
// must be held.
func (l *Log) mayHaveLost(name string) bool {
	return l.unsure || l.lost[lostBit(name)/64]&(1<<(lostBit(name)%64)) != 0
}
