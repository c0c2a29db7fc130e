package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"wschat/internal/store"
)

// The chat's contract, one table of cases run against every engine
// (contract_engines_test.go): what a user sees must not depend on how the
// chat is run. Every case expects the same strings from every engine;
// where engines must differ, the case says why.

// contractCase is one case of the contract.
type contractCase struct {
	name string
	// engines it runs on, when not all; the case says why.
	engines []string
	config  func(t *testing.T, cfg *Config)
	run     func(t *testing.T, e contractEngine, d *deployment)
}

func TestContract(t *testing.T) {
	for _, e := range contractEngines {
		t.Run(e.name, func(t *testing.T) {
			for _, c := range contractCases {
				if c.engines != nil && !slices.Contains(c.engines, e.name) {
					continue
				}
				t.Run(c.name, func(t *testing.T) {
					cfg := testConfig()
					if c.config != nil {
						c.config(t, &cfg)
					}
					c.run(t, e, e.start(t, cfg))
				})
			}
		})
	}
}

var contractCases = []contractCase{
	{name: "history replayed on join", config: keepHistory(5, 3), run: contractReplayOnJoin},
	{name: "since", config: keepHistory(5, 2), run: contractSince},
	{name: "since older than the room keeps", config: keepHistory(5, 2), run: contractSinceTooOld},
	{name: "malformed since", run: contractMalformedSince},
	{name: "names unique on every node", run: contractNames},
	{name: "mail with accounts", config: tokensOn, run: contractMail},
	{name: "private messages without accounts", run: contractPrivate},
	{name: "who", run: contractWho},
	{name: "rooms", run: contractRooms},
	{name: "a crowd is counted, not named", config: crowdOf(3), run: contractCrowd},
	{
		// A restart keeps history only where it is kept on disk: memory
		// loses it by design, and with redis it is Redis's, not a node's.
		name: "history survives a restart", engines: []string{"data"}, config: keepHistory(5, 2), run: contractRestart,
	},
	// Acting on messages and finding them: contract_actions_test.go.
	{name: "acting on messages", run: contractActions},
	{name: "pages of older messages", run: contractScrollBack},
	{name: "mentions in other rooms", run: contractMentions},
	{name: "requests sent again are carried out once", config: tokensOn, run: contractOnce},
	// One rate for a participant on every node: contract_rates_test.go.
	{name: "one rate on every node", config: rateCase, run: contractOneRate},
	// Encrypted messages: contract_sealed_test.go.
	{name: "sealed messages", config: tokensOn, run: contractSealed},
	// Moderation: contract_moderation_test.go.
	{name: "moderation by role", config: moderated, run: contractModeration},
	{name: "deleting and reporting messages", config: moderated, run: contractModerationMessages},
	{
		// Across a restart: in -data, or of every node on one Redis;
		// memory keeps nothing across one.
		name: "moderation survives a restart", engines: []string{"data", "redis"}, config: moderated, run: contractModerationRestart,
	},
}

// contractReplayOnJoin: a newcomer is replayed the room's last messages,
// text lines exactly as they were broadcast, JSON events the same but
// marked history, then live messages.
func contractReplayOnJoin(t *testing.T, e contractEngine, d *deployment) {
	alice, _ := joinAsJSON(t, d.node(0), "name=alice")
	watcher := join(t, d.node(1), "watcher")
	live, _ := sayLive(t, alice, "one", "two", "three", "four")
	lines := watcher.chatLines(t, 4)

	bob := listen(dial(t, d.node(1), "/ws/chat?name=bob"))
	w := bob.next(t)
	head, list, _ := strings.Cut(w, " online: ")
	if head != "* welcome, bob! 3" || !sameNames(list, "alice", "bob", "watcher") {
		t.Fatalf("got %q, want bob's welcome with 3 online: alice, bob, watcher", w)
	}
	for _, want := range lines[1:] {
		bob.expectNotPresence(t, want)
	}
	bob.nothingMore(t, "bob")

	carol, cw := joinAsJSON(t, d.node(0), "name=carol")
	if cw.Recovered != nil || cw.Count != 4 {
		t.Fatalf("got %+v, want a welcome with 4 online and no recovered", cw)
	}
	for _, want := range live[1:] {
		carol.expectNotPresence(t, withHistory(want))
	}
	more, _ := sayLive(t, alice, "five")
	carol.expectNotPresence(t, more[0])
	bob.expectNotPresence(t, "alice: five")
	watcher.expectNotPresence(t, "alice: five")
}

// contractSince: a client that says which message it saw last is
// replayed exactly what followed, and told when that is not all.
func contractSince(t *testing.T, e contractEngine, d *deployment) {
	alice, _ := joinAsJSON(t, d.node(0), "name=alice")
	live, ids := sayLive(t, alice, "m1", "m2", "m3", "m4")
	// ids[1] and ids[2] are a millisecond apart: nothing was ever issued
	// between them.
	between := store.ID{Ms: ids[1].Ms, Seq: ids[1].Seq + 1}
	tests := []struct {
		name      string
		since     string
		recovered bool
		want      []string
	}{
		{"an id kept", ids[0].String(), true, live[1:]},
		{"the newest id", ids[3].String(), true, nil},
		{"an id never issued, within the kept range", between.String(), false, nil},
		{"an id from the future", "99999999999999-0", false, nil},
		{"zero, in a room that lost nothing", "0-0", true, live},
		{"zero, in a room never used", "0-0&room=empty", true, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("bob%d", i)
			bob, w := joinAsJSON(t, d.node(i+1), "name="+name+"&since="+tt.since)
			if got := w.Recovered == nil; got != tt.recovered {
				t.Fatalf("got %+v, want recovered %v", w, tt.recovered)
			}
			for _, want := range tt.want {
				bob.expectNotPresence(t, withHistory(want))
			}
			bob.nothingMore(t, name)
			bob.closeAndWait(t)
		})
	}
}

// contractSinceTooOld: a client whose last message the room no longer
// keeps is replayed everything it keeps, and told some is missing; so
// is one that asks for everything from a room that has lost some.
func contractSinceTooOld(t *testing.T, e contractEngine, d *deployment) {
	const sent = 300 // enough for Redis to trim whole blocks of its stream
	alice, _ := joinAsJSON(t, d.node(0), "name=alice")
	for i := range sent {
		alice.c.sendText(fmt.Sprint("n", i))
	}
	var live []string
	for len(live) < sent {
		live = append(live, alice.nextNotPresence(t))
	}
	first := decodeEvent(t, live[0]).ID

	// Text: the welcome, the notice, then the kept messages, the last of
	// them the newest.
	bob := listen(dial(t, d.node(1), "/ws/chat?name=bob&since="+first))
	if w := bob.next(t); !strings.HasPrefix(w, "* welcome, bob! 2 online: ") {
		t.Fatalf("got %q, want bob's welcome", w)
	}
	bob.expectNotPresence(t, "* "+notRecoveredText)
	var lines []string
	for len(lines) == 0 || lines[len(lines)-1] != fmt.Sprint("alice: n", sent-1) {
		lines = append(lines, bob.nextNotPresence(t))
	}
	kept := len(lines)
	switch {
	case kept < 5 || kept >= sent:
		t.Fatalf("replayed %d messages, want the room's last, at least the 5 it keeps and not the first", kept)
	case e.exactKeep && kept != 5:
		t.Fatalf("replayed %d messages, want the 5 the room keeps", kept)
	}
	for i, line := range lines {
		if want := fmt.Sprint("alice: n", sent-kept+i); line != want {
			t.Fatalf("replayed %q, want %q", line, want)
		}
	}
	bob.nothingMore(t, "bob")

	// JSON, by the oldest id and by zero: the same messages, and
	// recovered false.
	for i, since := range []string{first, "0-0"} {
		carol, w := joinAsJSON(t, d.node(i), fmt.Sprintf("name=carol%d&since=%s", i, since))
		if w.Recovered == nil || *w.Recovered {
			t.Fatalf("since %s: got %+v, want recovered false", since, w)
		}
		for _, want := range live[sent-kept:] {
			carol.expectNotPresence(t, withHistory(want))
		}
		carol.nothingMore(t, fmt.Sprint("carol", i))
	}

	// From the oldest kept: exactly the rest, recovered.
	oldest := decodeEvent(t, live[sent-kept]).ID
	dave, w := joinAsJSON(t, d.node(1), "name=dave&since="+oldest)
	if w.Recovered != nil {
		t.Fatalf("got %+v, want everything recovered", w)
	}
	for _, want := range live[sent-kept+1:] {
		dave.expectNotPresence(t, withHistory(want))
	}
	dave.nothingMore(t, "dave")
}

// contractMalformedSince: a since that is no message id is refused.
func contractMalformedSince(t *testing.T, e contractEngine, d *deployment) {
	for i, since := range []string{"x", "12", "1-2-3", "01-0", "-1-0", strings.Repeat("9", 30) + "-0"} {
		c := dial(t, d.node(i), "/ws/chat?name=alice&since="+url.QueryEscape(since))
		if code, reason := c.expectClose(); code != closePolicyViolation || !strings.HasPrefix(reason, "bad-request: ") {
			t.Errorf("since %q: got %d %q, want 1008 bad-request", since, code, reason)
		}
	}
}

// contractNames: a name is held once, compared without case, on every
// node; it is free again once its holder has left.
func contractNames(t *testing.T, e contractEngine, d *deployment) {
	alice := join(t, d.node(0), "Alice")
	for i, name := range []string{"alice", "ALICE", "aLiCe"} {
		want := fmt.Sprintf("CLOSE 1008 name-taken: name %q is taken: choose another", name)
		if got := refusedWith(t, d.node(i+1), "/ws/chat?name="+name); got != want {
			t.Fatalf("%s on node %d: got %q, want %q", name, (i+1)%len(d.addrs), got, want)
		}
	}
	alice.closeAndWait(t)
	var got string
	if !eventually(func() bool {
		got = refusedWith(t, d.node(1), "/ws/chat?name=alice")
		return strings.HasPrefix(got, "* welcome, alice!")
	}) {
		t.Fatalf("alice's name once she left: got %q, want it free", got)
	}
}

// contractMail: with accounts, a private message to an account that is
// offline is kept, and given to it when it next connects; each of the
// two is replayed its own copy, and nobody else anything. With tokens
// from another service an account has a mailbox once it has connected,
// so bob comes by first; a name that never has is told nothing was kept.
func contractMail(t *testing.T, e contractEngine, d *deployment) {
	joinWith(t, d.node(1), contractToken(t, "bob"), "").closeAndWait(t)
	alice := joinWith(t, d.node(0), contractToken(t, "alice"), "")
	alice.c.sendText("/msg zed are you there")
	alice.expectNotPresence(t, "* zed is not online, and nothing was kept: there is no mailbox for zed (no account of that name has connected here)")
	alice.c.sendText("/msg bob see you later")
	alice.expectNotPresence(t, "alice → bob: see you later")
	alice.expectNotPresence(t, "* bob is offline: they will get your message when they next connect")
	alice.closeAndWait(t)

	bob := joinWith(t, d.node(1), contractToken(t, "bob"), "")
	bob.expectNotPresence(t, "alice → bob: see you later")
	carol := joinWith(t, d.node(0), contractToken(t, "carol"), "")
	carol.nothingMore(t, "carol")
	alice = joinWith(t, d.node(1), contractToken(t, "alice"), "")
	alice.expectNotPresence(t, "alice → bob: see you later")
	alice.nothingMore(t, "alice")

	bob.c.sendText("/msg alice got it")
	bob.expectNotPresence(t, "bob → alice: got it")
	alice.expectNotPresence(t, "bob → alice: got it")
	bob.nothingMore(t, "bob")
	carol.nothingMore(t, "carol")
}

// contractPrivate: without accounts a private message reaches whoever
// holds the name now, on any node, and is kept nowhere.
func contractPrivate(t *testing.T, e contractEngine, d *deployment) {
	alice := join(t, d.node(0), "alice")
	bob := join(t, d.node(1), "bob")
	alice.c.sendText("/msg bob psst")
	alice.expectNotPresence(t, "alice → bob: psst")
	bob.expectNotPresence(t, "alice → bob: psst")
	alice.c.sendText("/msg nobody hello?")
	alice.expectNotPresence(t, "* nobody is not online")
	bob.closeAndWait(t)
	alice.answersUntil(t, "/msg bob still there?", "* bob is not online")
	// The server gives the name up just after it stops finding bob online.
	if !eventually(func() bool {
		in := listen(dial(t, d.node(1), "/ws/chat?name=bob"))
		if w := in.next(t); strings.HasPrefix(w, "* welcome, bob!") {
			bob = in
			return true
		}
		return false
	}) {
		t.Fatal("bob's name was not free again")
	}
	bob.nothingMore(t, "bob") // nothing was kept for him
}

// contractWho: /who counts and names everyone in the room, on every node.
func contractWho(t *testing.T, e contractEngine, d *deployment) {
	var lobby []*inbox
	names := []string{"alice", "bob", "carol", "dave"}
	for i, name := range names {
		lobby = append(lobby, join(t, d.node(i), name))
	}
	erin := enter(t, d.node(1), "erin", "go")
	for i, in := range lobby {
		in.c.sendText("/who")
		room, count, got := roomList(t, in.nextNotPresence(t))
		if room != "lobby" || count != 4 || !slices.Equal(got, names) {
			t.Fatalf("%s: /who says %s (%d): %q, want lobby (4): %q", names[i], room, count, got, names)
		}
	}
	erin.c.sendText("/who")
	erin.expectNotPresence(t, "* in go (1): erin")
}

// contractRooms: /rooms lists the rooms with someone in them, on every
// node, with how many are in each.
func contractRooms(t *testing.T, e contractEngine, d *deployment) {
	var ins []*inbox
	for i, p := range []struct{ name, room string }{
		{"alice", "lobby"}, {"bob", "lobby"}, {"carol", "go"}, {"dave", "go"}, {"erin", "rust"},
	} {
		if p.room == "lobby" {
			ins = append(ins, join(t, d.node(i), p.name))
		} else {
			ins = append(ins, enter(t, d.node(i), p.name, p.room))
		}
	}
	ask := func(in *inbox, want string) {
		t.Helper()
		in.c.sendText("/rooms")
		in.expectNotPresence(t, want)
	}
	for _, in := range ins {
		ask(in, "* 3 rooms: go (2), lobby (2), rust (1)")
	}
	ins[2].closeAndWait(t)
	ins[4].closeAndWait(t)
	ins[0].answersUntil(t, "/rooms", "* 2 rooms: go (1), lobby (2)")
	ask(ins[3], "* 2 rooms: go (1), lobby (2)")
}

// contractRestart: with -data, a restart keeps the history: since is
// answered from it. Zero is answered with everything kept, but not as
// complete: what compaction removed before the restart leaves no trace.
func contractRestart(t *testing.T, e contractEngine, d *deployment) {
	alice, _ := joinAsJSON(t, d.node(0), "name=alice")
	live, ids := sayLive(t, alice, "m1", "m2", "m3")
	d.restart(t)
	alice.expect(t, "CLOSE 1001 server shutting down")

	bob, w := joinAsJSON(t, d.node(0), "name=bob&since="+ids[0].String())
	if w.Recovered != nil {
		t.Fatalf("got %+v, want everything recovered", w)
	}
	for _, want := range live[1:] {
		bob.expectNotPresence(t, withHistory(want))
	}
	bob.nothingMore(t, "bob")
	carol, w := joinAsJSON(t, d.node(0), "name=carol&since=0-0")
	if w.Recovered == nil || *w.Recovered {
		t.Fatalf("got %+v, want recovered false", w)
	}
	for _, want := range live {
		carol.expectNotPresence(t, withHistory(want))
	}
	carol.nothingMore(t, "carol")
	dave := join(t, d.node(0), "dave")
	for _, want := range []string{"alice: m2", "alice: m3"} {
		dave.expectNotPresence(t, want)
	}
	dave.nothingMore(t, "dave")
}
