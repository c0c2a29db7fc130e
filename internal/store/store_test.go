package store

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// modes runs a test against a memory log and a disk log.
func modes(t *testing.T, f func(t *testing.T, o Options)) {
	t.Run("memory", func(t *testing.T) { f(t, Options{}) })
	t.Run("disk", func(t *testing.T) { f(t, Options{Dir: t.TempDir()}) })
}

func TestReadBack(t *testing.T) {
	modes(t, func(t *testing.T, o Options) {
		clock := newClock(1000)
		o.Keep, o.Now = 4, clock.now
		l := mustOpen(t, o)
		var ids []ID
		for i := range 6 {
			clock.set(int64(1000 + 2*i))
			ids = append(ids, mustAppend(t, l, "lobby", fmt.Sprint("m", i)))
		}
		mustAppend(t, l, "other", "elsewhere")
		// Kept: m2..m5; m0 and m1 have aged out.
		between := ID{ids[3].Ms + 1, 0}
		future := ID{ids[5].Ms + 1000, 0}
		t.Run("After", func(t *testing.T) {
			tests := []struct {
				name string
				id   ID
				n    int
				want []string
			}{
				{"from a kept record", ids[3], 10, []string{"m4", "m5"}},
				{"from the oldest kept", ids[2], 10, []string{"m3", "m4", "m5"}},
				{"a page of two", ids[2], 2, []string{"m3", "m4"}},
				{"from the newest", ids[5], 10, nil},
				{"aged out", ids[1], 10, []string{"m2", "m3", "m4", "m5"}},
				{"zero", ID{}, 10, []string{"m2", "m3", "m4", "m5"}},
				{"never issued, in range", between, 10, []string{"m4", "m5"}},
				{"never issued, newer", future, 10, nil},
				{"none asked for", ID{}, 0, nil},
			}
			for _, tt := range tests {
				if got := payloads(l.After("lobby", tt.id, tt.n)); !slices.Equal(got, tt.want) {
					t.Errorf("%s: After(%v, %d) = %q; want %q", tt.name, tt.id, tt.n, got, tt.want)
				}
			}
		})
		t.Run("Before", func(t *testing.T) {
			tests := []struct {
				name string
				id   ID
				n    int
				want []string
			}{
				{"the newest two", MaxID, 2, []string{"m4", "m5"}},
				{"everything", MaxID, 100, []string{"m2", "m3", "m4", "m5"}},
				{"before a kept record", ids[4], 10, []string{"m2", "m3"}},
				{"a page before a kept record", ids[5], 1, []string{"m4"}},
				{"before the oldest kept", ids[2], 10, nil},
				{"before a never issued id", between, 10, []string{"m2", "m3"}},
				{"none asked for", MaxID, 0, nil},
			}
			for _, tt := range tests {
				if got := payloads(l.Before("lobby", tt.id, tt.n)); !slices.Equal(got, tt.want) {
					t.Errorf("%s: Before(%v, %d) = %q; want %q", tt.name, tt.id, tt.n, got, tt.want)
				}
			}
		})
		t.Run("Locate", func(t *testing.T) {
			tests := []struct {
				name string
				room string
				id   ID
				want Location
			}{
				{"a kept record", "lobby", ids[3], Location{Kept: true}},
				{"aged out", "lobby", ids[1], Location{Older: true}},
				{"zero after ageing", "lobby", ID{}, Location{Older: true}},
				{"never issued, in range", "lobby", between, Location{}},
				{"never issued, newer", "lobby", future, Location{}},
				{"zero in a room that lost nothing", "other", ID{}, Location{Older: true, Complete: true}},
				{"zero in an empty room", "nowhere", ID{}, Location{Older: true, Complete: true}},
				{"an id in an empty room", "nowhere", ids[0], Location{Complete: true}},
			}
			for _, tt := range tests {
				if got := l.Locate(tt.room, tt.id); got != tt.want {
					t.Errorf("%s: Locate(%s, %v) = %+v; want %+v", tt.name, tt.room, tt.id, got, tt.want)
				}
			}
		})
	})
}

func TestLocateAfterReopen(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, Options{Dir: dir})
	mustAppend(t, l, "lobby", "before the restart")
	l.Close()
	l = mustOpen(t, Options{Dir: dir})
	if got := l.Locate("lobby", ID{}); got.Complete {
		t.Errorf("Locate(zero) after a reopen = %+v: a room read back from disk cannot vouch it lost nothing", got)
	}
}

func TestAppendRefusesHostileInput(t *testing.T) {
	modes(t, func(t *testing.T, o Options) {
		l := mustOpen(t, o)
		tests := []struct {
			name, room string
			size       int
			want       error
		}{
			{"empty room", "", 1, ErrRoom},
			{"room too long", strings.Repeat("r", MaxRoom+1), 1, ErrRoom},
			{"payload too big", "lobby", MaxPayload + 1, ErrTooBig},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := appendWait(t, l, tt.room, strings.Repeat("x", tt.size)); !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
			})
		}
		if s := l.Stats(); s.Failures != uint64(len(tests)) || s.Records != 0 || s.Rooms != 0 {
			t.Errorf("stats after refusals: %+v", s)
		}
		mustAppend(t, l, strings.Repeat("r", MaxRoom), strings.Repeat("x", MaxPayload))
		l.Close()
		if _, err := appendWait(t, l, "lobby", "late"); !errors.Is(err, ErrClosed) {
			t.Errorf("append after Close: %v, want ErrClosed", err)
		}
	})
}

// IDs strictly increase within a room even when the clock goes back,
// and across a reopen.
func TestIDsIncrease(t *testing.T) {
	clock := newClock(5000)
	o := Options{Dir: t.TempDir(), Now: clock.now}
	l := mustOpen(t, o)
	a := mustAppend(t, l, "lobby", "a")
	b := mustAppend(t, l, "lobby", "b")
	clock.set(1000)
	c := mustAppend(t, l, "lobby", "c")
	l.Close()
	l = mustOpen(t, o)
	d := mustAppend(t, l, "lobby", "d")
	got := []ID{a, b, c, d}
	want := []ID{{5000, 0}, {5000, 1}, {5000, 2}, {5000, 3}}
	if !slices.Equal(got, want) {
		t.Errorf("IDs = %v, want %v", got, want)
	}
	if other := mustAppend(t, l, "other", "x"); other != (ID{1000, 0}) {
		t.Errorf("another room's first ID = %v, want 1000-0 (rooms count separately)", other)
	}
}

// done calls come in ID order per room and never overlap, even with many
// appenders; a done may read the log.
func TestDoneOrder(t *testing.T) {
	modes(t, func(t *testing.T, o Options) {
		l := mustOpen(t, o)
		const writers, each = 8, 200
		var mu sync.Mutex // only to detect overlap: TryLock must always succeed
		last := map[string]ID{}
		var bad []string
		var wg sync.WaitGroup
		for w := range writers {
			room := fmt.Sprint("room", w%3)
			wg.Go(func() {
				for i := range each {
					wg.Add(1)
					l.Append(room, "", []byte(fmt.Sprint(w, i)), func(r Record, err error) {
						defer wg.Done()
						if !mu.TryLock() {
							bad = append(bad, "overlapping done calls")
							return
						}
						defer mu.Unlock()
						if err != nil || !last[room].Less(r.ID) {
							bad = append(bad, fmt.Sprintf("%s: %v after %v (err %v)", room, r.ID, last[room], err))
						}
						last[room] = r.ID
						if !l.Locate(room, r.ID).Kept {
							bad = append(bad, "acknowledged record not in the log in its done")
						}
					})
				}
			})
		}
		wg.Wait()
		if len(bad) > 0 {
			t.Fatalf("%d problems, first: %s", len(bad), bad[0])
		}
		if s := l.Stats(); s.Appends != writers*each {
			t.Errorf("Appends = %d, want %d", s.Appends, writers*each)
		}
	})
}

func TestSecondOpenRefused(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, Options{Dir: dir})
	_, err := Open(Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "data directory "+dir+" is in use by another process") {
		t.Fatalf("second Open: %v", err)
	}
	l.Close()
	mustOpen(t, Options{Dir: dir})
}

// Close flushes everything pending and leaves no goroutine behind.
func TestCloseIsClean(t *testing.T) {
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	l, err := Open(Options{Dir: dir, SegmentSize: 4096, Keep: 10})
	if err != nil {
		t.Fatal(err)
	}
	var acked sync.WaitGroup
	for i := range 500 {
		acked.Add(1)
		l.Append(fmt.Sprint("r", i%5), "", []byte(strings.Repeat("x", 100)), func(Record, error) { acked.Done() })
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	acked.Wait() // every done was called by the time Close returned
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Close, %d before", runtime.NumGoroutine(), before)
		}
		runtime.Gosched()
	}
	l = mustOpen(t, Options{Dir: dir, Keep: 10})
	if s := l.Stats(); s.Records != 50 {
		t.Errorf("after reopen %d records, want 50", s.Records)
	}
}
