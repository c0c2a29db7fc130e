package chat

import (
	"slices"
	"strings"
	"testing"
	"time"

	"wschat/internal/engine"
	"wschat/internal/engine/memory"
)

// newModChat returns a chat with accounts and moderation within lim.
func newModChat(tb testing.TB, lim engine.ModerationLimits) *Chat {
	tb.Helper()
	m, err := memory.OpenModeration("", lim)
	if err != nil {
		tb.Fatal(err)
	}
	return newTestChat(tb, Options{Accounts: true, Moderation: m, Admins: []string{"root"}})
}

// lastSent returns the last thing f was sent.
func lastSent(f *fakeConn) string {
	got := f.sent()
	if len(got) == 0 {
		return ""
	}
	return got[len(got)-1]
}

// closedWith returns the reason f was closed with, or "".
func closedWith(f *fakeConn) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// command sends cmd from s and returns the last thing f was sent.
func command(tb testing.TB, s *Session, f *fakeConn, cmd string) string {
	tb.Helper()
	waitLive(tb, s)
	s.Receive([]byte(cmd))
	waitLive(tb, s)
	return lastSent(f)
}

// TestOwnedRooms: one account owns at most its bound of rooms; the room
// it opens past it has no owner, and it is told; removing one frees a
// place.
func TestOwnedRooms(t *testing.T) {
	c := newModChat(t, engine.ModerationLimits{Owned: 2})
	alice, f := joinAs(t, c, "alice", "r1")
	if got := command(t, alice, f, "/join r2"); !strings.HasPrefix(got, "* welcome to r2, alice!") {
		t.Fatalf("got %q, want the welcome to r2", got)
	}
	command(t, alice, f, "/join r3")
	want := "* you own 2 rooms, the most one may: remove one (/droproom) to own another; r3 has no owner"
	if got := f.sent(); !contains(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := command(t, alice, f, "/droproom"); got != "* only the room's owner or an administrator may remove the room; you are a member" {
		t.Fatalf("/droproom in r3: %q", got)
	}
	command(t, alice, f, "/join r1")
	if got := command(t, alice, f, "/droproom"); got != "* alice removed the room's owner, operators, topic and bans" {
		t.Fatalf("/droproom in r1: %q", got)
	}
	command(t, alice, f, "/join r4")
	if got := command(t, alice, f, "/op bob"); got != "* alice made bob an operator" {
		t.Fatalf("alice in r4, which she owns now: %q", got)
	}
}

// TestBansBound: a room keeps at most its bound of bans; one more is
// refused with a code, and lifting one makes room.
func TestBansBound(t *testing.T) {
	c := newModChat(t, engine.ModerationLimits{List: 2})
	alice, f := joinAs(t, c, "alice", "den")
	for _, name := range []string{"p1", "p2"} {
		if got := command(t, alice, f, "/ban "+name); got != "* alice banned "+name+" until lifted" {
			t.Fatalf("ban %s: %q", name, got)
		}
	}
	if got := command(t, alice, f, "/ban p3"); got != "* a room keeps at most 2 bans, mutes, operators and invitations each: lift some first" {
		t.Fatalf("a third ban: %q", got)
	}
	command(t, alice, f, "/unban p1")
	if got := command(t, alice, f, "/ban p3"); got != "* alice banned p3 until lifted" {
		t.Fatalf("a ban after lifting one: %q", got)
	}
}

// TestKickOnlyInRoom: a kick closes the connections of the person in the
// room, not those of theirs elsewhere.
func TestKickOnlyInRoom(t *testing.T) {
	c := newModChat(t, engine.ModerationLimits{})
	alice, fa := joinAs(t, c, "alice", "den")
	_, inDen := joinAs(t, c, "bob", "den")
	_, inLobby := joinAs(t, c, "bob", "lobby")
	if got := command(t, alice, fa, "/kick bob go away"); got != "* alice kicked bob: go away" {
		t.Fatalf("kick: %q", got)
	}
	if got := closedWith(inDen); got != "kicked: you were kicked from den by alice: go away" {
		t.Fatalf("bob in den closed with %q", got)
	}
	if got := closedWith(inLobby); got != "" {
		t.Fatalf("bob in the lobby closed with %q", got)
	}
}

// TestAdminOverOwner: an administrator acts in every room, on its owner
// too; nobody bans an administrator.
func TestAdminOverOwner(t *testing.T) {
	c := newModChat(t, engine.ModerationLimits{})
	alice, fa := joinAs(t, c, "alice", "den")
	root, fr := joinAs(t, c, "root", "den")
	if got := command(t, alice, fa, "/ban root"); got != "* root is an administrator: you cannot ban them" {
		t.Fatalf("the owner banning an administrator: %q", got)
	}
	if got := command(t, root, fr, "/mute alice 1h"); !strings.HasPrefix(got, "* root muted alice until ") {
		t.Fatalf("an administrator muting the owner: %q", got)
	}
	if got := command(t, alice, fa, "hello"); !strings.HasPrefix(got, "* you are muted in den by root until ") {
		t.Fatalf("the owner muted: %q", got)
	}
}

// TestModerationWithoutAccounts: without accounts nobody moderates, and
// rooms stay as they were.
func TestModerationWithoutAccounts(t *testing.T) {
	c := newTestChat(t, Options{})
	alice, f := joinAs(t, c, "alice", "den")
	for _, cmd := range []string{"/kick bob", "/ban bob", "/op bob", "/topic hi", "/inviteonly on"} {
		if got := command(t, alice, f, cmd); got != "* this server has no accounts, so rooms have no owners and nobody moderates them" {
			t.Fatalf("%s: %q", cmd, got)
		}
	}
	if got := command(t, alice, f, "/topic"); got != "* den has no topic" {
		t.Fatalf("/topic: %q", got)
	}
}

func TestParseDuration(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true},
		{"10m", 10 * time.Minute, true},
		{"2h", 2 * time.Hour, true},
		{"1d", 24 * time.Hour, true},
		{"1w", 7 * 24 * time.Hour, true},
		{"0m", 0, false},
		{"10", 0, false},
		{"m", 0, false},
		{"-1h", 0, false},
		{"1.5h", 0, false},
		{"10x", 0, false},
		{"99999w", 0, false},
		{"spam", 0, false},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, ok := parseDuration(c.in)
			if got != c.want || ok != c.ok {
				t.Fatalf("parseDuration(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
			}
		})
	}
}

// TestModerationJSON: the commands as JSON requests, answered with
// events that carry the request's client_id.
func TestModerationJSON(t *testing.T) {
	c := newModChat(t, engine.ModerationLimits{})
	f := &fakeConn{}
	alice, err := c.Join(f, JoinRequest{Name: "alice", Room: "den", JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, request, want string
	}{
		{"ban", `{"type":"ban","name":"eve","duration":"1d","reason":"spam","client_id":"c1"}`,
			`{"type":"moderation","room":"den","id":"`},
		{"bad duration", `{"type":"mute","name":"eve","duration":"soon","client_id":"c2"}`,
			`{"type":"error","code":"usage","text":"\"soon\" is not a duration: durations look like 30s, 10m, 2h, 1d or 1w","client_id":"c2"}`},
		{"op oneself", `{"type":"op","name":"alice","client_id":"c3"}`,
			`{"type":"error","code":"not-allowed","text":"you cannot make yourself an operator, or stop being one: the owner or an administrator does","client_id":"c3"}`},
		{"invite-only", `{"type":"inviteonly","on":true}`, `{"type":"moderation","room":"den","id":"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := command(t, alice, f, tc.request)
			if !strings.HasPrefix(got, tc.want) {
				t.Fatalf("got %s, want %s...", got, tc.want)
			}
		})
	}
	got := f.sent()
	for _, want := range []string{`"name":"alice","to":"eve","text":"spam","client_id":"c1","action":"ban","until":"`, `"action":"invite-only"`} {
		if !slices.ContainsFunc(got, func(m string) bool { return strings.Contains(m, want) }) {
			t.Fatalf("no event with %s in %q", want, got)
		}
	}
}

// TestModerationReplayed: a newcomer's replay counts moderation messages
// as lines of the room, even where the room has no other.
func TestModerationReplayed(t *testing.T) {
	m, err := memory.OpenModeration("", engine.ModerationLimits{})
	if err != nil {
		t.Fatal(err)
	}
	c := newTestChat(t, Options{Accounts: true, Moderation: m, Replay: 1})
	alice, fa := joinAs(t, c, "alice", "den")
	command(t, alice, fa, "/topic first")
	command(t, alice, fa, "/topic second")
	bob, fb := joinAs(t, c, "bob", "den")
	waitLive(t, bob)
	got := fb.sent()
	if len(got) != 2 || !strings.HasPrefix(got[0], "* welcome to den, bob!") || !strings.HasSuffix(got[0], " Topic: second") || got[1] != "* alice set the topic: second" {
		t.Fatalf("bob got %q, want his welcome with the topic, then the last line replayed", got)
	}
}
