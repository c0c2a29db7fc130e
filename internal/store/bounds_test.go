package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// appendAs appends a record of owner and waits for done.
func appendAs(t testing.TB, l *Log, room, owner, payload string) (ID, error) {
	t.Helper()
	ch := make(chan result, 1)
	l.Append(room, owner, []byte(payload), func(r Record, err error) { ch <- result{r, err} })
	select {
	case r := <-ch:
		return r.rec.ID, r.err
	case <-time.After(10 * time.Second):
		t.Fatalf("append to %q: done not called within 10s", room)
		return ID{}, nil
	}
}

// limitOf returns the bound err names and its size, or fails the test.
func limitOf(t testing.TB, err error) (error, int64) {
	t.Helper()
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want a *LimitError", err)
	}
	return le.Err, le.Max
}

// The flood of the bug this guards against: one record in each of many
// rooms. No room forgets another's history any more, however many there
// are; what bounds them all is the total, which refuses.
func TestAFloodOfRoomsForgetsNobody(t *testing.T) {
	modes(t, func(t *testing.T, o Options) {
		o.Keep = 10
		l := mustOpen(t, o)
		var busy []string
		for i := range 10 {
			p := fmt.Sprint("busy ", i)
			mustAppend(t, l, "busy", p)
			busy = append(busy, p)
		}
		for i := range 2000 {
			if _, err := appendAs(t, l, fmt.Sprint("throwaway", i), "mallory", "x"); err != nil {
				t.Fatal(err)
			}
		}
		if got := payloads(l.Last("busy", 10)); !slices.Equal(got, busy) {
			t.Errorf("the busy room keeps %q after the flood, want %q", got, busy)
		}
		if loc := l.Locate("busy", ID{}); !loc.Complete {
			t.Errorf("the busy room no longer vouches for itself: %+v", loc)
		}
	})
}

func TestRoomBytesDropsTheRoomsOwnOldest(t *testing.T) {
	modes(t, func(t *testing.T, o Options) {
		o.Bounds.RoomBytes = 3 * Charge(100)
		l := mustOpen(t, o)
		mustAppend(t, l, "quiet", "kept")
		for i := range 5 {
			mustAppend(t, l, "loud", fmt.Sprintf("%03d%s", i, strings.Repeat("x", 97)))
		}
		got := payloads(l.Last("loud", 10))
		if len(got) != 3 || !strings.HasPrefix(got[0], "002") {
			t.Errorf("loud keeps %d records from %.3q, want the newest 3", len(got), got)
		}
		big := strings.Repeat("y", int(4*Charge(100)))
		mustAppend(t, l, "loud", big) // over the bound alone: the newest is always kept
		if got := payloads(l.Last("loud", 10)); !slices.Equal(got, []string{big}) {
			t.Errorf("after one record over the bound, loud keeps %d records", len(got))
		}
		if got := payloads(l.Last("quiet", 10)); !slices.Equal(got, []string{"kept"}) {
			t.Errorf("quiet keeps %q", got)
		}
		if st := l.Stats(); st.Charged != Charge(len(big))+Charge(4)+2*RoomOverhead {
			t.Errorf("charged %d, want what the two kept records and their rooms are", st.Charged)
		}
	})
}

func TestShareRefusesItsOwnerAlone(t *testing.T) {
	modes(t, func(t *testing.T, o Options) {
		o.Keep = 2
		o.Bounds.Share = 3 * (Charge(1) + RoomOverhead) // three rooms it opens, of a record each
		l := mustOpen(t, o)
		for _, room := range []string{"a", "b", "c"} {
			if _, err := appendAs(t, l, room, "mallory", "m"); err != nil {
				t.Fatal(err)
			}
		}
		_, err := appendAs(t, l, "d", "mallory", "m")
		if bound, max := limitOf(t, err); bound != ErrShare || max != o.Bounds.Share {
			t.Fatalf("over the share: %v", err)
		}
		if _, err := appendAs(t, l, "d", "alice", "a"); err != nil {
			t.Fatalf("another owner, at mallory's share: %v", err)
		}
		if l.Last("d", 1)[0].ID.IsZero() || len(l.Last("d", 10)) != 1 {
			t.Errorf("room d holds %q, want alice's alone", payloads(l.Last("d", 10)))
		}
		// Pushed out of a room by others, mallory's records free her share.
		mustAppend(t, l, "a", "x")
		mustAppend(t, l, "a", "y")
		if _, err := appendAs(t, l, "d", "mallory", "m"); err != nil {
			t.Errorf("after a record of hers was pushed out: %v", err)
		}
		if st := l.Stats(); st.Owners != 2 {
			t.Errorf("%d owners charged, want 2", st.Owners)
		}
	})
}

func TestRoomShare(t *testing.T) {
	modes(t, func(t *testing.T, o Options) {
		o.Bounds.RoomShare = 2 * Charge(1)
		l := mustOpen(t, o)
		for range 2 {
			if _, err := appendAs(t, l, "bob", "mallory", "m"); err != nil {
				t.Fatal(err)
			}
		}
		_, err := appendAs(t, l, "bob", "mallory", "m")
		if bound, _ := limitOf(t, err); bound != ErrRoomShare {
			t.Fatalf("a third in one room: %v", err)
		}
		for _, w := range []struct{ room, owner string }{{"carol", "mallory"}, {"bob", "alice"}, {"bob", ""}} {
			if _, err := appendAs(t, l, w.room, w.owner, "fine"); err != nil {
				t.Errorf("%q to %s: %v", w.owner, w.room, err)
			}
		}
	})
}

func TestTotalRefusesRatherThanEvicts(t *testing.T) {
	modes(t, func(t *testing.T, o Options) {
		o.Bounds.Total = 4 * (Charge(1) + RoomOverhead)
		l := mustOpen(t, o)
		for i := range 4 {
			if _, err := appendAs(t, l, fmt.Sprint("r", i), fmt.Sprint("o", i), "m"); err != nil {
				t.Fatal(err)
			}
		}
		_, err := appendAs(t, l, "r9", "o9", "m")
		if bound, max := limitOf(t, err); bound != ErrFull || max != o.Bounds.Total {
			t.Fatalf("past the total: %v", err)
		}
		for i := range 4 {
			if got := payloads(l.Last(fmt.Sprint("r", i), 1)); !slices.Equal(got, []string{"m"}) {
				t.Errorf("r%d holds %q after the refusal", i, got)
			}
		}
		if st := l.Stats(); st.Charged != o.Bounds.Total || st.Rooms != 4 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestMaxAge(t *testing.T) {
	modes(t, func(t *testing.T, o Options) {
		clock := newClock(1_000_000)
		o.Now, o.Bounds.MaxAge = clock.now, time.Hour
		l := mustOpen(t, o)
		old := mustAppend(t, l, "go", "old")
		mustAppend(t, l, "quiet", "also old")
		clock.set(1_000_000 + 30*60_000)
		mustAppend(t, l, "go", "newer")
		clock.set(1_000_000 + 61*60_000)
		mustAppend(t, l, "rust", "now")
		if got := payloads(l.Last("go", 10)); !slices.Equal(got, []string{"newer"}) {
			t.Errorf("go keeps %q an hour on, want the newer alone", got)
		}
		if loc := l.Locate("go", old); loc.Kept || !loc.Older || loc.Complete {
			t.Errorf("an aged-out id: %+v, want older, not complete", loc)
		}
		if got := l.Last("quiet", 10); got != nil {
			t.Errorf("quiet keeps %q", payloads(got))
		}
		if loc := l.Locate("quiet", ID{}); loc.Complete || !loc.Older {
			t.Errorf("0-0 in a room emptied by age: %+v, want not complete", loc)
		}
		mustAppend(t, l, "quiet", "back")
		if loc := l.Locate("quiet", ID{}); loc.Complete {
			t.Errorf("0-0 in a room that lost its past and has a new message: %+v, want not complete", loc)
		}
		if loc := l.Locate("never", ID{}); !loc.Complete {
			t.Errorf("0-0 in a room that never had a message: %+v, want complete", loc)
		}
		if st := l.Stats(); st.Records != 3 || st.Charged != Charge(len("newer"))+Charge(len("now"))+Charge(len("back"))+3*RoomOverhead {
			t.Errorf("stats %+v, want what the three records kept, and their rooms, are charged", st)
		}
	})
}

// Owners are written with their records: a share holds across a restart.
func TestShareSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir, Bounds: Bounds{Share: 2 * (Charge(1) + RoomOverhead)}}
	l := mustOpen(t, o)
	for _, room := range []string{"a", "b"} {
		if _, err := appendAs(t, l, room, "mallory", "m"); err != nil {
			t.Fatal(err)
		}
	}
	mustAppend(t, l, "a", "nobody's")
	l.Close()
	l = mustOpen(t, o)
	_, err := appendAs(t, l, "c", "mallory", "m")
	if bound, _ := limitOf(t, err); bound != ErrShare {
		t.Fatalf("after reopen: %v", err)
	}
	if got := payloads(l.Last("a", 10)); !slices.Equal(got, []string{"m", "nobody's"}) {
		t.Errorf("room a after reopen: %q", got)
	}
	if st := l.Stats(); st.Owners != 1 || st.Charged != 2*(Charge(1)+RoomOverhead)+Charge(8) {
		t.Errorf("stats after reopen %+v", st)
	}
}

func TestOwnerKeyLength(t *testing.T) {
	l := mustOpen(t, Options{})
	for _, tt := range []struct {
		name, room, owner string
		ok                bool
	}{
		{"room and owner fill the field", strings.Repeat("r", 100), strings.Repeat("o", MaxRoom-101), true},
		{"one byte over", strings.Repeat("r", 100), strings.Repeat("o", MaxRoom-100), false},
		{"a NUL in the room", "a\x00b", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := appendAs(t, l, tt.room, tt.owner, "x")
			if (err == nil) != tt.ok || err != nil && !errors.Is(err, ErrRoom) {
				t.Errorf("got %v, want ok %v", err, tt.ok)
			}
		})
	}
}
