package store

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Readers running while segments are written, compacted and deleted
// under them always get whole, ordered records.
func TestReadsDuringCompaction(t *testing.T) {
	const keep = 30
	l := mustOpen(t, Options{Dir: t.TempDir(), Keep: keep, SegmentSize: 2048})
	var stop atomic.Bool
	var readers sync.WaitGroup
	var bad atomic.Value
	for r := range 3 {
		readers.Go(func() {
			room := fmt.Sprint("busy", r%2)
			for i := 0; i < 5000 && !stop.Load(); i++ {
				runtime.Gosched() // let the writers through on a loaded machine
				recs := l.Last(room, keep)
				if msg := checkSeq(room, recs); msg != "" {
					bad.Store(msg)
					return
				}
				if len(recs) > 1 {
					// Only newer records come back, whether or not
					// recs[0] has aged out meanwhile.
					rest := l.After(room, recs[0].ID, keep)
					if msg := checkSeq(room, rest); msg != "" || (len(rest) > 0 && !recs[0].ID.Less(rest[0].ID)) {
						bad.Store(fmt.Sprintf("After(%v): %s", recs[0].ID, msg))
						return
					}
				}
			}
		})
	}
	mustAppend(t, l, "quiet", "quiet:0")
	var writers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			room := fmt.Sprint("busy", w)
			for i := range 400 {
				mustAppend(t, l, room, fmt.Sprintf("%s:%d:%s", room, i, strings.Repeat("w", i%50)))
			}
		})
	}
	writers.Wait()
	stop.Store(true)
	readers.Wait()
	if msg := bad.Load(); msg != nil {
		t.Fatal(msg)
	}
	s := l.Stats()
	if s.ReadErrors != 0 || s.Compactions == 0 {
		t.Errorf("ReadErrors=%d Compactions=%d; want 0 and some", s.ReadErrors, s.Compactions)
	}
	if got := payloads(l.Last("quiet", 1)); len(got) != 1 || got[0] != "quiet:0" {
		t.Errorf("quiet room = %q", got)
	}
}

// checkSeq reports records of room that are not "room:i:..." with i
// increasing by one.
func checkSeq(room string, recs []Record) string {
	prev := -1
	for _, r := range recs {
		parts := strings.SplitN(string(r.Payload), ":", 3)
		i, err := strconv.Atoi(parts[min(1, len(parts)-1)])
		if len(parts) != 3 || parts[0] != room || err != nil || (prev >= 0 && i != prev+1) {
			return fmt.Sprintf("record %v = %q after number %d", r.ID, r.Payload, prev)
		}
		prev = i
	}
	return ""
}

// A flood of appends waits for the disk instead of queueing without bound.
func TestBackpressure(t *testing.T) {
	const maxPending = 4096
	l := mustOpen(t, Options{Dir: t.TempDir(), MaxPending: maxPending})
	var peak atomic.Int64
	var acked sync.WaitGroup
	var writers sync.WaitGroup
	payload := []byte(strings.Repeat("f", 500))
	for w := range 16 {
		writers.Go(func() {
			for range 100 {
				acked.Add(1)
				l.Append(fmt.Sprint("r", w), "", payload, func(_ Record, err error) {
					defer acked.Done()
					if err != nil {
						t.Error(err)
					}
					if p := int64(l.Stats().PendingBytes); p > peak.Load() {
						peak.Store(p)
					}
				})
			}
		})
	}
	writers.Wait()
	acked.Wait()
	if p := peak.Load(); p > maxPending {
		t.Errorf("%d bytes were pending at once, MaxPending is %d", p, maxPending)
	}
	if s := l.Stats(); s.Appends != 1600 {
		t.Errorf("Appends = %d, want 1600", s.Appends)
	}
}

// Empty payloads are stored like any other.
func TestEmptyPayload(t *testing.T) {
	modes(t, func(t *testing.T, o Options) {
		l := mustOpen(t, o)
		for _, p := range []string{"", "one", "", "two"} {
			mustAppend(t, l, "lobby", p)
		}
		if got := payloads(l.Last("lobby", 10)); !slices.Equal(got, []string{"", "one", "", "two"}) {
			t.Errorf("history = %q", got)
		}
	})
}

// Changing a payload after Append returns changes nothing stored.
func TestAppendCopiesPayload(t *testing.T) {
	modes(t, func(t *testing.T, o Options) {
		l := mustOpen(t, o)
		p := []byte("original")
		ch := make(chan struct{})
		l.Append("lobby", "", p, func(Record, error) { close(ch) })
		copy(p, "MODIFIED")
		<-ch
		if got := payloads(l.Last("lobby", 1)); len(got) != 1 || got[0] != "original" {
			t.Errorf("stored %q, want original", got)
		}
	})
}

// Records that arrive while the committer is busy are written together,
// with one fsync.
func TestGroupCommit(t *testing.T) {
	l := mustOpen(t, Options{Dir: t.TempDir()})
	started, release := make(chan struct{}), make(chan struct{})
	l.Append("lobby", "", []byte("first"), func(Record, error) {
		close(started)
		<-release // hold the committer inside this batch's done calls
	})
	<-started
	var acked sync.WaitGroup
	for i := range 100 {
		acked.Add(1)
		l.Append(fmt.Sprint("room", i%7), "", []byte("queued"), func(_ Record, err error) {
			if err != nil {
				t.Error(err)
			}
			acked.Done()
		})
	}
	close(release)
	acked.Wait()
	if s := l.Stats(); s.Syncs != 2 || s.Appends != 101 {
		t.Errorf("Syncs=%d Appends=%d; want 2 fsyncs for 101 appends (one batch of 100)", s.Syncs, s.Appends)
	}
}
