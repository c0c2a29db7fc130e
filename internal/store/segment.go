package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// segment is one segment file. Only the committer writes it; size, live
// and liveN change under l.mu, dirty is the committer's alone.
type segment struct {
	num   uint32
	name  string // file name within the directory
	f     *os.File
	size  int64 // bytes written and synced
	live  int64 // bytes of kept records
	liveN int   // kept records
	dirty bool  // a failed write may have left bytes past size
}

// segmentName returns the file name of segment num.
func segmentName(num uint32) string { return fmt.Sprintf("%08d.seg", num) }

// listSegments returns the numbers of the segment files in dir, in order.
func listSegments(dir string) ([]uint32, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store: list data directory: %w", err)
	}
	var nums []uint32
	for _, de := range des {
		base, ok := strings.CutSuffix(de.Name(), ".seg")
		if !ok || !de.Type().IsRegular() {
			continue
		}
		n, err := strconv.ParseUint(base, 10, 32)
		if err != nil || segmentName(uint32(n)) != de.Name() {
			continue
		}
		nums = append(nums, uint32(n))
	}
	slices.Sort(nums)
	return nums, nil
}

// replay opens every segment, rebuilds the index from their records and
// deletes the segments nothing kept lives in.
func (l *Log) replay() error {
	nums, err := listSegments(l.dir)
	if err != nil {
		return err
	}
	for i, num := range nums {
		if err := l.replaySegment(num, i == len(nums)-1); err != nil {
			return err
		}
	}
	if len(l.segs) == 0 {
		if err := l.newSegment(1); err != nil {
			return err
		}
	}
	l.settle()
	for _, s := range l.deadSegments() {
		l.removeSegment(s)
	}
	return nil
}

// replaySegment reads one segment and collects its records into the
// rooms, unsorted. last says whether it is the newest segment, whose torn
// tail is cut off.
func (l *Log) replaySegment(num uint32, last bool) error {
	s := &segment{num: num, name: segmentName(num)}
	f, err := os.OpenFile(filepath.Join(l.dir, s.name), os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("store: open segment: %w", err)
	}
	s.f = f
	l.segs = append(l.segs, s)
	data, err := os.ReadFile(f.Name())
	if err != nil {
		return fmt.Errorf("store: read segment: %w", err)
	}
	off := 0
	for off < len(data) {
		rec, n, err := decodeRecord(data[off:])
		if err != nil {
			return l.damage(s, data, off, last, err)
		}
		r := l.rooms[string(rec.room)]
		if r == nil {
			r = &room{name: string(rec.room)}
			l.rooms[r.name] = r
		}
		r.ents = append(r.ents, entry{id: rec.id, seg: s, off: int64(off), size: int64(n),
			own: l.ownerFor(string(rec.owner)), charge: Charge(len(rec.payload))})
		off += n
	}
	s.size = int64(off)
	l.diskBytes += s.size
	return nil
}

// damage handles a bad record at off: a torn tail of the newest segment
// is cut off; anything else is an error naming the file and offset.
func (l *Log) damage(s *segment, data []byte, off int, last bool, cause error) error {
	if !last || intactAfter(data[off+1:]) {
		return fmt.Errorf("store: damaged record in %s at offset %d: %w", s.name, off, cause)
	}
	l.log.Warn("store: cutting off torn tail", "file", s.name, "offset", off, "bytes", len(data)-off, "err", cause)
	if err := s.f.Truncate(int64(off)); err != nil {
		return fmt.Errorf("store: cut torn tail of %s at offset %d: %w", s.name, off, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("store: fsync %s: %w", s.name, err)
	}
	s.size = int64(off)
	l.diskBytes += s.size
	return nil
}

// intactAfter reports whether an intact record starts anywhere in b.
func intactAfter(b []byte) bool {
	for i := range b {
		if plausibleRecord(b[i:]) {
			return true
		}
	}
	return false
}

// settle puts each replayed room in ID order, drops the older copy of a
// record an interrupted compaction left twice, applies Keep, counts what
// each segment keeps alive and what each record is charged, then
// applies RoomBytes and MaxAge. A log read back from a directory that
// held records vouches for no room that has none (mayHaveLost). The
// Total and shares are not applied: records kept past them (the bounds
// were lowered) stay, and appends are refused until they drain.
func (l *Log) settle() {
	now := l.now()
	for _, r := range l.rooms {
		l.unsure = true
		if !slices.IsSortedFunc(r.ents, byID) {
			slices.SortStableFunc(r.ents, byID)
		}
		r.ents = dedupe(r.ents)
		r.ents = slices.Clip(r.ents[max(len(r.ents)-l.keep, 0):])
		r.last = r.ents[len(r.ents)-1].id
		r.trimmed = true // what compaction removed before leaves no trace
		for _, e := range r.ents {
			e.seg.live += e.size
			e.seg.liveN++
			r.charge += e.charge
			l.reserve(r, e.own, e.charge)
		}
		l.records += len(r.ents)
		l.open(r, r.ents[0].own) // who opened it is not kept: its oldest record's owner pays
		l.trim(r)
		l.expire(r, now)
	}
	for key, o := range l.owners {
		if o.charge == 0 {
			delete(l.owners, key)
		}
	}
}

// byID orders entries by ID.
func byID(a, b entry) int { return a.id.compare(b.id) }

// dedupe keeps the later of entries with equal IDs (the compacted copy).
func dedupe(ents []entry) []entry {
	out := ents[:0]
	for i, e := range ents {
		if i+1 < len(ents) && ents[i+1].id == e.id {
			continue
		}
		out = append(out, e)
	}
	return out
}

// newSegment creates segment num and makes it the head.
func (l *Log) newSegment(num uint32) error {
	s := &segment{num: num, name: segmentName(num)}
	f, err := os.OpenFile(filepath.Join(l.dir, s.name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: create segment: %w", err)
	}
	if err := syncDir(l.dir); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	s.f = f
	l.mu.Lock()
	l.segs = append(l.segs, s)
	l.mu.Unlock()
	return nil
}

// removeSegment forgets a segment and deletes its file once no reader is
// using it. A file that cannot be deleted is logged; replay would find
// only records that are older than what is kept, or copies.
func (l *Log) removeSegment(s *segment) {
	l.mu.Lock()
	l.segs = slices.DeleteFunc(l.segs, func(x *segment) bool { return x == s })
	l.diskBytes -= s.size
	l.mu.Unlock()
	l.segMu.Lock()
	defer l.segMu.Unlock()
	s.f.Close()
	if err := os.Remove(s.f.Name()); err != nil {
		l.log.Error("store: cannot delete segment", "file", s.name, "err", err)
	}
}
