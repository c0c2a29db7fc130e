package store

import (
	"fmt"
	"time"
)

// commitDelay is how long the committer lets records gather before a
// batch when the last batch showed that they arrive together, as
// PostgreSQL's commit_delay does: under load one fsync then serves many
// more records, for this much more latency; a lone record after a quiet
// spell is written at once.
const commitDelay = time.Millisecond

// commitLoop is the committer: it takes everything pending, writes it
// with one write and one fsync, indexes it and calls the done functions
// in order; between batches it deletes and compacts segments.
func (l *Log) commitLoop() {
	defer close(l.quit)
	busy := false
	for {
		if busy {
			time.Sleep(commitDelay)
		}
		batch, buf, stop := l.take()
		if stop {
			return
		}
		if len(batch) > 0 {
			l.commit(batch, buf)
		}
		busy = len(batch) > 1
		l.tidy()
	}
}

// take waits for pending records or for segments to tidy, and takes the
// pending records. stop is true once the log is closed and drained.
func (l *Log) take() (batch []pending, buf []byte, stop bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.queue) == 0 && !l.closed && !l.untidy() {
		l.work.Wait()
	}
	if len(l.queue) == 0 {
		return nil, nil, l.closed
	}
	batch, buf = l.queue, l.buf
	l.queue, l.buf = l.spareQ[:0], l.spareBuf[:0]
	l.spareQ, l.spareBuf = nil, nil
	return batch, buf, false
}

// commit writes one batch and reports the outcome to each record's done.
func (l *Log) commit(batch []pending, buf []byte) {
	seg, base, err := l.write(buf)
	l.mu.Lock()
	l.pendingBytes -= len(buf)
	l.space.Broadcast()
	if err == nil {
		l.blocked = false
	}
	for _, p := range batch {
		p.room.pending--
		e := entry{id: p.id, seg: seg, off: base + int64(p.off), size: int64(p.size), own: p.own, charge: Charge(len(p.payload))}
		switch {
		case err == nil:
			l.add(p.room, e, nil)
		default:
			l.unreserve(p.room, e.own, e.charge)
			if r := p.room; !r.gone && len(r.ents) == 0 && r.pending == 0 {
				l.delete(r) // opened by a record that was not kept
			}
		}
	}
	l.mu.Unlock()

	l.doneMu.Lock()
	for _, p := range batch {
		if err != nil {
			l.failures.Add(1)
			p.done(Record{Payload: p.payload}, err)
		} else {
			l.appends.Add(1)
			p.done(Record{ID: p.id, Payload: p.payload}, nil)
		}
	}
	l.doneMu.Unlock()

	clear(batch)
	l.mu.Lock()
	if cap(buf) <= 2*l.maxPending {
		l.spareQ, l.spareBuf = batch[:0], buf[:0]
	}
	l.mu.Unlock()
}

// write appends buf to the head segment with one write and one fsync,
// starting a new segment first if the head is full, and returns where buf
// went. On failure the head is cut back to its last good size; until that
// succeeds nothing more is written.
func (l *Log) write(buf []byte) (*segment, int64, error) {
	h := l.segs[len(l.segs)-1]
	if h.dirty {
		if err := cutBack(h); err != nil {
			return nil, 0, err
		}
	}
	if h.size >= l.segSize {
		if err := l.newSegment(h.num + 1); err != nil {
			return nil, 0, err
		}
		h = l.segs[len(l.segs)-1]
	}
	off := h.size
	_, err := h.f.WriteAt(buf, off)
	if err != nil {
		err = fmt.Errorf("store: write %s: %w", h.name, err)
	} else {
		l.syncs.Add(1)
		if err = h.f.Sync(); err != nil {
			err = fmt.Errorf("store: fsync %s: %w", h.name, err)
		}
	}
	if err != nil {
		h.dirty = true
		if cerr := cutBack(h); cerr != nil {
			l.log.Error("store: write failed and cannot be undone yet", "err", cerr)
		}
		return nil, 0, err
	}
	l.mu.Lock()
	h.size += int64(len(buf))
	l.diskBytes += int64(len(buf))
	l.mu.Unlock()
	return h, off, nil
}

// cutBack truncates a segment to its last good size after a failed write,
// so that no part of the failed batch is ever replayed.
func cutBack(h *segment) error {
	err := h.f.Truncate(h.size)
	if err == nil {
		err = h.f.Sync()
	}
	if err != nil {
		return fmt.Errorf("store: cut %s back to offset %d after a failed write: %w", h.name, h.size, err)
	}
	h.dirty = false
	return nil
}
