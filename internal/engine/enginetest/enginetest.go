// Package enginetest is the contract every chat engine keeps: the same
// cases, run against the single node's engine and against Redis, so that
// the two cannot drift apart. An engine's own tests call Run with a
// function that opens a fresh one.
package enginetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"wschat/internal/engine"
	"wschat/internal/store"
)

// Engine is what an engine implements.
type Engine interface {
	engine.Broker
	engine.History
	engine.Presence
	engine.Mail
	engine.Receipts
	engine.Rates
}

// Open returns a fresh engine for one test, within limits, attached to
// h, and closes it when the test ends.
type Open func(t *testing.T, h engine.Handler, limits Limits) Engine

// Limits are the bounds an engine is opened with; a zero Keep or
// Mailboxes means 1000.
type Limits struct {
	Keep      int          // messages a room, or a mailbox, keeps
	History   store.Bounds // of the rooms' messages
	Mail      store.Bounds // of the mailboxes
	Mailboxes int          // owners the record of mailboxes holds
}

// WithDefaults returns l with its zero counts set.
func (l Limits) WithDefaults() Limits {
	if l.Keep == 0 {
		l.Keep = 1000
	}
	if l.Mailboxes == 0 {
		l.Mailboxes = 1000
	}
	return l
}

// Run runs the contract against engines open opens.
func Run(t *testing.T, open Open) {
	t.Run("Claims", func(t *testing.T) { testClaims(t, open) })
	t.Run("Places", func(t *testing.T) { testPlaces(t, open) })
	t.Run("History", func(t *testing.T) { testHistory(t, open) })
	t.Run("Pipelined", func(t *testing.T) { testPipelined(t, open) })
	t.Run("Mail", func(t *testing.T) { testMail(t, open) })
	t.Run("RoomBounds", func(t *testing.T) { testRoomBounds(t, open) })
	t.Run("Share", func(t *testing.T) { testShare(t, open) })
	t.Run("Total", func(t *testing.T) { testTotal(t, open) })
	t.Run("Age", func(t *testing.T) { testAge(t, open) })
	t.Run("Mailboxes", func(t *testing.T) { testMailboxes(t, open) })
	t.Run("MailBounds", func(t *testing.T) { testMailBounds(t, open) })
	t.Run("Receipts", func(t *testing.T) { testReceipts(t, open) })
	t.Run("Rates", func(t *testing.T) { testRates(t, open) })
}

// Recorder is a Handler that keeps what it is handed, for a test to wait
// on.
type Recorder struct {
	mu        sync.Mutex
	changed   chan struct{}
	delivered map[string][]store.Record
	mail      map[string][]store.Record
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{changed: make(chan struct{}, 1), delivered: map[string][]store.Record{}, mail: map[string][]store.Record{}}
}

func (r *Recorder) note(f func()) {
	r.mu.Lock()
	f()
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// Deliver implements engine.Handler.
func (r *Recorder) Deliver(room string, rec store.Record) engine.Delivery {
	r.note(func() { r.delivered[room] = append(r.delivered[room], rec) })
	return nil
}

// Mail implements engine.Handler.
func (r *Recorder) Mail(owner string, rec store.Record) {
	r.note(func() { r.mail[owner] = append(r.mail[owner], rec) })
}

// Private implements engine.Handler.
func (r *Recorder) Private(string, []byte) {}

// Presence implements engine.Handler.
func (r *Recorder) Presence(string, string, bool) {}

// Delivered implements engine.Handler.
func (r *Recorder) Delivered() map[string]store.ID { return nil }

// await waits until cond, read under the recorder's lock, holds.
func (r *Recorder) await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("%s: not within 10 s", what)
		}
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func testClaims(t *testing.T, open Open) {
	e := open(t, NewRecorder(), Limits{})
	c := ctx(t)
	bob1 := engine.Claim{Key: "bob", Name: "bob", Holder: "h1"}
	bob2 := engine.Claim{Key: "bob", Name: "Bob", Holder: "h2"}
	ann1 := engine.Claim{Key: "ann", Name: "ann", Holder: "a1", Account: "ann"}
	ann2 := engine.Claim{Key: "ann", Name: "ann", Holder: "a2", Account: "ann"}
	lookAlike := engine.Claim{Key: "ann", Name: "аnn", Holder: "x1", Account: "аnn"} // Cyrillic а: another account, one key
	claim := func(cl engine.Claim) func() (string, error) {
		return func() (string, error) { return e.Claim(c, cl) }
	}
	online := func(key string) func() (string, error) {
		return func() (string, error) {
			ok, err := e.Online(c, key)
			return fmt.Sprint(ok), err
		}
	}
	release := func(cl engine.Claim) func() (string, error) {
		return func() (string, error) { return "", e.Release(c, cl) }
	}
	steps := []struct {
		name string
		do   func() (string, error)
		want string // who holds the name, "" when the claim was taken; or true/false for Online
	}{
		{"a free name is taken", claim(bob1), ""},
		{"its holder may claim it again", claim(bob1), ""},
		{"another holder may not, and is told who has it", claim(bob2), "bob"},
		{"the name is online", online("bob"), "true"},
		{"a stale release by another holder frees nothing", release(bob2), ""},
		{"so the name is still taken", claim(bob2), "bob"},
		{"its holder releases it", release(bob1), ""},
		{"it is offline", online("bob"), "false"},
		{"and free for another", claim(bob2), ""},
		{"an account's claim", claim(ann1), ""},
		{"is shared by its other connections", claim(ann2), ""},
		{"but not with a plain claim", claim(engine.Claim{Key: "ann", Name: "ann", Holder: "p"}), "ann"},
		{"nor with another account whose name looks the same", claim(lookAlike), "ann"},
		{"one connection leaving keeps it online", release(ann1), ""},
		{"still online", online("ann"), "true"},
		{"the last leaving", release(ann2), ""},
		{"does not", online("ann"), "false"},
		{"then the look-alike account may have it", claim(lookAlike), ""},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil || got != st.want {
			t.Fatalf("%s: got %q, %v; want %q", st.name, got, err, st.want)
		}
	}
}

func testPlaces(t *testing.T, open Open) {
	e := open(t, NewRecorder(), Limits{})
	c := ctx(t)
	place := func(room, name, holder string) engine.Place {
		return engine.Place{Room: room, RoomName: "Room-" + room, Name: name, Holder: holder}
	}
	for _, p := range []engine.Place{place("go", "alice", "h1"), place("go", "bob", "h2"), place("go", "bob", "h3"), place("rust", "carol", "h4")} {
		if err := e.Enter(c, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Enter(c, place("go", "alice", "h1")); err != nil { // again: counted once
		t.Fatal(err)
	}
	members := func(room string, limit int) ([]string, int) {
		t.Helper()
		names, n, err := e.Members(c, room, limit)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(names)
		return names, n
	}
	if names, n := members("go", 10); !slices.Equal(names, []string{"alice", "bob"}) || n != 2 {
		t.Errorf("members of go: %q, %d; want alice and bob, 2 (each name once)", names, n)
	}
	if names, n := members("go", 1); len(names) != 1 || n != 2 {
		t.Errorf("one member of go: %q, %d; want one name, and 2 in all", names, n)
	}
	rooms, err := e.Rooms(c)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(rooms, func(a, b engine.Room) int { return cmpString(a.Key, b.Key) })
	want := []engine.Room{{Key: "go", Name: "Room-go", Count: 2}, {Key: "rust", Name: "Room-rust", Count: 1}}
	if !slices.Equal(rooms, want) {
		t.Errorf("rooms: %+v, want %+v", rooms, want)
	}
	e.Exit(c, place("go", "bob", "h2"))
	if names, n := members("go", 10); !slices.Equal(names, []string{"alice", "bob"}) || n != 2 {
		t.Errorf("after one of bob's two left: %q, %d; want bob still there", names, n)
	}
	e.Exit(c, place("go", "bob", "h3"))
	e.Exit(c, place("go", "bob", "h3")) // again: nothing more
	if names, n := members("go", 10); !slices.Equal(names, []string{"alice"}) || n != 1 {
		t.Errorf("after bob left: %q, %d; want alice alone", names, n)
	}
	e.Exit(c, place("rust", "carol", "h4"))
	if rooms, _ := e.Rooms(c); len(rooms) != 1 || rooms[0].Key != "go" {
		t.Errorf("rooms after rust emptied: %+v, want go alone", rooms)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testHistory(t *testing.T, open Open) {
	rec := NewRecorder()
	e := open(t, rec, Limits{})
	c := ctx(t)
	var ids []store.ID
	for i := range 5 {
		id, _, err := e.Publish(c, "go", "alice", fmt.Appendf(nil, "m%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) > 0 && !ids[len(ids)-1].Less(id) {
			t.Fatalf("id %v after %v", id, ids[len(ids)-1])
		}
		ids = append(ids, id)
	}
	rec.await(t, "five messages delivered", func() bool { return len(rec.delivered["go"]) == 5 })
	rec.mu.Lock()
	for i, r := range rec.delivered["go"] {
		if r.ID != ids[i] || string(r.Payload) != fmt.Sprint("m", i) {
			t.Errorf("delivered %d: %v %q, want %v m%d", i, r.ID, r.Payload, ids[i], i)
		}
	}
	rec.mu.Unlock()
	payloads := func(recs []store.Record, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range recs {
			out = append(out, string(r.Payload))
		}
		return out
	}
	reads := []struct {
		name string
		got  []string
		want []string
	}{
		{"after the second", payloads(e.After(c, "go", ids[1], 10)), []string{"m2", "m3", "m4"}},
		{"a page after zero", payloads(e.After(c, "go", store.ID{}, 2)), []string{"m0", "m1"}},
		{"after the newest", payloads(e.After(c, "go", ids[4], 10)), nil},
		{"the newest two", payloads(e.Before(c, "go", store.MaxID, 2)), []string{"m3", "m4"}},
		{"before the fourth", payloads(e.Before(c, "go", ids[3], 10)), []string{"m0", "m1", "m2"}},
		{"another room", payloads(e.After(c, "rust", store.ID{}, 10)), nil},
	}
	for _, r := range reads {
		if !slices.Equal(r.got, r.want) {
			t.Errorf("%s: %q, want %q", r.name, r.got, r.want)
		}
	}
	between := ids[2]
	between.Seq++ // no message has it: ids of one millisecond count up from 0, and ids[3] is later
	if between == ids[3] {
		between.Seq += 1000
	}
	locations := []struct {
		name string
		room string
		id   store.ID
		want engine.Location
	}{
		{"a kept message", "go", ids[2], engine.Location{Kept: true, Complete: true}},
		{"zero in a room that lost nothing", "go", store.ID{}, engine.Location{Older: true, Complete: true}},
		{"older than everything", "go", store.ID{Ms: 1}, engine.Location{Older: true, Complete: true}},
		{"never given, within", "go", between, engine.Location{Complete: true}},
		{"from the future", "go", store.ID{Ms: ids[4].Ms + 1e9}, engine.Location{Complete: true}},
		{"zero in an empty room", "rust", store.ID{}, engine.Location{Older: true, Complete: true}},
		{"an id in an empty room", "rust", ids[0], engine.Location{Complete: true}},
	}
	for _, l := range locations {
		got, err := e.Locate(c, l.room, l.id)
		if err != nil || got != l.want {
			t.Errorf("%s: Locate = %+v, %v; want %+v", l.name, got, err, l.want)
		}
	}
}

func testMail(t *testing.T, open Open) {
	rec := NewRecorder()
	e := open(t, rec, Limits{})
	c := ctx(t)
	if err := e.Open(c, "bob"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := e.Keep(c, engine.Letter{From: "alice", To: "bob", Sender: "ip 1", Payload: fmt.Appendf(nil, "p%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	rec.await(t, "three messages in both mailboxes", func() bool { return len(rec.mail["alice"]) == 3 && len(rec.mail["bob"]) == 3 })
	latest, err := e.Latest(c, "bob", 2)
	if err != nil || len(latest) != 2 || string(latest[0].Payload) != "p1" || string(latest[1].Payload) != "p2" {
		t.Fatalf("bob's latest two: %v, %v", latest, err)
	}
	all, err := e.Read(c, "alice", store.ID{}, 10)
	if err != nil || len(all) != 3 {
		t.Fatalf("alice's mailbox: %v, %v", all, err)
	}
	if rest, err := e.Read(c, "alice", all[0].ID, 10); err != nil || len(rest) != 2 || string(rest[0].Payload) != "p1" {
		t.Fatalf("alice's mailbox after her first: %v, %v", rest, err)
	}
	if none, _ := e.Latest(c, "carol", 10); len(none) != 0 {
		t.Fatalf("carol, who got nothing, has %d", len(none))
	}
	if err := e.Keep(c, engine.Letter{From: "bob", To: "bob", Sender: "ip 2", Payload: []byte("note to self")}); err != nil {
		t.Fatal(err)
	}
	if mine, _ := e.Latest(c, "bob", 10); len(mine) != 4 {
		t.Fatalf("a letter to oneself is kept once: bob has %d", len(mine))
	}
}
