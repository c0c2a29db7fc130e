package store

import (
	"fmt"
)

// untidy reports whether a segment other than the head should be deleted
// (nothing kept lives in it) or compacted (less than half of it is live).
// l.mu must be held.
func (l *Log) untidy() bool {
	return len(l.deadSegments()) > 0 || (!l.blocked && l.sparse() != nil)
}

// deadSegments returns the segments other than the head that keep
// nothing alive.
func (l *Log) deadSegments() []*segment {
	var dead []*segment
	for _, s := range l.segs[:len(l.segs)-1] {
		if s.liveN == 0 {
			dead = append(dead, s)
		}
	}
	return dead
}

// sparse returns the oldest segment other than the head that is less
// than half live.
func (l *Log) sparse() *segment {
	for _, s := range l.segs[:len(l.segs)-1] {
		if s.live*2 < s.size {
			return s
		}
	}
	return nil
}

// tidy deletes the dead segments and compacts at most one sparse one, so
// that a batch never waits behind more than one compaction.
func (l *Log) tidy() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	dead := l.deadSegments()
	s := l.sparse()
	if l.blocked {
		s = nil
	}
	l.mu.Unlock()
	for _, d := range dead {
		l.removeSegment(d)
	}
	if s == nil || s.liveN == 0 {
		return
	}
	if err := l.compact(s); err != nil {
		l.log.Error("store: compaction failed", "file", s.name, "err", err)
		l.mu.Lock()
		l.blocked = true
		l.mu.Unlock()
	}
}

// move is a live record being copied out of a segment.
type move struct {
	room   *room
	id     ID
	off    int64 // where it was
	newOff int64 // where it goes, relative to the copy
}

// compact copies the live records of s to the head, keeping their IDs,
// points the index at the copies and deletes s.
func (l *Log) compact(s *segment) error {
	data := make([]byte, s.size)
	if _, err := s.f.ReadAt(data, 0); err != nil {
		return fmt.Errorf("store: read %s: %w", s.name, err)
	}
	moves, out, err := l.liveIn(s, data)
	if err != nil {
		return err
	}
	var head *segment
	var base int64
	if len(out) > 0 {
		if head, base, err = l.write(out); err != nil {
			return err
		}
	}
	l.mu.Lock()
	for _, m := range moves {
		i, ok := m.room.find(m.id)
		if m.room.gone || !ok || m.room.ents[i].seg != s || m.room.ents[i].off != m.off {
			continue // dropped meanwhile: its copy is dead
		}
		e := &m.room.ents[i]
		s.live -= e.size
		s.liveN--
		e.seg, e.off = head, base+m.newOff
		head.live += e.size
		head.liveN++
	}
	left := s.liveN
	l.mu.Unlock()
	if left != 0 {
		return fmt.Errorf("store: %d records of %s were not moved", left, s.name)
	}
	l.compactions.Add(1)
	l.log.Debug("store: compacted segment", "file", s.name, "moved", len(moves), "bytes", len(out))
	l.removeSegment(s)
	return nil
}

// liveIn returns the records of s that the index still points at, and
// their encoded bytes back to back.
func (l *Log) liveIn(s *segment, data []byte) ([]move, []byte, error) {
	var moves []move
	var out []byte
	l.mu.RLock()
	defer l.mu.RUnlock()
	for off := 0; off < len(data); {
		rec, n, err := decodeRecord(data[off:])
		if err != nil {
			return nil, nil, fmt.Errorf("store: damaged record in %s at offset %d: %w", s.name, off, err)
		}
		if r := l.rooms[string(rec.room)]; r != nil {
			if i, ok := r.find(rec.id); ok && r.ents[i].seg == s && r.ents[i].off == int64(off) {
				moves = append(moves, move{room: r, id: rec.id, off: int64(off), newOff: int64(len(out))})
				out = append(out, data[off:off+n]...)
			}
		}
		off += n
	}
	return moves, out, nil
}
