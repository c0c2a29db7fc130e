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

func TestLastAndAfter(t *testing.T) {
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
		tests := []struct {
			name string
			id   ID
			want []string
			ok   bool
		}{
			{"from a kept record", ids[3], []string{"m4", "m5"}, true},
			{"from the oldest kept", ids[2], []string{"m3", "m4", "m5"}, true},
			{"from the newest", ids[5], nil, true},
			{"aged out", ids[1], []string{"m2", "m3", "m4", "m5"}, false},
			{"older than anything", ID{1, 0}, []string{"m2", "m3", "m4", "m5"}, false},
			{"never issued, in range", between, nil, false},
			{"never issued, newer", ID{ids[5].Ms + 1000, 0}, nil, false},
			{"zero after ageing", ID{}, []string{"m2", "m3", "m4", "m5"}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				recs, ok := l.After("lobby", tt.id)
				if got := payloads(recs); ok != tt.ok || !slices.Equal(got, tt.want) || (tt.want == nil && recs != nil) {
					t.Errorf("After(%v) = %q, %v; want %q, %v", tt.id, got, ok, tt.want, tt.ok)
				}
			})
		}
		if got := payloads(l.Last("lobby", 2)); !slices.Equal(got, []string{"m4", "m5"}) {
			t.Errorf("Last(2) = %q", got)
		}
		if got := payloads(l.Last("lobby", 100)); !slices.Equal(got, []string{"m2", "m3", "m4", "m5"}) {
			t.Errorf("Last(100) = %q", got)
		}
		if got := l.Last("lobby", 0); got != nil {
			t.Errorf("Last(0) = %q", payloads(got))
		}
		if recs, ok := l.After("nowhere", ID{}); recs != nil || !ok {
			t.Errorf("After(empty room, zero) = %v, %v; want nil, true", recs, ok)
		}
		if recs, ok := l.After("nowhere", ids[0]); recs != nil || ok {
			t.Errorf("After(empty room, old ID) = %v, %v; want nil, false", recs, ok)
		}
		if recs, ok := l.After("other", ID{}); len(recs) != 1 || !ok {
			t.Errorf("After(young room, zero) = %q, %v; want everything, true", payloads(recs), ok)
		}
	})
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
					l.Append(room, []byte(fmt.Sprint(w, i)), func(r Record, err error) {
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
						if _, ok := l.After(room, r.ID); !ok {
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

func TestMaxRooms(t *testing.T) {
	modes(t, func(t *testing.T, o Options) {
		clock := newClock(1000)
		o.MaxRooms, o.Now = 2, clock.now
		l := mustOpen(t, o)
		a := mustAppend(t, l, "a", "in a")
		clock.set(1001)
		mustAppend(t, l, "b", "in b")
		clock.set(1002)
		mustAppend(t, l, "a", "a again") // now b is the stalest
		mustAppend(t, l, "c", "in c")
		if got := l.Last("b", 10); got != nil {
			t.Errorf("forgotten room b still has %q", payloads(got))
		}
		if got := payloads(l.Last("a", 10)); !slices.Equal(got, []string{"in a", "a again"}) {
			t.Errorf("room a = %q", got)
		}
		if recs, ok := l.After("a", a); !ok || len(recs) != 1 {
			t.Errorf("After in a kept room = %q, %v", payloads(recs), ok)
		}
		if s := l.Stats(); s.Rooms != 2 || s.Records != 3 {
			t.Errorf("Rooms=%d Records=%d, want 2 and 3", s.Rooms, s.Records)
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
		l.Append(fmt.Sprint("r", i%5), []byte(strings.Repeat("x", 100)), func(Record, error) { acked.Done() })
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
