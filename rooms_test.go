package main

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"wschat/internal/store"
)

func TestRoomsKeepMessagesAndNoticesInside(t *testing.T) {
	_, addr := startServer(t, testConfig())
	alice := join(t, addr, "alice") // the lobby
	bob := enter(t, addr, "bob", "go")
	carol := enter(t, addr, "carol", "go")
	bob.expect(t, "* carol joined")
	bob.c.sendText("hi gophers")
	bob.expect(t, "bob: hi gophers")
	carol.expect(t, "bob: hi gophers")
	carol.c.writeFrame(true, opClose, closePayload(closeNormal, ""))
	bob.expect(t, "* carol left")
	alice.quiet(t, "alice") // heard neither the message nor the notices
	bob.quiet(t, "bob")
}

func TestRoomsOneOrderForEveryone(t *testing.T) {
	_, addr := startServer(t, testConfig())
	var ins []*inbox
	for i := range 4 {
		ins = append(ins, enterJSON(t, addr, fmt.Sprintf("u%d", i), "Go"))
	}
	for i, in := range ins {
		for range len(ins) - 1 - i {
			if e := in.event(t); e.Type != "join" || e.Room != "Go" {
				t.Fatalf("got %+v, want a join to Go", e)
			}
		}
	}
	const each = 30
	for _, in := range ins {
		go func() {
			for j := range each {
				in.c.sendText(fmt.Sprint(j))
			}
		}()
	}
	var first []string
	for i, in := range ins {
		var got []string
		var last store.ID
		for range len(ins) * each {
			e := in.event(t)
			id := parseTestID(t, e.ID)
			if !last.Less(id) {
				t.Fatalf("id %s came after %s: ids must increase", e.ID, last)
			}
			last = id
			got = append(got, e.ID+" "+e.Name+": "+e.Text)
		}
		if i == 0 {
			first = got
			continue
		}
		for k := range got {
			if got[k] != first[k] {
				t.Fatalf("u%d saw %q at %d where u0 saw %q", i, got[k], k, first[k])
			}
		}
	}
}

func TestRoomsRefusals(t *testing.T) {
	cfg := testConfig()
	cfg.MaxRooms = 1 // the lobby aside
	_, addr := startServer(t, cfg)
	join(t, addr, "alice")
	enter(t, addr, "bob", "go")
	tests := []struct {
		name, query, reason string
	}{
		{"bad room name", "?name=carol&room=a%20b", `bad-request: room name may use only letters, digits, "_", "-" and "."`},
		{"room name too long", "?name=carol&room=" + strings.Repeat("r", 33), "bad-request: room name is too long: at most 32 characters"},
		{"one room too many", "?name=carol&room=rust", "room-limit: the server has its most rooms open (1): choose one that exists"},
		{"name taken in another room", "?name=ALICE&room=go", `name-taken: name "ALICE" is taken: choose another`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, addr, "/ws/chat"+tt.query)
			if code, reason := c.expectClose(); code != closePolicyViolation || reason != tt.reason {
				t.Errorf("got close %d %q, want %d %q", code, reason, closePolicyViolation, tt.reason)
			}
		})
	}
	// An existing room takes newcomers at the limit, however they spell it.
	dave := listen(dial(t, addr, "/ws/chat?name=dave&room=GO"))
	dave.expect(t, "* welcome to go, dave! 2 online: bob, dave")
}

func TestRoomsMove(t *testing.T) {
	_, addr := startServer(t, testConfig())
	alice := join(t, addr, "alice")
	bob := join(t, addr, "bob")
	alice.expect(t, "* bob joined")
	carol := enter(t, addr, "carol", "go")

	bob.c.sendText("/join go")
	bob.expect(t, "* welcome to go, bob! 2 online: carol, bob")
	alice.expect(t, "* bob left")
	carol.expect(t, "* bob joined")
	bob.c.sendText("hello go")
	bob.expect(t, "bob: hello go")
	carol.expect(t, "bob: hello go")
	alice.quiet(t, "alice")

	for _, tt := range []struct{ cmd, answer string }{
		{"/join GO", "* you are already in go"},
		{"/join", "* usage: /join ROOM"},
		{"/join no*stars", `* room name may use only letters, digits, "_", "-" and "."`},
	} {
		bob.c.sendText(tt.cmd)
		bob.expect(t, tt.answer)
	}
	carol.quiet(t, "carol") // commands are never broadcast

	// The last one out takes the room away.
	bob.c.sendText("/join lobby")
	bob.expect(t, "* welcome, bob! 2 online: alice, bob")
	carol.expect(t, "* bob left")
	carol.c.sendText("/join lobby")
	carol.expect(t, "* welcome, carol! 3 online: alice, bob, carol")
	carol.c.sendText("/rooms")
	carol.expect(t, "* 1 rooms: lobby (3)")
}

func TestRoomsPrivateMessages(t *testing.T) {
	_, addr := startServer(t, testConfig())
	alice := join(t, addr, "alice")
	bob := enter(t, addr, "bob", "go")
	carol := enter(t, addr, "carol", "go")
	bob.expect(t, "* carol joined")
	dave := enterJSON(t, addr, "dave", "rust")

	alice.c.sendText("/msg BOB psst\nbob: fake line")
	alice.expect(t, "alice → bob: psst bob: fake line")
	bob.expect(t, "alice → bob: psst bob: fake line")

	alice.c.sendText("/msg dave  hello   there")
	alice.expect(t, "alice → dave: hello there")
	if e := dave.event(t); e.Type != "private" || e.Name != "alice" || e.To != "dave" || e.Text != "hello there" || e.Time == "" || e.Room != "" {
		t.Errorf("dave got %+v, want a private event from alice", e)
	}

	for _, tt := range []struct{ cmd, answer string }{
		{"/msg zed hi", "* zed is not online"},
		{"/msg bob", "* usage: /msg NAME TEXT"},
		{"/msg", "* usage: /msg NAME TEXT"},
	} {
		alice.c.sendText(tt.cmd)
		alice.expect(t, tt.answer)
	}
	alice.c.sendText("/msg alice note to self")
	alice.expect(t, "alice → alice: note to self")
	alice.quiet(t, "alice") // once, not twice
	carol.quiet(t, "carol")
	bob.quiet(t, "bob")
}

func TestRoomsCommands(t *testing.T) {
	_, addr := startServer(t, testConfig())
	alice := join(t, addr, "alice")
	bob := enter(t, addr, "bob", "go")
	carol := enter(t, addr, "carol", "go")
	bob.expect(t, "* carol joined")
	tests := []struct{ cmd, answer string }{
		{"/who", "* in go (2): bob, carol"},
		{"/WHO", "* in go (2): bob, carol"},
		{"/rooms", "* 2 rooms: go (2), lobby (1)"},
		{"/help", "* commands: /join ROOM moves you to ROOM; /msg NAME TEXT sends NAME a private message; " +
			"/who lists who is in the room; /rooms lists the rooms; /typing tells the room you are typing; " +
			"/history [ID] shows the messages before ID, with their ids, or the latest; /search TEXT finds the messages that say TEXT; " +
			"/reply ID TEXT answers a message; /react ID EMOJI puts an emoji on a message, or takes it back; " +
			"/edit ID TEXT and /delete ID change or take back a message of yours; " +
			"/help shows this; //text sends a message that starts with /; /report ID REASON reports a message"},
		{"/nope x", "* unknown command /nope: /help lists the commands"},
		{"/", "* unknown command /: /help lists the commands"},
		{"//join go", "bob: /join go"},
		{"  /who", "* in go (2): bob, carol"},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			bob.c.sendText(tt.cmd)
			bob.expect(t, tt.answer)
		})
	}
	carol.expect(t, "bob: /join go") // the only one of them carol hears
	carol.quiet(t, "carol")
	alice.quiet(t, "alice")
}

func TestRoomsJSONEvents(t *testing.T) {
	_, addr := startServer(t, testConfig())
	alice := enterJSON(t, addr, "alice", "go")
	bob := enterJSON(t, addr, "bob", "go")
	if e := alice.event(t); e.Type != "join" || e.Room != "go" || e.Name != "bob" {
		t.Errorf("got %+v, want bob's join to go", e)
	}
	bob.c.sendText("/who")
	if e := bob.event(t); e.Type != "who" || e.Room != "go" || e.Count != 2 || strings.Join(e.Online, ",") != "alice,bob" {
		t.Errorf("got %+v, want who is in go", e)
	}
	bob.c.sendText("/rooms")
	if e := bob.event(t); e.Type != "rooms" || len(e.Rooms) != 1 || e.Rooms[0] != (roomCount{Name: "go", Count: 2}) {
		t.Errorf("got %+v, want the rooms", e)
	}
	bob.c.sendText("hi")
	for _, in := range []*inbox{alice, bob} {
		if e := in.event(t); e.Type != "message" || e.Room != "go" || e.ID == "" || e.Time == "" {
			t.Errorf("got %+v, want a message with room, id and time", e)
		}
	}
	bob.c.sendText("/rooms")
	if e := bob.event(t); len(e.Rooms) != 1 || e.Rooms[0].Messages != 1 {
		t.Errorf("got %+v, want a count of one message", e)
	}
	bob.c.sendText("/join lobby")
	if e := bob.event(t); e.Type != "welcome" || e.Room != "lobby" || e.Count != 1 {
		t.Errorf("got %+v, want the lobby's welcome", e)
	}
	if e := alice.event(t); e.Type != "leave" || e.Room != "go" || e.Name != "bob" {
		t.Errorf("got %+v, want bob's leave from go", e)
	}
}

func TestRoomsTyping(t *testing.T) {
	_, addr := startServer(t, testConfig())
	alice := enterJSON(t, addr, "alice", "go")
	text := enter(t, addr, "tess", "go")
	bob := enterJSON(t, addr, "bob", "go")
	other := enterJSON(t, addr, "olga", "rust")
	for range 2 {
		alice.event(t) // tess, bob joined
	}
	text.expect(t, "* bob joined")

	for range 3 { // within two seconds: one event
		bob.c.sendText("/typing")
	}
	if e := alice.event(t); !reflect.DeepEqual(e, event{Type: "typing", Room: "go", Name: "bob"}) {
		t.Errorf("got %+v, want bob typing", e)
	}
	bob.c.sendText("done")
	for _, in := range []*inbox{alice, bob} {
		if e := in.event(t); e.Type != "message" || e.Text != "done" {
			t.Errorf("got %+v, want the message: bob is not told of his own typing, nor twice", e)
		}
	}
	text.expect(t, "bob: done") // text clients never see typing
	other.c.sendText("/who")
	if e := other.event(t); e.Type != "who" {
		t.Errorf("olga got %+v, want only her /who answer", e)
	}
}

func TestRoomsRateCoversCommands(t *testing.T) {
	cfg := testConfig()
	cfg.Rate, cfg.Burst = 0.001, 2
	_, addr := startServer(t, cfg)
	alice := join(t, addr, "alice")
	bob := joinFromAddr(t, "127.0.0.2", addr, "bob") // a rate of his own
	alice.expect(t, "* bob joined")
	alice.c.sendText("/who")
	alice.expect(t, "* in lobby (2): alice, bob")
	alice.c.sendText("/msg bob one")
	alice.expect(t, "alice → bob: one")
	bob.expect(t, "alice → bob: one")
	alice.c.sendText("/msg bob two")
	if m := alice.next(t); !strings.HasPrefix(m, "* slow down: the limit is") {
		t.Errorf("got %q, want the rate limit's notice", m)
	}
	bob.quiet(t, "bob")
}
