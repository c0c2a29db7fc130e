package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The contract's cases for acting on messages and finding them
// (contract_test.go runs them on every engine): edits, reactions,
// replies and deletions reach everyone and are refused where one has no
// right; a newcomer, a page of history and a search get each message as
// it stands, across a restart with -data too; pages reach everything the
// room keeps; a mention reaches its person in another room, on whichever
// node.

// contractActions: people edit, react to, reply to and delete messages,
// and everyone sees it; a raw client that tries to act where it has no
// right is refused with a code; a newcomer, a page of history and a
// search get each message as it stands, and, with -data, do after a
// restart too.
func contractActions(t *testing.T, _ contractEngine, d *deployment) {
	room := "acts"
	alice := joinJSONAt(t, d.node(0), "alice", room)
	bob := joinJSONAt(t, d.node(1), "bob", room)
	mallory := listen(dial(t, d.node(1), "/ws/chat?name=mallory&room="+room))
	mallory.awaitLine(t, "* welcome to ")
	alice.ask(t, map[string]any{"type": "message", "text": "helo\nworld", "client_id": "a1"})
	sent := alice.awaitEvent(t, "message")
	if sent.ClientID != "a1" || sent.Text != "helo\nworld" {
		t.Fatalf("alice's message came back as %+v", sent)
	}
	id := sent.ID
	if got := mallory.awaitLine(t, "alice: "); got != "alice: helo ⏎ world" {
		t.Errorf("a text client got %q", got)
	}

	alice.ask(t, map[string]any{"type": "edit", "id": id, "text": "hello\nworld"})
	if e := bob.awaitEvent(t, "edit"); e.ID != id || e.Text != "hello\nworld" || e.Name != "alice" {
		t.Errorf("bob got %+v", e)
	}
	if got := mallory.awaitLine(t, "* alice edited"); got != "* alice edited: hello ⏎ world" {
		t.Errorf("a text client got %q", got)
	}

	bob.ask(t, map[string]any{"type": "react", "id": id, "emoji": "👍"})
	if e := alice.awaitEvent(t, "react"); e.ID != id || e.Emoji != "👍" || e.On == nil || !*e.On {
		t.Errorf("alice got %+v", e)
	}
	bob.ask(t, map[string]any{"type": "message", "reply_to": id, "text": "welcome back"})
	if e := alice.awaitEvent(t, "message"); e.ReplyTo != id || e.ReplyName != "alice" {
		t.Errorf("alice got %+v", e)
	}

	for _, cmd := range []struct{ line, want string }{
		{"/edit " + id + " mallory was here", "* message " + id + " is alice's: you may edit and delete only your own"},
		{"/delete " + id, "* message " + id + " is alice's: you may edit and delete only your own"},
		{"/react " + id + " lol", `* "lol" is not an emoji: react with one, such as 👍`},
		{"/delete 1-0", "* " + room + " keeps no message 1-0: it may have been deleted, or be too old"},
	} {
		mallory.c.sendText(cmd.line)
		if got := mallory.awaitLine(t, cmd.want[:9]); got != cmd.want {
			t.Errorf("%s: got %q, want %q", cmd.line, got, cmd.want)
		}
	}

	alice.ask(t, map[string]any{"type": "message", "text": "oops"})
	oops := alice.awaitEvent(t, "message").ID
	alice.ask(t, map[string]any{"type": "delete", "id": oops})
	if e := bob.awaitEvent(t, "delete"); e.ID != oops {
		t.Errorf("bob got %+v", e)
	}

	check := func(t *testing.T, addr, who string) {
		carol := listen(dial(t, addr, "/ws/chat?format=json&name="+who+"&room="+room))
		carol.awaitEvent(t, "welcome")
		first := carol.awaitEvent(t, "message")
		second := carol.awaitEvent(t, "message")
		if first.Text != "hello\nworld" || !first.Edited || !first.History || len(first.Reactions) != 1 || first.Reactions[0].Count != 1 {
			t.Errorf("%s was replayed %+v", who, first)
		}
		if second.Text != "welcome back" || second.ReplyTo != id {
			t.Errorf("%s was replayed %+v", who, second)
		}
		carol.ask(t, map[string]any{"type": "history", "limit": 10})
		if page := carol.awaitEvent(t, "history"); len(page.Messages) != 2 || page.Messages[0].Text != "hello\nworld" || page.More {
			t.Errorf("%s's page of history: %+v", who, page)
		}
		carol.ask(t, map[string]any{"type": "search", "text": "HELLO"})
		if found := carol.awaitEvent(t, "search"); len(found.Messages) != 1 || found.Messages[0].ID != id {
			t.Errorf("%s's search: %+v", who, found)
		}
		carol.ask(t, map[string]any{"type": "search", "text": "oops"})
		if found := carol.awaitEvent(t, "search"); len(found.Messages) != 0 {
			t.Errorf("a deleted message was found: %+v", found)
		}
	}
	check(t, d.node(1), "carol")
	if d.restart != nil {
		d.restart(t)
		check(t, d.node(0), "dave")
	}
}

// contractScrollBack: of more messages than a newcomer is replayed,
// every one is reached page by page, before the oldest it was replayed.
func contractScrollBack(t *testing.T, _ contractEngine, d *deployment) {
	room := "pages"
	alice := joinJSONAt(t, d.node(0), "alice", room)
	for i := range 130 {
		alice.c.sendText(fmt.Sprint("m", i))
	}
	for range 130 {
		alice.awaitEvent(t, "message")
	}
	bob := joinJSONAt(t, d.node(1), "bob", room)
	var all []string
	before := ""
	for i := range 50 {
		e := bob.awaitEvent(t, "message")
		if i == 0 {
			before = e.ID
		}
		all = append(all, e.Text)
	}
	for pages := 0; before != ""; pages++ {
		if pages == 5 {
			t.Fatal("more than five pages of 40")
		}
		bob.ask(t, map[string]any{"type": "history", "before": before, "limit": 40})
		page := bob.awaitEvent(t, "history")
		var texts []string
		for _, m := range page.Messages {
			texts = append(texts, m.Text)
		}
		all = append(texts, all...)
		before = page.Before
	}
	want := make([]string, 130)
	for i := range want {
		want[i] = fmt.Sprint("m", i)
	}
	if got := strings.Join(all, ","); got != strings.Join(want, ",") {
		t.Errorf("scrolled back through %d messages: %.300s", len(all), got)
	}
}

// contractMentions: someone named with @ in a room they are not in is
// told, on whichever node they are.
func contractMentions(t *testing.T, _ contractEngine, d *deployment) {
	alice := joinJSONAt(t, d.node(0), "alice", "talk")
	bob := joinJSONAt(t, d.node(1), "bob", "elsewhere")
	alice.ask(t, map[string]any{"type": "message", "text": "ask @bob"})
	id := alice.awaitEvent(t, "message").ID
	if e := bob.awaitEvent(t, "mention"); e.ID != id || e.Room != "talk" || e.Name != "alice" || e.Text != "ask @bob" {
		t.Errorf("bob got %+v", e)
	}
}

// contractOnce: a message, and a private message, sent again with the
// same client_id through another connection of the account, on another
// node, are acknowledged as repeats and reach nobody twice.
func contractOnce(t *testing.T, _ contractEngine, d *deployment) {
	at := func(node int, name string) *inbox {
		in := listen(dial(t, d.node(node), "/ws/chat?format=json&room=once&token="+contractToken(t, name)))
		in.awaitEvent(t, "welcome")
		return in
	}
	alice0, alice1, bob := at(0, "alice"), at(1, "alice"), at(1, "bob")
	for _, rq := range []map[string]any{
		{"type": "message", "text": "once", "client_id": "o1"},
		{"type": "private", "to": "bob", "text": "psst", "client_id": "o2"},
	} {
		alice0.ask(t, rq)
		if a := alice0.awaitEvent(t, "ack"); a.ClientID != rq["client_id"] || a.Repeat {
			t.Fatalf("%v: ack %+v, want one for %v, not a repeat", rq, a, rq["client_id"])
		}
		alice1.ask(t, rq)
		if a := alice1.awaitEvent(t, "ack"); a.ClientID != rq["client_id"] || !a.Repeat {
			t.Fatalf("%v sent again on another node: ack %+v, want a repeat", rq, a)
		}
	}
	bob.ask(t, map[string]any{"type": "message", "text": "end"})
	var got []string
	for {
		var e wireEvent
		if json.Unmarshal([]byte(bob.next(t)), &e) != nil || (e.Type != "message" && e.Type != "private") {
			continue // presence
		}
		if e.Text == "end" {
			break
		}
		got = append(got, e.Type+" "+e.Text)
	}
	if fmt.Sprint(got) != "[message once private psst]" {
		t.Errorf("bob got %q before his own message, want each of alice's once", got)
	}
}
