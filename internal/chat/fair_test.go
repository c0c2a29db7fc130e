package chat

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"wschat/internal/engine/memory"
	"wschat/internal/store"
)

// joinFrom joins name to room as participant, in JSON, or ends the test.
func joinFrom(tb testing.TB, c *Chat, participant, name, room string) (*Session, *fakeConn) {
	tb.Helper()
	f := &fakeConn{}
	s, err := c.Join(f, JoinRequest{Name: name, Room: room, JSON: true, Participant: participant})
	if err != nil {
		tb.Fatalf("join %s to %s: %v", name, room, err)
	}
	waitLive(tb, s)
	return s, f
}

// last returns the last thing f was sent.
func last(f *fakeConn) string {
	got := f.sent()
	if len(got) == 0 {
		return ""
	}
	return got[len(got)-1]
}

// boundedChat returns a chat on a memory engine whose history and mail
// keep within the bounds given.
func boundedChat(tb testing.TB, opts Options, history, mail store.Bounds) *Chat {
	tb.Helper()
	open := func(b store.Bounds) *store.Log {
		l, err := store.Open(store.Options{Bounds: b})
		if err != nil {
			tb.Fatal(err)
		}
		return l
	}
	boxes, err := memory.OpenMailboxes("", 100)
	if err != nil {
		tb.Fatal(err)
	}
	e := memory.New(open(history), open(mail), boxes)
	opts.Broker, opts.History, opts.Presence, opts.Mail = e, e, e, e
	return newTestChat(tb, opts)
}

// The rate belongs to the participant: its connections share it, and a
// new connection starts where the last one left off.
func TestRateIsTheParticipantsAcrossConnections(t *testing.T) {
	c := newTestChat(t, Options{Rate: 0.001, Burst: 3})
	a1, _ := joinFrom(t, c, "addr:192.0.2.1", "a1", "lobby")
	a2, f2 := joinFrom(t, c, "addr:192.0.2.1", "a2", "lobby")
	other, fo := joinFrom(t, c, "addr:192.0.2.9", "other", "lobby")
	a1.Receive([]byte("one"))
	a2.Receive([]byte("two"))
	a1.Receive([]byte("three"))
	a2.Receive([]byte("four"))
	if !strings.Contains(last(f2), `"code":"slow-down"`) {
		t.Errorf("a second connection's message past their shared burst: %s", last(f2))
	}
	a1.Leave(nil)
	a2.Leave(nil)
	a3, f3 := joinFrom(t, c, "addr:192.0.2.1", "a3", "lobby")
	a3.Receive([]byte("five"))
	if !strings.Contains(last(f3), `"code":"slow-down"`) {
		t.Errorf("a new connection after the others left: %s, want slow-down", last(f3))
	}
	other.Receive([]byte("mine"))
	if !strings.Contains(last(fo), `"text":"mine"`) {
		t.Errorf("another participant: %s, want its message", last(fo))
	}
	a3.Receive([]byte("/typing"))
	if n := strings.Count(strings.Join(f3.sent(), "\n"), "slow-down"); n != 1 {
		t.Errorf("%d slow-down notices after /typing, want the one before: /typing has a limit of its own", n)
	}
}

func TestRoomsPerParticipant(t *testing.T) {
	c := newTestChat(t, Options{RoomsEach: 2})
	m1, _ := joinFrom(t, c, "addr:mallory", "m1", "r1")
	joinFrom(t, c, "addr:mallory", "m2", "r2")
	_, err := c.Join(&fakeConn{}, JoinRequest{Name: "m3", Room: "r3", Participant: "addr:mallory"})
	if r, ok := err.(*Refusal); !ok || r.Code != CodeRoomLimit || !strings.Contains(r.Text, "you have opened 2 rooms") {
		t.Fatalf("a third room: %v, want room-limit naming the participant's limit", err)
	}
	for _, room := range []string{"lobby", "r2"} {
		joinFrom(t, c, "addr:mallory", "m-"+room, room) // the lobby and open rooms still take it
	}
	joinFrom(t, c, "addr:alice", "alice", "r3") // others open rooms of their own
	m1.Leave(nil)                               // r1 closes: a room is free again
	joinFrom(t, c, "addr:mallory", "m4", "r4")
	if n := c.people.count(); n != 2 {
		t.Errorf("%d participants on record, want 2", n)
	}
}

func TestMaxRoomsLeavesTheLobbyOpen(t *testing.T) {
	c := newTestChat(t, Options{MaxRooms: 1})
	g, fg := joinFrom(t, c, "addr:a", "g", "go")
	_, err := c.Join(&fakeConn{}, JoinRequest{Name: "r", Room: "rust", Participant: "addr:b"})
	if r, ok := err.(*Refusal); !ok || r.Code != CodeRoomLimit || !strings.Contains(r.Text, "most rooms open (1)") {
		t.Fatalf("a new room past the server's limit: %v", err)
	}
	joinFrom(t, c, "addr:b", "newcomer", "lobby") // empty, and past the limit: still open
	joinFrom(t, c, "addr:c", "gopher", "GO")
	g.Receive([]byte("/join lobby"))
	if !strings.Contains(strings.Join(fg.sent(), "\n"), `"type":"welcome","room":"lobby"`) {
		t.Errorf("/join lobby past the limit: %q", fg.sent())
	}
}

func TestHistoryShareRefusesTheSenderAlone(t *testing.T) {
	share := store.RoomOverhead + 3*store.Charge(60) // mallory opens the lobby's history, and pays for it
	c := boundedChat(t, Options{}, store.Bounds{Share: share}, store.Bounds{})
	m, fm := joinFrom(t, c, "addr:mallory", "mallory", "lobby")
	a, fa := joinFrom(t, c, "addr:alice", "alice", "lobby")
	for i := range 5 {
		m.Receive(fmt.Appendf(nil, "flood %d", i))
	}
	if got := last(fm); !strings.Contains(got, `"code":"history-share"`) || !strings.Contains(got, "your share") {
		t.Errorf("past the share: %s", got)
	}
	if n := strings.Count(strings.Join(fa.sent(), "\n"), `"text":"flood`); n >= 5 {
		t.Errorf("alice heard %d of the flood, want those within mallory's share", n)
	}
	a.Receive([]byte("still here"))
	if !strings.Contains(last(fa), `"text":"still here"`) {
		t.Errorf("alice after mallory's flood: %s", last(fa))
	}
	if c.Stats.OverBounds.Load() == 0 {
		t.Error("no message counted over a bound")
	}
}

func TestMailNeedsAMailbox(t *testing.T) {
	tests := []struct {
		name    string
		mailFor func(key, name string) bool
		want    Code
	}{
		{"tokens: a name that never connected", nil, CodeNoMailbox},
		{"accounts: one that exists", func(string, string) bool { return true }, CodeMailKept},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestChat(t, Options{Accounts: true, MailFor: tt.mailFor})
			a, fa := joinFrom(t, c, "name:alice", "alice", "lobby")
			a.Receive([]byte("/msg ghost boo"))
			if got := last(fa); !strings.Contains(got, `"code":"`+string(tt.want)+`"`) {
				t.Errorf("/msg to a name offline: %s, want %s", got, tt.want)
			}
			b, _ := joinFrom(t, c, "name:bob", "bob", "lobby")
			b.Leave(nil)
			a.Receive([]byte("/msg bob later"))
			if got := last(fa); !strings.Contains(got, `"code":"mail-kept"`) {
				t.Errorf("/msg to an account that connected before: %s", got)
			}
		})
	}
}

func TestMailShare(t *testing.T) {
	c := boundedChat(t, Options{Accounts: true}, store.Bounds{}, store.Bounds{RoomShare: 2 * store.Charge(80)})
	b, _ := joinFrom(t, c, "name:bob", "bob", "lobby")
	b.Leave(nil)
	m, fm := joinFrom(t, c, "name:mallory", "mallory", "lobby")
	for range 3 {
		m.Receive([]byte("/msg bob spam"))
	}
	if got := last(fm); !strings.Contains(got, `"code":"mail-share"`) || !strings.Contains(got, "bob's mailbox") {
		t.Errorf("past the sender's share of a mailbox: %s", got)
	}
	a, fa := joinFrom(t, c, "name:alice", "alice", "lobby")
	a.Receive([]byte("/msg bob hi"))
	if got := last(fa); !strings.Contains(got, `"code":"mail-kept"`) {
		t.Errorf("another sender to the same mailbox: %s", got)
	}
}

// The record of participants forgets those with nothing in force, and
// keeps those with something: a rate spent, a room open.
func TestParticipantsForgetTheIdle(t *testing.T) {
	ps := newParticipants(rateLimit{Rate: 0.001, Burst: 1}, 10)
	for i := range 100 {
		ps.leave(ps.join(fmt.Sprint("addr:", i)))
	}
	if n := ps.count(); n != 1 {
		t.Errorf("%d records kept of participants that spent nothing, want the last alone", n)
	}
	spent := ps.join("addr:spent")
	spent.lim.check(time.Now())
	ps.leave(spent)
	held := ps.join("addr:held")
	ps.openRoom(held, 0)
	ps.leave(held)
	ps.leave(ps.join("addr:next"))
	if n := ps.count(); n != 3 {
		t.Errorf("%d records kept, want the spent, the held and the last", n)
	}
	for i := range 20 {
		ps.leave(ps.join(fmt.Sprint("addr:new", i)))
	}
	if n := ps.count(); n > 10 {
		t.Errorf("%d records kept, over the bound of 10", n)
	}
	ps.mu.Lock()
	_, ok := ps.byKey["addr:held"]
	ps.mu.Unlock()
	if !ok {
		t.Error("a participant with a room open was forgotten")
	}
}
