package store

import (
	"fmt"
	"slices"
)

// room is one room's history.
type room struct {
	name string
	last ID       // newest ID issued, stored or not
	ents []entry  // kept records, oldest first
	pays [][]byte // memory mode: the payloads of ents
	gone bool     // forgotten for MaxRooms
}

// entry locates a kept record. In memory mode seg is nil.
type entry struct {
	id   ID
	seg  *segment
	off  int64 // offset of the encoded record in seg
	size int64 // its encoded size
}

// roomFor returns the named room, creating it and forgetting another one
// if MaxRooms is reached. l.mu must be held for writing.
func (l *Log) roomFor(name string) *room {
	if r := l.rooms[name]; r != nil {
		return r
	}
	if l.maxRooms > 0 && len(l.rooms) >= l.maxRooms {
		l.forget(l.stalest())
	}
	r := &room{name: name}
	l.rooms[name] = r
	return r
}

// stalest returns the room whose newest record is oldest.
func (l *Log) stalest() *room {
	var old *room
	for _, r := range l.rooms {
		if old == nil || r.last.Less(old.last) {
			old = r
		}
	}
	return old
}

// forget drops a room and its records; their bytes on disk become dead
// and go with compaction. l.mu must be held for writing.
func (l *Log) forget(r *room) {
	l.drop(r, len(r.ents))
	r.gone = true
	delete(l.rooms, r.name)
	l.log.Debug("store: room forgotten", "room", r.name)
}

// add appends a record to r and drops what falls out of Keep. pay is the
// payload in memory mode (e.seg nil), unused on disk. l.mu must be held
// for writing.
func (l *Log) add(r *room, e entry, pay []byte) {
	if r.gone {
		return
	}
	r.ents = append(r.ents, e)
	if e.seg == nil {
		r.pays = append(r.pays, pay)
	} else {
		e.seg.live += e.size
		e.seg.liveN++
	}
	l.records++
	if len(r.ents) > l.keep {
		l.drop(r, len(r.ents)-l.keep)
	}
}

// drop removes the oldest n records of r.
func (l *Log) drop(r *room, n int) {
	for _, e := range r.ents[:n] {
		if e.seg != nil {
			e.seg.live -= e.size
			e.seg.liveN--
		}
	}
	r.ents = r.ents[n:]
	if len(r.pays) > 0 {
		clear(r.pays[:n])
		r.pays = r.pays[n:]
	}
	l.records -= n
}

// find returns the index of the record with the given ID.
func (r *room) find(id ID) (int, bool) {
	i, ok := slices.BinarySearchFunc(r.ents, id, func(e entry, id ID) int { return e.id.compare(id) })
	return i, ok
}

// compare orders IDs like Less.
func (id ID) compare(o ID) int {
	switch {
	case id.Less(o):
		return -1
	case o.Less(id):
		return 1
	}
	return 0
}

// Last returns the room's newest n kept records, oldest first.
func (l *Log) Last(name string, n int) []Record {
	if n <= 0 {
		return nil
	}
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	l.mu.RLock()
	r := l.rooms[name]
	if r == nil {
		l.mu.RUnlock()
		return nil
	}
	ents, pays := r.from(max(len(r.ents)-n, 0))
	l.mu.RUnlock()
	return l.load(ents, pays)
}

// After returns the kept records of the room that come after id, oldest
// first. ok is false when id is not one the room issued and still keeps:
// when it is older than the oldest kept record, recs is everything kept;
// when it was never issued (in the kept range but no such record, or newer
// than the newest, as from before a reset or from another server) recs is
// nil. For id equal to the newest, recs is empty and ok true. The zero ID
// means "from the start": recs is everything kept, and ok is true unless
// the room holds Keep records (older ones may have aged out).
func (l *Log) After(name string, id ID) (recs []Record, ok bool) {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	l.mu.RLock()
	r := l.rooms[name]
	if r == nil {
		l.mu.RUnlock()
		return nil, id.IsZero()
	}
	from, ok := r.after(id, l.keep)
	if from < 0 {
		l.mu.RUnlock()
		return nil, false
	}
	ents, pays := r.from(from)
	l.mu.RUnlock()
	return l.load(ents, pays), ok
}

// after returns the index of the first record to replay after id, or -1
// for an ID the room never issued, and whether nothing was missed.
func (r *room) after(id ID, keep int) (int, bool) {
	switch {
	case id.IsZero():
		return 0, len(r.ents) < keep
	case len(r.ents) == 0:
		return -1, false
	case id.Less(r.ents[0].id):
		return 0, false
	}
	i, found := r.find(id)
	if !found {
		return -1, false
	}
	return i + 1, true
}

// from copies r's entries and payloads from index i on.
func (r *room) from(i int) ([]entry, [][]byte) {
	ents := slices.Clone(r.ents[i:])
	if len(r.pays) == 0 {
		return ents, nil
	}
	return ents, slices.Clone(r.pays[i:])
}

// load turns entries into records, reading payloads from their segments
// when they are not in memory. A record that cannot be read back is
// logged, counted and left out. l.segMu must be read-held.
func (l *Log) load(ents []entry, pays [][]byte) []Record {
	if len(ents) == 0 {
		return nil
	}
	recs := make([]Record, 0, len(ents))
	if pays != nil {
		for i, e := range ents {
			recs = append(recs, Record{ID: e.id, Payload: pays[i]})
		}
		return recs
	}
	var total int64
	for _, e := range ents {
		total += e.size
	}
	buf := make([]byte, total)
	for _, e := range ents {
		b := buf[:e.size:e.size]
		buf = buf[e.size:]
		p, err := readRecord(e, b)
		if err != nil {
			l.readErrors.Add(1)
			l.log.Error("store: cannot read record back", "id", e.id.String(), "err", err)
			continue
		}
		recs = append(recs, Record{ID: e.id, Payload: p})
	}
	return recs
}

// readRecord reads the record e locates into b and returns its payload.
func readRecord(e entry, b []byte) ([]byte, error) {
	if _, err := e.seg.f.ReadAt(b, e.off); err != nil {
		return nil, fmt.Errorf("read %s at offset %d: %w", e.seg.name, e.off, err)
	}
	rec, _, err := decodeRecord(b)
	if err == nil && rec.id != e.id {
		err = fmt.Errorf("found ID %s", rec.id)
	}
	if err != nil {
		return nil, fmt.Errorf("record in %s at offset %d: %w", e.seg.name, e.off, err)
	}
	return rec.payload, nil
}
