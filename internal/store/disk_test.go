package store

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *logBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *logBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// fill writes n records to room in a fresh log at dir and closes it.
func fill(t *testing.T, o Options, room string, n int) []string {
	t.Helper()
	l := mustOpen(t, o)
	var want []string
	for i := range n {
		p := fmt.Sprintf("message %03d %s", i, strings.Repeat("x", i%7))
		mustAppend(t, l, room, p)
		want = append(want, p)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return want
}

// segFile returns the path of segment num in dir.
func segFile(dir string, num uint32) string { return filepath.Join(dir, segmentName(num)) }

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func TestTornTailIsCut(t *testing.T) {
	rec := appendRecord(nil, "lobby", ID{1 << 50, 0}, []byte("never acknowledged"))
	bad := bytes.Clone(rec)
	bad[len(bad)-1] ^= 1
	tests := []struct {
		name string
		tail []byte
	}{
		{"header cut short", rec[:5]},
		{"body cut short", rec[:len(rec)-3]},
		{"bad checksum", bad},
		{"zeros", make([]byte, 4096)},
		{"garbage", bytes.Repeat([]byte("\xde\xad\xbe\xef"), 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			want := fill(t, Options{Dir: dir}, "lobby", 20)
			path := segFile(dir, 1)
			good := fileSize(t, path)
			appendBytes(t, path, tt.tail)

			var logs logBuffer
			l := mustOpen(t, Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if got := payloads(l.Last("lobby", 100)); !slices.Equal(got, want) {
				t.Fatalf("history after repair = %q", got)
			}
			wantLog := fmt.Sprintf("file=00000001.seg offset=%d", good)
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), wantLog) {
				t.Errorf("log %q does not warn with %q", logs.String(), wantLog)
			}
			if size := fileSize(t, path); size != good {
				t.Errorf("segment is %d bytes after repair, want %d", size, good)
			}
			mustAppend(t, l, "lobby", "after repair")
			l.Close()
			l = mustOpen(t, Options{Dir: dir})
			if got := payloads(l.Last("lobby", 1)); !slices.Equal(got, []string{"after repair"}) {
				t.Errorf("newest after reopen = %q", got)
			}
		})
	}
}

func TestDamageStopsOpen(t *testing.T) {
	one := int64(len(appendRecord(nil, "lobby", ID{1, 0}, []byte("message 000 "))))
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   string
	}{
		{"flipped byte with a record after it", func(t *testing.T, dir string) {
			flip(t, segFile(dir, 1), one+20)
		}, fmt.Sprintf("store: damaged record in 00000001.seg at offset %d: checksum mismatch", one)},
		{"flipped length with records after it", func(t *testing.T, dir string) {
			flip(t, segFile(dir, 1), 0)
		}, "store: damaged record in 00000001.seg at offset 0: "},
		{"garbage then an intact record at the end", func(t *testing.T, dir string) {
			appendBytes(t, segFile(dir, 2), []byte("garbage!"))
			appendBytes(t, segFile(dir, 2), appendRecord(nil, "lobby", ID{1 << 50, 0}, []byte("late")))
		}, "store: damaged record in 00000002.seg at offset "},
		{"torn tail of an older segment", func(t *testing.T, dir string) {
			appendBytes(t, segFile(dir, 1), []byte{1, 2, 3})
		}, "store: damaged record in 00000001.seg at offset "},
		{"flipped byte in an older segment", func(t *testing.T, dir string) {
			flip(t, segFile(dir, 1), fileSize(t, segFile(dir, 1))-1)
		}, "store: damaged record in 00000001.seg at offset "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fill(t, Options{Dir: dir, SegmentSize: 512}, "lobby", 40)
			if _, err := os.Stat(segFile(dir, 2)); err != nil {
				t.Fatalf("want at least two segments: %v", err)
			}
			tt.damage(t, dir)
			l, err := Open(Options{Dir: dir})
			if err == nil {
				l.Close()
				t.Fatal("Open succeeded on a damaged log")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Open: %v\nwant prefix %q", err, tt.want)
			}
			if l, err := Open(Options{Dir: dir}); err == nil { // the lock was released
				l.Close()
			} else if strings.Contains(err.Error(), "in use") {
				t.Errorf("failed Open kept the directory locked: %v", err)
			}
		})
	}
}

// flip inverts one byte of a file.
func flip(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// dirBytes sums the sizes of the segment files in dir.
func dirBytes(t *testing.T, dir string) (total int64, files int) {
	t.Helper()
	nums, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nums {
		total += fileSize(t, segFile(dir, n))
	}
	return total, len(nums)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Busy rooms age their records out while a quiet room pins old segments:
// disk use must stay within twice the live data plus a few segments, and
// history must come back whole after a reopen.
func TestDiskStaysBounded(t *testing.T) {
	const keep, seg = 20, 4096
	dir := t.TempDir()
	o := Options{Dir: dir, Keep: keep, SegmentSize: seg}
	l := mustOpen(t, o)
	want := map[string][]string{}
	add := func(room, p string) {
		mustAppend(t, l, room, p)
		want[room] = append(want[room], p)
		if len(want[room]) > keep {
			want[room] = want[room][1:]
		}
	}
	for i := range 3 {
		add("quiet", fmt.Sprint("quiet ", i))
	}
	var peak int64
	for i := range 60 * keep {
		add(fmt.Sprint("busy", i%4), fmt.Sprintf("busy message %05d %s", i, strings.Repeat("y", 40)))
		if s := l.Stats(); s.DiskBytes > 2*s.LiveBytes+4*seg {
			t.Fatalf("after %d appends: %d bytes on disk for %d live", i, s.DiskBytes, s.LiveBytes)
		}
		peak = max(peak, l.Stats().DiskBytes)
	}
	waitFor(t, "compaction to settle", func() bool {
		s := l.Stats()
		return s.DiskBytes <= 2*s.LiveBytes+seg+512
	})
	s := l.Stats()
	if s.Compactions == 0 {
		t.Error("no segment was compacted although a quiet room pinned old ones")
	}
	if onDisk, files := dirBytes(t, dir); onDisk != s.DiskBytes || files != s.Segments {
		t.Errorf("files hold %d bytes in %d segments; Stats says %d in %d", onDisk, files, s.DiskBytes, s.Segments)
	}
	t.Logf("live %d bytes, disk %d (peak %d), %d segments, %d compactions", s.LiveBytes, s.DiskBytes, peak, s.Segments, s.Compactions)
	l.Close()
	l = mustOpen(t, o)
	for room, w := range want {
		if got := payloads(l.Last(room, keep)); !slices.Equal(got, w) {
			t.Errorf("%s after reopen = %q, want %q", room, got, w)
		}
	}
}

// A room emptied by age leaves the disk through compaction, does not
// come back on reopen, and is not vouched for afterwards.
func TestAgedRoomLeavesDisk(t *testing.T) {
	dir := t.TempDir()
	clock := newClock(1000)
	o := Options{Dir: dir, Keep: 5, SegmentSize: 1024, Now: clock.now, Bounds: Bounds{MaxAge: time.Minute}}
	l := mustOpen(t, o)
	mustAppend(t, l, "a", "secret of room a")
	for i := range 200 {
		clock.set(int64(1000 + 61_000 + i))
		mustAppend(t, l, fmt.Sprint("r", i%2), fmt.Sprint("filler ", i))
	}
	hasSecret := func() bool {
		nums, _ := listSegments(dir)
		for _, n := range nums {
			if b, _ := os.ReadFile(segFile(dir, n)); bytes.Contains(b, []byte("secret of room a")) {
				return true
			}
		}
		return false
	}
	waitFor(t, "room a's record to leave the disk", func() bool { return !hasSecret() })
	if loc := l.Locate("a", ID{}); loc.Complete {
		t.Errorf("room a, emptied by age, vouches for itself: %+v", loc)
	}
	l.Close()
	l = mustOpen(t, o)
	if got := l.Last("a", 10); got != nil {
		t.Errorf("aged room came back: %q", payloads(got))
	}
	if s := l.Stats(); s.Rooms != 2 || s.Records != 10 {
		t.Errorf("after reopen Rooms=%d Records=%d, want 2 and 10", s.Rooms, s.Records)
	}
}

// A compaction interrupted after copying leaves each record twice; replay
// keeps one copy of each, in order.
func TestReplayDropsDuplicates(t *testing.T) {
	dir := t.TempDir()
	want := fill(t, Options{Dir: dir}, "lobby", 5)
	b, err := os.ReadFile(segFile(dir, 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(segFile(dir, 2), b, 0o600); err != nil {
		t.Fatal(err)
	}
	l := mustOpen(t, Options{Dir: dir})
	if got := payloads(l.Last("lobby", 100)); !slices.Equal(got, want) {
		t.Errorf("history = %q, want %q", got, want)
	}
}
