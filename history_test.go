package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestHistoryNewcomerGetsTheLatestMessagesFirst(t *testing.T) {
	cfg := testConfig()
	cfg.HistoryKeep, cfg.HistoryReplay = 5, 3
	_, addr := startServer(t, cfg)
	alice := join(t, addr, "alice")
	alice.say(t, "alice", "one", "two", "three", "four")

	bob := join(t, addr, "bob") // the welcome, then the last three, oldest first
	bob.expect(t, "alice: two")
	bob.expect(t, "alice: three")
	bob.expect(t, "alice: four")
	alice.expect(t, "* bob joined")
	alice.say(t, "alice", "live")
	bob.expect(t, "alice: live")

	carol := listen(dial(t, addr, "/ws/chat?format=json&name=carol"))
	if e := carol.event(t); e.Type != "welcome" || e.Recovered != nil {
		t.Fatalf("got %+v, want a plain welcome", e)
	}
	for _, want := range []string{"three", "four", "live"} {
		e := carol.event(t)
		if e.Type != "message" || !e.History || e.Text != want || e.Room != "lobby" || e.ID == "" || e.Time == "" {
			t.Errorf("got %+v, want %q as history with room, id and time", e, want)
		}
	}
	alice.expect(t, "* carol joined")
	alice.say(t, "alice", "after carol")
	if e := carol.event(t); e.History || e.Text != "after carol" {
		t.Errorf("got %+v, want a live message", e)
	}
}

func TestHistoryMoveGetsTheNewRoomsHistory(t *testing.T) {
	_, addr := startServer(t, testConfig())
	bob := enter(t, addr, "bob", "go")
	bob.say(t, "bob", "gophers only")
	alice := join(t, addr, "alice")
	alice.c.sendText("/join go")
	alice.expect(t, "* welcome to go, alice! 2 online: bob, alice")
	alice.expect(t, "bob: gophers only")
	alice.quiet(t, "alice")
	// Commands and private messages are not history.
	bob.c.sendText("/msg alice psst")
	alice.expect(t, "bob → alice: psst")
	carol := enter(t, addr, "carol", "go")
	carol.expect(t, "bob: gophers only")
	carol.quiet(t, "carol")
}

func TestHistorySinceReplaysWhatWasMissed(t *testing.T) {
	cfg := testConfig()
	cfg.HistoryKeep, cfg.HistoryReplay = 5, 2
	_, addr := startServer(t, cfg)
	alice := listen(dial(t, addr, "/ws/chat?format=json&name=alice"))
	alice.event(t) // welcome
	ids := alice.sayJSON(t, "alice", "m1", "m2", "m3", "m4")
	enterSince := func(t *testing.T, since string) *inbox {
		t.Helper()
		return listen(dial(t, addr, "/ws/chat?format=json&name=bob&since="+url.QueryEscape(since)))
	}
	tests := []struct {
		name      string
		since     string
		recovered bool
		want      []string
	}{
		{"after the first", ids[0], true, []string{"m2", "m3", "m4"}},
		{"after the last", ids[3], true, nil},
		{"an id older than any kept", "1-0", false, []string{"m1", "m2", "m3", "m4"}},
		{"an id never issued", ids[0][:len(ids[0])-1] + "7", false, nil},
		{"an id from the future", "99999999999999-0", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bob := enterSince(t, tt.since)
			w := bob.event(t)
			if w.Type != "welcome" || (w.Recovered == nil) != tt.recovered {
				t.Fatalf("got %+v, want a welcome, recovered %v", w, tt.recovered)
			}
			for _, text := range tt.want {
				if e := bob.event(t); !e.History || e.Text != text {
					t.Fatalf("got %+v, want %q from history", e, text)
				}
			}
			alice.expect(t, `{"type":"join","room":"lobby","name":"bob"}`)
			bob.c.writeFrame(true, opClose, closePayload(closeNormal, ""))
			alice.expect(t, `{"type":"leave","room":"lobby","name":"bob"}`)
			bob.expect(t, "CLOSE 1000 ") // and nothing else after the history
		})
	}

	// Older than what is kept: everything kept, and a notice that some
	// could not be recovered.
	alice.sayJSON(t, "alice", "m5", "m6", "m7")
	carol := listen(dial(t, addr, "/ws/chat?name=carol&since="+ids[0]))
	carol.expect(t, "* welcome, carol! 2 online: alice, carol")
	carol.expect(t, "* some messages since you were last here could not be recovered: the room keeps only its latest")
	for _, text := range []string{"m3", "m4", "m5", "m6", "m7"} {
		carol.expect(t, "alice: "+text)
	}
}

func TestHistoryRefusesABadSince(t *testing.T) {
	_, addr := startServer(t, testConfig())
	for _, since := range []string{"x", "12", "1-2-3", "-1-0", "01-0", strings.Repeat("9", 30) + "-0"} {
		t.Run(since, func(t *testing.T) {
			c := dial(t, addr, "/ws/chat?name=alice&since="+url.QueryEscape(since))
			code, reason := c.expectClose()
			if code != closePolicyViolation || reason != "bad-request: since must be the id of a message, such as 1796045000123-0" {
				t.Errorf("got %d %q", code, reason)
			}
		})
	}
}

func TestHistoryKeepsEachRoomApart(t *testing.T) {
	_, addr := startServer(t, testConfig())
	a := enter(t, addr, "a", "one")
	b := enter(t, addr, "b", "two")
	for i := range 3 {
		a.say(t, "a", fmt.Sprint("one-", i))
		b.say(t, "b", fmt.Sprint("two-", i))
	}
	c := enter(t, addr, "c", "two")
	for i := range 3 {
		c.expect(t, fmt.Sprint("b: two-", i))
	}
	c.quiet(t, "c")
}
