package enginetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"wschat/internal/engine"
	"wschat/internal/store"
)

// The bounds every engine keeps, with the same meaning (package store's).

// publish publishes payload to room as sender, or ends the test.
func publish(t *testing.T, e Engine, room, sender, payload string) store.ID {
	t.Helper()
	id, _, err := e.Publish(ctx(t), room, sender, []byte(payload))
	if err != nil {
		t.Fatalf("publish %q to %s as %s: %v", payload, room, sender, err)
	}
	return id
}

// refused checks that err is a *store.LimitError for bound, of size max.
func refused(t *testing.T, what string, err error, bound error, max int64) {
	t.Helper()
	var le *store.LimitError
	if !errors.As(err, &le) || le.Err != bound || le.Max != max {
		t.Errorf("%s: got %v, want %v at %d bytes", what, err, bound, max)
	}
}

// kept returns the payloads room keeps, oldest first.
func kept(t *testing.T, e Engine, room string) []string {
	t.Helper()
	recs, err := e.After(ctx(t), room, store.ID{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Payload))
	}
	return out
}

// locate locates id in room, or ends the test.
func locate(t *testing.T, e Engine, room string, id store.ID) engine.Location {
	t.Helper()
	l, err := e.Locate(ctx(t), room, id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func testRoomBounds(t *testing.T, open Open) {
	e := open(t, NewRecorder(), Limits{Keep: 3, History: store.Bounds{RoomBytes: 2*store.Charge(100) + 100}})
	var ids []store.ID
	for i := range 5 {
		ids = append(ids, publish(t, e, "go", "alice", fmt.Sprint("m", i)))
	}
	publish(t, e, "rust", "bob", "alone")
	if got := kept(t, e, "go"); !slices.Equal(got, []string{"m2", "m3", "m4"}) {
		t.Errorf("go keeps %q, want its newest 3", got)
	}
	for _, l := range []struct {
		name string
		room string
		id   store.ID
		want engine.Location
	}{
		{"a message pushed out", "go", ids[0], engine.Location{Older: true}},
		{"zero in a room that dropped some", "go", store.ID{}, engine.Location{Older: true}},
		{"a message kept", "go", ids[3], engine.Location{Kept: true}},
		{"zero in a room that lost nothing", "rust", store.ID{}, engine.Location{Older: true, Complete: true}},
	} {
		if got := locate(t, e, l.room, l.id); got != l.want {
			t.Errorf("%s: %+v, want %+v", l.name, got, l.want)
		}
	}
	big := func(i int) string { return fmt.Sprintf("%03d%097d", i, 0) }
	for i := range 3 {
		publish(t, e, "big", "alice", big(i))
	}
	if got := kept(t, e, "big"); !slices.Equal(got, []string{big(1), big(2)}) {
		t.Errorf("big keeps %d messages, want the newest 2 within its bytes", len(got))
	}
}

func testShare(t *testing.T, open Open) {
	share := 3 * (store.Charge(2) + store.RoomOverhead) // three rooms it opens, of a message each
	e := open(t, NewRecorder(), Limits{History: store.Bounds{Share: share}})
	c := ctx(t)
	for i, room := range []string{"a", "b", "c"} {
		publish(t, e, room, "mallory", fmt.Sprint("m", i))
	}
	_, _, err := e.Publish(c, "d", "mallory", []byte("m3"))
	refused(t, "past mallory's share", err, store.ErrShare, share)
	publish(t, e, "d", "alice", "hi")
	if got := kept(t, e, "d"); !slices.Equal(got, []string{"hi"}) {
		t.Errorf("d keeps %q, want alice's alone", got)
	}
	if got := kept(t, e, "a"); !slices.Equal(got, []string{"m0"}) {
		t.Errorf("a keeps %q after the refusal", got)
	}
}

func testTotal(t *testing.T, open Open) {
	total := 3 * (store.Charge(2) + store.RoomOverhead)
	e := open(t, NewRecorder(), Limits{History: store.Bounds{Total: total}})
	for i := range 3 {
		publish(t, e, fmt.Sprint("r", i), fmt.Sprint("s", i), fmt.Sprint("m", i))
	}
	_, _, err := e.Publish(ctx(t), "r3", "s3", []byte("m3"))
	refused(t, "past the total", err, store.ErrFull, total)
	for i := range 3 {
		if got := kept(t, e, fmt.Sprint("r", i)); !slices.Equal(got, []string{fmt.Sprint("m", i)}) {
			t.Errorf("r%d keeps %q after the refusal, want its message", i, got)
		}
	}
}

func testAge(t *testing.T, open Open) {
	const age = 300 * time.Millisecond
	e := open(t, NewRecorder(), Limits{History: store.Bounds{MaxAge: age}})
	publish(t, e, "go", "alice", "old")
	publish(t, e, "quiet", "alice", "old")
	// Waiting for time itself to pass: nothing else ages a message.
	for start := time.Now(); time.Since(start) < age+50*time.Millisecond; {
		time.Sleep(10 * time.Millisecond)
	}
	publish(t, e, "go", "alice", "new")
	if got := kept(t, e, "go"); !slices.Equal(got, []string{"new"}) {
		t.Errorf("go keeps %q, want the new one alone", got)
	}
	if l := locate(t, e, "go", store.ID{}); l.Complete {
		t.Errorf("zero in a room that aged a message out: %+v, want not complete", l)
	}
	// A room nobody writes to is emptied as others are written to.
	deadline := time.Now().Add(10 * time.Second)
	for len(kept(t, e, "quiet")) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("quiet still keeps %q", kept(t, e, "quiet"))
		}
		publish(t, e, "elsewhere", "bob", "tick")
		time.Sleep(20 * time.Millisecond)
	}
	if l := locate(t, e, "quiet", store.ID{}); l.Complete || !l.Older {
		t.Errorf("zero in a room emptied by age: %+v, want older, not complete", l)
	}
	if l := locate(t, e, "never", store.ID{}); !l.Complete {
		t.Errorf("zero in a room that never had a message: %+v, want complete", l)
	}
}

// letter is a letter of payload from alice's participant to to.
func letter(to, sender, payload string) engine.Letter {
	return engine.Letter{From: "writer-" + sender, To: to, Sender: sender, Payload: []byte(payload)}
}

func testMailboxes(t *testing.T, open Open) {
	rec := NewRecorder()
	e := open(t, rec, Limits{Mailboxes: 2})
	c := ctx(t)
	if err := e.Keep(c, letter("bob", "a", "hello?")); !errors.Is(err, engine.ErrNoMailbox) {
		t.Fatalf("to a mailbox never opened: %v, want ErrNoMailbox", err)
	}
	if got, _ := e.Latest(c, "writer-a", 10); len(got) != 0 {
		t.Errorf("the writer kept a copy of a letter nobody could get: %d", len(got))
	}
	if err := e.Open(c, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := e.Keep(c, letter("bob", "a", "hello")); err != nil {
		t.Fatalf("to an open mailbox: %v", err)
	}
	if err := e.Keep(c, engine.Letter{From: "a", To: "carol", Sender: "a", Create: true, Payload: []byte("hi")}); err != nil {
		t.Fatalf("to an account that exists: %v", err)
	}
	for _, owner := range []string{"frank", "dave", "erin"} {
		if err := e.Open(c, owner); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Keep(c, letter("frank", "a", "lost?")); !errors.Is(err, engine.ErrNoMailbox) {
		t.Errorf("to a mailbox forgotten past the record's size: %v, want ErrNoMailbox", err)
	}
	for _, to := range []string{"bob", "carol", "erin"} {
		if err := e.Keep(c, letter(to, "a", "again")); err != nil {
			t.Errorf("to %s, forgotten but holding mail, or on record: %v", to, err)
		}
	}
}

func testMailBounds(t *testing.T, open Open) {
	// The first letter to a mailbox makes it, and its sender pays for it.
	perBox, share := 2*store.Charge(2), 3*store.Charge(2)+2*store.RoomOverhead
	rec := NewRecorder()
	e := open(t, rec, Limits{Keep: 3, Mail: store.Bounds{RoomShare: perBox, Share: share}})
	c := ctx(t)
	for _, owner := range []string{"bob", "carol", "dave"} {
		if err := e.Open(c, owner); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		if err := e.Keep(c, letter("bob", "m", fmt.Sprint("x", i))); err != nil {
			t.Fatal(err)
		}
	}
	refused(t, "a third from one sender in one mailbox", e.Keep(c, letter("bob", "m", "x2")), store.ErrRoomShare, perBox)
	if err := e.Keep(c, letter("carol", "m", "x3")); err != nil {
		t.Fatalf("to another mailbox, within the sender's share: %v", err)
	}
	refused(t, "past the sender's share", e.Keep(c, letter("dave", "m", "x4")), store.ErrShare, share)
	for i := range 2 {
		if err := e.Keep(c, letter("bob", "a", fmt.Sprint("a", i))); err != nil {
			t.Fatalf("another sender, to the mailbox the first one filled its share of: %v", err)
		}
	}
	got, err := e.Latest(c, "bob", 10)
	if err != nil || len(got) != 3 || string(got[0].Payload) != "x1" {
		t.Errorf("bob's mailbox: %d letters (%v), want the newest 3, from x1", len(got), err)
	}

	total := 2 * (store.Charge(2) + store.RoomOverhead) // one letter, in two mailboxes it makes
	e = open(t, rec, Limits{Mail: store.Bounds{Total: total}})
	e.Open(c, "bob")
	if err := e.Keep(c, letter("bob", "a", "p0")); err != nil {
		t.Fatal(err)
	}
	refused(t, "past the total of mail", e.Keep(c, letter("bob", "b", "p1")), store.ErrFull, total)

	// Room for the recipient's copy alone: the letter gets there.
	e = open(t, rec, Limits{Mail: store.Bounds{Total: store.Charge(2) + store.RoomOverhead}})
	e.Open(c, "bob")
	if err := e.Keep(c, letter("bob", "a", "p2")); err != nil {
		t.Fatalf("with room for the recipient's copy alone: %v", err)
	}
	if got, _ := e.Latest(c, "bob", 10); len(got) != 1 {
		t.Errorf("bob has %d letters, want the one", len(got))
	}
}
