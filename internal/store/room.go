package store

import (
	"fmt"
	"slices"
)

// room is one room's history.
type room struct {
	name    string
	last    ID               // newest ID issued, stored or not
	ents    []entry          // kept records, oldest first
	pays    [][]byte         // memory mode: the payloads of ents
	charge  int64            // what ents are charged
	pending int              // records on their way to the disk
	shares  map[*owner]int64 // with RoomShare: each owner's charge here, pending included
	opener  *owner           // charged RoomOverhead for the room; nil: nobody
	gone    bool             // deleted, emptied by age
	// trimmed: records of the room have been dropped, or may have been
	// before the log was opened, so that it does not keep all it had.
	trimmed bool
}

// entry locates a kept record. In memory mode seg is nil.
type entry struct {
	id     ID
	seg    *segment
	off    int64  // offset of the encoded record in seg
	size   int64  // its encoded size
	own    *owner // nil: nobody's
	charge int64  // see Charge
}

// roomFor returns the named room, creating it if need be. A new room
// that may have had records before is not vouched for (mayHaveLost).
// l.mu must be held for writing.
func (l *Log) roomFor(name string) *room {
	if r := l.rooms[name]; r != nil {
		return r
	}
	r := &room{name: name, trimmed: l.mayHaveLost(name)}
	l.rooms[name] = r
	return r
}

// add appends a record, already reserved (see accept), to r, and drops
// the oldest ones that fall out of Keep or RoomBytes; the newest is
// always kept. A room deleted meanwhile takes nothing: its reservation
// is given back. pay is the payload in memory mode (e.seg nil), unused
// on disk. l.mu must be held for writing.
func (l *Log) add(r *room, e entry, pay []byte) {
	if r.gone {
		l.unreserve(r, e.own, e.charge)
		return
	}
	r.ents = append(r.ents, e)
	r.charge += e.charge
	if e.seg == nil {
		r.pays = append(r.pays, pay)
	} else {
		e.seg.live += e.size
		e.seg.liveN++
	}
	l.records++
	l.trim(r)
}

// trim drops r's oldest records past Keep or RoomBytes, leaving the
// newest. l.mu must be held for writing.
func (l *Log) trim(r *room) {
	n := max(len(r.ents)-l.keep, 0)
	charge := r.charge
	for _, e := range r.ents[:n] {
		charge -= e.charge
	}
	for l.bounds.RoomBytes > 0 && charge > l.bounds.RoomBytes && n < len(r.ents)-1 {
		charge -= r.ents[n].charge
		n++
	}
	l.drop(r, n)
}

// drop removes the oldest n records of r, and what they were charged.
func (l *Log) drop(r *room, n int) {
	for _, e := range r.ents[:n] {
		if e.seg != nil {
			e.seg.live -= e.size
			e.seg.liveN--
		}
		r.charge -= e.charge
		l.unreserve(r, e.own, e.charge)
	}
	r.ents = r.ents[n:]
	r.trimmed = r.trimmed || n > 0
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
func (l *Log) Last(name string, n int) []Record { return l.Before(name, MaxID, n) }

// Before returns at most n kept records of the room that come before id:
// the newest of them, oldest first. MaxID reads from the newest.
func (l *Log) Before(name string, id ID, n int) []Record {
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
	end, _ := r.find(id)
	ents, pays := r.slice(max(end-n, 0), end)
	l.mu.RUnlock()
	return l.load(ents, pays)
}

// After returns at most n kept records of the room that come after id,
// oldest first. The zero ID reads from the oldest.
func (l *Log) After(name string, id ID, n int) []Record {
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
	i, found := r.find(id)
	if found {
		i++
	}
	ents, pays := r.slice(i, min(i+n, len(r.ents)))
	l.mu.RUnlock()
	return l.load(ents, pays)
}

// Location is where an ID stands in a room's kept records.
type Location struct {
	Kept     bool // a record the room keeps
	Older    bool // older than every kept record, or zero in a room that keeps none
	Complete bool // the room keeps every record it was ever given
}

// Locate tells where id stands in the room's kept records. A room is
// complete while it has dropped nothing; one read back from disk is not
// taken as complete, since what compaction removed leaves no trace, and
// neither is a room that lost all it had (see mayHaveLost).
func (l *Log) Locate(name string, id ID) Location {
	l.mu.RLock()
	defer l.mu.RUnlock()
	r := l.rooms[name]
	if r == nil {
		return Location{Older: id.IsZero(), Complete: !l.mayHaveLost(name)}
	}
	complete := !r.trimmed
	if len(r.ents) == 0 {
		return Location{Older: id.IsZero(), Complete: complete}
	}
	if id.Less(r.ents[0].id) {
		return Location{Older: true, Complete: complete}
	}
	_, kept := r.find(id)
	return Location{Kept: kept, Complete: complete}
}

// slice copies r's entries and payloads from index i up to j.
func (r *room) slice(i, j int) ([]entry, [][]byte) {
	if i >= j {
		return nil, nil
	}
	ents := slices.Clone(r.ents[i:j])
	if len(r.pays) == 0 {
		return ents, nil
	}
	return ents, slices.Clone(r.pays[i:j])
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
