package main

import (
	"strings"
	"testing"
	"time"

	"wschat/internal/jwt"
)

// Moderation as the owner of a room, its operators, an administrator and
// an ordinary member see it, on every engine: cases of TestContract.

// moderated turns tokens on and names root an administrator (-admins).
func moderated(t *testing.T, cfg *Config) {
	tokensOn(t, cfg)
	cfg.Admins = []string{"root"}
}

// adminToken is a token for name with the admin claim, good for an hour.
func adminToken(t testing.TB, name string) string {
	t.Helper()
	k, err := jwt.NewHMACKey([]byte(contractSecret))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Sign(k, jwt.Claims{Subject: name, Expires: time.Now().Add(time.Hour), Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// enterAs connects name, with a token, to room and reads the welcome.
func enterAs(t testing.TB, addr, name, room string) *inbox {
	t.Helper()
	in := listen(dial(t, addr, "/ws/chat?token="+contractToken(t, name)+"&room="+room))
	if w := in.next(t); !strings.HasPrefix(w, "* welcome to "+room+", "+name+"!") {
		t.Fatalf("%s: got %q, want the welcome to %s", name, w, room)
	}
	return in
}

// answers sends cmd from in and checks the next line that is not a
// presence notice.
func (in *inbox) answers(t testing.TB, cmd, want string) {
	t.Helper()
	in.c.sendText(cmd)
	in.expectNotPresence(t, want)
}

// everyone checks that each inbox hears want next.
func everyone(t testing.TB, want string, ins ...*inbox) {
	t.Helper()
	for i, in := range ins {
		select {
		case m := <-in.msgs:
			if isPresenceNotice(m) {
				in.expectNotPresence(t, want)
			} else if m != want {
				t.Fatalf("inbox %d: got %q, want %q", i, m, want)
			}
		case <-time.After(testTimeout):
			t.Fatalf("inbox %d: nothing within %v, want %q", i, testTimeout, want)
		}
	}
}

// contractModeration: every command, by the owner, an operator, an
// administrator and a member, who is refused with a reason; the room
// hears who did what, and a kicked or banned person's connection closes
// with the reason, on whichever node it is.
func contractModeration(t *testing.T, e contractEngine, d *deployment) {
	alice := enterAs(t, d.node(0), "alice", "den") // opens den: its owner
	bob := enterAs(t, d.node(1), "bob", "den")
	carol := enterAs(t, d.node(0), "carol", "den")
	root := enterAs(t, d.node(1), "root", "den")
	all := []*inbox{alice, bob, carol, root}

	// A member is refused, with a reason.
	for _, c := range []struct{ cmd, want string }{
		{"/kick carol", "* only an operator or an administrator may kick anyone; you are a member"},
		{"/ban carol 1d", "* only an operator or an administrator may ban anyone; you are a member"},
		{"/mute carol", "* only an operator or an administrator may mute anyone; you are a member"},
		{"/topic mine now", "* only an operator or an administrator may set the topic; you are a member"},
		{"/op bob", "* only the room's owner or an administrator may name operators; you are a member"},
		{"/inviteonly on", "* only an operator or an administrator may make the room invite-only; you are a member"},
		{"/droproom", "* only the room's owner or an administrator may remove the room; you are a member"},
		{"/ban", "* usage: /ban NAME [DURATION] [REASON]"},
	} {
		bob.answers(t, c.cmd, c.want)
	}

	alice.c.sendText("/topic Go, mostly")
	everyone(t, "* alice set the topic: Go, mostly", all...)
	bob.answers(t, "/topic", "* topic of den: Go, mostly (set by alice)")

	// The owner names an operator; nobody makes themselves one.
	alice.answers(t, "/op alice", "* you cannot make yourself an operator, or stop being one: the owner or an administrator does")
	alice.c.sendText("/op bob")
	everyone(t, "* alice made bob an operator", all...)
	for _, c := range []struct{ cmd, want string }{
		{"/op carol", "* only the room's owner or an administrator may name operators; you are an operator"},
		{"/kick alice", "* alice is the room's owner: you cannot kick them"},
		{"/ban root", "* root is an administrator: you cannot ban them"},
		{"/ban bob", "* you cannot ban yourself"},
		{"/unban carol", "* carol is not banned in den"},
		{"/kick nobody", "* nobody is not in den"},
	} {
		bob.answers(t, c.cmd, c.want)
	}

	// Mute: carol's messages go nowhere until it is lifted.
	bob.c.sendText("/mute carol 5m spam")
	for _, in := range all {
		if m := in.nextNotPresence(t); !strings.HasPrefix(m, "* bob muted carol until ") || !strings.HasSuffix(m, " UTC: spam") {
			t.Fatalf("got %q, want bob's mute of carol for 5m", m)
		}
	}
	carol.c.sendText("hello?")
	if m := carol.nextNotPresence(t); !strings.HasPrefix(m, "* you are muted in den by bob until ") {
		t.Fatalf("got %q, want the mute's notice", m)
	}
	bob.c.sendText("/unmute carol")
	everyone(t, "* bob lifted carol's mute", all...)
	carol.c.sendText("hello")
	everyone(t, "carol: hello", all...)

	// Kick: carol hears it, then her connection closes with the reason;
	// she may come back.
	bob.c.sendText("/kick carol flooding")
	everyone(t, "* bob kicked carol: flooding", alice, bob, carol, root)
	carol.expect(t, "CLOSE 1008 kicked: you were kicked from den by bob: flooding")
	carol = enterAs(t, d.node(1), "carol", "den")
	carol.await(t, "* bob kicked carol: flooding") // the room's history, replayed
	all = []*inbox{alice, bob, carol, root}

	// Ban: it holds across reconnections, on every node, until lifted.
	alice.c.sendText("/ban carol rude")
	everyone(t, "* alice banned carol until lifted: rude", all...)
	carol.expect(t, "CLOSE 1008 banned: you are banned from den by alice until the ban is lifted: rude")
	for i := range 2 {
		if got := refusedWith(t, d.node(i), "/ws/chat?token="+contractToken(t, "carol")+"&room=den"); got != "CLOSE 1008 banned: you are banned from den by alice until the ban is lifted: rude" {
			t.Fatalf("carol back on node %d: got %q, want the ban's reason", i, got)
		}
	}
	carol = joinWith(t, d.node(0), contractToken(t, "carol"), "")
	carol.answers(t, "/join den", "* you are banned from den by alice until the ban is lifted: rude")
	root.c.sendText("/unban carol")
	everyone(t, "* root lifted carol's ban", alice, bob, root)
	carol.c.sendText("/join den")
	if m := carol.nextNotPresence(t); !strings.HasPrefix(m, "* welcome to den, carol!") {
		t.Fatalf("got %q, want carol back in den", m)
	}
	carol.await(t, "* root lifted carol's ban")
	all = []*inbox{alice, bob, carol, root}

	// Invite-only: only those invited come in.
	bob.c.sendText("/inviteonly on")
	everyone(t, "* bob made the room invite-only", all...)
	if got := refusedWith(t, d.node(1), "/ws/chat?token="+contractToken(t, "dave")+"&room=den"); got != "CLOSE 1008 invite-only: den is invite-only: an operator of the room may invite you (/invite)" {
		t.Fatalf("dave uninvited: got %q", got)
	}
	bob.c.sendText("/invite dave")
	everyone(t, "* bob invited dave", all...)
	dave := enterAs(t, d.node(1), "dave", "den")
	dave.await(t, "* bob invited dave")

	// The owner takes the operator role back.
	alice.c.sendText("/deop bob")
	everyone(t, "* alice took bob's operator role", alice, bob, carol, root, dave)
	bob.answers(t, "/kick dave", "* only an operator or an administrator may kick anyone; you are a member")
	dave.answers(t, "/deop bob", "* only the room's owner or an administrator may name operators; you are a member")
}

// contractModerationMessages: an operator deletes anyone's message, a
// member only their own; anyone reports one, which reaches the owner and
// the administrators at once, on any node, and the admin API; a flood of
// reports is refused, from any connection of the flooder's.
func contractModerationMessages(t *testing.T, e contractEngine, d *deployment) {
	alice := listen(dial(t, d.node(0), "/ws/chat?format=json&room=den&token="+contractToken(t, "alice")))
	if w := alice.awaitEvent(t, "welcome"); w.Name != "alice" {
		t.Fatalf("alice's welcome: %+v", w)
	}
	eve := listen(dial(t, d.node(1), "/ws/chat?format=json&room=den&token="+contractToken(t, "eve")))
	eve.awaitEvent(t, "welcome")
	bob := enterAs(t, d.node(0), "bob", "den")
	boss := listen(dial(t, d.node(1), "/ws/chat?format=json&token="+adminToken(t, "boss")))
	boss.awaitEvent(t, "welcome")
	root := joinWith(t, d.node(0), contractToken(t, "root"), "")

	if j := eve.awaitEvent(t, "join"); j.Name != "bob" {
		t.Fatalf("eve got %+v, want bob's arrival", j)
	}
	ids := eve.sayJSON(t, "eve", "buy cheap pills", "nice day")
	bob.await(t, "eve: nice day")
	bob.answers(t, "/delete "+ids[0], "* message "+ids[0]+" is eve's: you may edit and delete only your own")

	bob.answers(t, "/report "+ids[0]+" spam", "* reported eve's message to the operators of den and the administrators")
	for _, in := range []*inbox{alice, boss} {
		if r := in.awaitEvent(t, "report"); r.Room != "den" || r.ID != ids[0] || r.Name != "bob" || r.To != "eve" || r.Text != "spam" {
			t.Fatalf("report event: %+v", r)
		}
	}
	root.awaitLine(t, "* bob reported eve's message "+ids[0]+" in den: spam (it says: buy cheap pills)")
	eve.nothingMore(t, "eve") // nobody else hears of it

	// A flood of reports: three at once, then refused.
	bob.answers(t, "/report "+ids[1]+" again", "* reported eve's message to the operators of den and the administrators")
	bob.answers(t, "/report "+ids[1]+" and again", "* reported eve's message to the operators of den and the administrators")
	for range 5 {
		bob.answers(t, "/report "+ids[1]+" more", "* you may report 3 messages at once, then one every 20s: this report was not sent")
	}
	// Another connection of bob's, as a reconnection would be, buys
	// nothing: the limit is his, not his connection's.
	again := enterAs(t, d.node(0), "bob", "den")
	again.c.sendText("/report " + ids[1] + " fresh start")
	again.await(t, "* you may report 3 messages at once, then one every 20s: this report was not sent")

	// The owner deletes eve's message; everyone hears who did.
	alice.ask(t, map[string]any{"type": "delete", "id": ids[0]})
	if ev := eve.awaitEvent(t, "delete"); ev.ID != ids[0] || ev.Name != "alice" || ev.To != "eve" {
		t.Fatalf("eve got %+v, want alice's deletion of her message", ev)
	}
	bob.await(t, "* alice deleted a message")

	// The admin API, to administrators only.
	for _, c := range []struct {
		path, token string
		status      int
		has, hasNot []string
	}{
		{"/api/admin/reports", adminToken(t, "boss"), 200, []string{`"text":"buy cheap pills"`, `"reason":"spam"`, `"by":"bob"`}, nil},
		{"/api/admin/audit", contractToken(t, "root"), 200, []string{`"action":"delete"`, `"action":"report"`, `"action":"own"`}, []string{"pills", "nice day"}},
		{"/api/admin/audit", contractToken(t, "bob"), 403, []string{`"code":"not-admin"`}, nil},
		{"/api/admin/reports", "nonsense", 401, []string{`"code":"auth-required"`}, nil},
		{"/api/admin/audit?limit=0", contractToken(t, "root"), 400, []string{`"code":"bad-request"`}, nil},
	} {
		status, body := adminGet(t, d.node(1), c.path, c.token)
		if status != c.status {
			t.Fatalf("%s: status %d, want %d: %s", c.path, status, c.status, body)
		}
		for _, w := range c.has {
			if !strings.Contains(body, w) {
				t.Fatalf("%s: %s lacks %s", c.path, body, w)
			}
		}
		for _, w := range c.hasNot {
			if strings.Contains(body, w) {
				t.Fatalf("%s: %s has %q, a message's words that were not reported", c.path, body, w)
			}
		}
	}
}

// contractModerationRestart: a room's owner, topic and bans, and the
// audit log, outlive a restart; the owner keeps the room while it is
// empty.
func contractModerationRestart(t *testing.T, e contractEngine, d *deployment) {
	alice := enterAs(t, d.node(0), "alice", "den")
	alice.c.sendText("/topic kept")
	alice.await(t, "* alice set the topic: kept")
	alice.c.sendText("/ban carol 2d spam")
	if m := alice.nextNotPresence(t); !strings.HasPrefix(m, "* alice banned carol until ") {
		t.Fatalf("got %q, want the ban", m)
	}
	alice.closeAndWait(t)
	d.restart(t)

	// Empty and restarted, den is still alice's: bob, first in, is not
	// its owner.
	bob := enterAs(t, d.node(0), "bob", "den")
	bob.awaitLine(t, "* alice banned carol until ") // the room's history, replayed
	bob.answers(t, "/topic", "* topic of den: kept (set by alice)")
	bob.answers(t, "/op bob", "* only the room's owner or an administrator may name operators; you are a member")
	if got := refusedWith(t, d.node(0), "/ws/chat?token="+contractToken(t, "carol")+"&room=den"); !strings.HasPrefix(got, "CLOSE 1008 banned: you are banned from den by alice until ") {
		t.Fatalf("carol after the restart: got %q, want the ban", got)
	}
	alice = listen(dial(t, d.node(0), "/ws/chat?format=json&room=den&token="+contractToken(t, "alice")))
	if w := alice.awaitEvent(t, "welcome"); w.Role != "owner" || w.Topic != "kept" || w.Owner != "alice" {
		t.Fatalf("alice's welcome after the restart: %+v, want her role, owner and topic", w)
	}
	if status, body := adminGet(t, d.node(0), "/api/admin/audit", contractToken(t, "root")); status != 200 || !strings.Contains(body, `"action":"ban","target":"carol","reason":"spam"`) {
		t.Fatalf("the audit log after the restart: %d %s", status, body)
	}
	// The owner removes the room's record; the next to open it owns it.
	alice.c.sendText("/droproom")
	bob.await(t, "* alice removed the room's owner, operators, topic and bans")
}

// adminGet reads an admin API path with token, and returns the status
// and the body.
func adminGet(t testing.TB, addr, path, token string) (int, string) {
	t.Helper()
	resp, b := do(t, bearerRequest(t, addr, "GET", path, token, nil))
	return resp.StatusCode, string(b)
}
