package chat

import (
	"strings"
	"testing"
)

// TestActionsReachEveryone: an edit, a reaction, a reply and a deletion
// reach a JSON client as events and a plain text client as lines that
// say who did what; the client_id of each request comes back on its
// event.
func TestActionsReachEveryone(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	bob, fb := joinText(t, c, "bob", "lobby")

	evs := ask(t, alice, fa, map[string]any{"type": "message", "text": "helo", "client_id": "c1"})
	if len(evs) != 1 || evs[0].ClientID != "c1" || evs[0].ID == "" {
		t.Fatalf("message: %+v, want it back with client_id c1", evs)
	}
	id := evs[0].ID
	from := len(fb.sent())
	steps := []struct {
		name string
		do   func() []event
		json event
		text string
	}{
		{"edit", func() []event {
			return ask(t, alice, fa, map[string]any{"type": "edit", "id": id, "text": "hello", "client_id": "c2"})
		}, event{Type: "edit", ID: id, Name: "alice", Text: "hello", ClientID: "c2"}, "* alice edited: hello"},
		{"reaction", func() []event {
			bob.Receive([]byte("/react " + id + " 👍"))
			return jsonEvents(t, fa, len(fa.sent())-1)
		}, event{Type: "react", ID: id, Name: "bob", Emoji: "👍"}, "* bob reacted 👍 to alice's message"},
		{"reaction taken back", func() []event {
			bob.Receive([]byte("/react " + id + " 👍"))
			return jsonEvents(t, fa, len(fa.sent())-1)
		}, event{Type: "react", ID: id, Name: "bob", Emoji: "👍"}, "* bob took back 👍 from alice's message"},
		{"reply", func() []event {
			bob.Receive([]byte("/reply " + id + " thanks"))
			return jsonEvents(t, fa, len(fa.sent())-1)
		}, event{Type: "message", Name: "bob", Text: "thanks", ReplyTo: id, ReplyName: "alice"}, "bob: [reply to alice] thanks"},
		{"delete", func() []event {
			return ask(t, alice, fa, map[string]any{"type": "delete", "id": id, "client_id": "c3"})
		}, event{Type: "delete", ID: id, Name: "alice", ClientID: "c3"}, "* alice deleted a message"},
	}
	for _, st := range steps {
		evs := st.do()
		if len(evs) != 1 {
			t.Fatalf("%s: alice got %+v, want one event", st.name, evs)
		}
		e := evs[0]
		if e.Type != st.json.Type || e.Name != st.json.Name || e.Text != st.json.Text || e.ClientID != st.json.ClientID ||
			e.Emoji != st.json.Emoji || e.ReplyTo != st.json.ReplyTo || e.ReplyName != st.json.ReplyName ||
			(st.json.ID != "" && e.ID != st.json.ID) {
			t.Errorf("%s: alice got %+v, want %+v", st.name, e, st.json)
		}
		if e.Type == "react" && (e.On == nil || *e.On != (st.name == "reaction")) {
			t.Errorf("%s: on = %v", st.name, e.On)
		}
		if e.Type != "message" && e.ActionID == "" {
			t.Errorf("%s: no action_id", st.name)
		}
		got := linesSince(fb, from)
		if len(got) != 1 || got[0] != st.text {
			t.Errorf("%s: bob got %q, want %q", st.name, got, st.text)
		}
		from = len(fb.sent())
	}
}

// TestActionsRefused: acting where one has no right, or on what is not
// there, is refused with a code, to the one who asked alone, and
// changes nothing; a JSON request's refusal is an error event carrying
// its client_id.
func TestActionsRefused(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	mallory, fm := joinJSON(t, c, "mallory", "lobby", "addr:192.0.2.66")
	mine := post(t, alice, fa, "alice's words")
	gone := post(t, alice, fa, "soon gone")
	ask(t, alice, fa, map[string]any{"type": "delete", "id": gone})
	full := post(t, alice, fa, "popular")
	for i := range maxReactionKinds {
		ask(t, alice, fa, map[string]any{"type": "react", "id": full, "emoji": string(rune(0x1F600 + i))})
	}
	tests := []struct {
		name string
		req  map[string]any
		code Code
	}{
		{"edit another's", map[string]any{"type": "edit", "id": mine, "text": "mallory was here"}, CodeNotYours},
		{"delete another's", map[string]any{"type": "delete", "id": mine}, CodeNotYours},
		{"edit a deleted message", map[string]any{"type": "edit", "id": gone, "text": "x"}, CodeNoMessage},
		{"react to a deleted message", map[string]any{"type": "react", "id": gone, "emoji": "👍"}, CodeNoMessage},
		{"reply to a deleted message", map[string]any{"type": "message", "reply_to": gone, "text": "x"}, CodeNoMessage},
		{"an id never given", map[string]any{"type": "delete", "id": "1-0"}, CodeNoMessage},
		{"not an id", map[string]any{"type": "edit", "id": "<script>", "text": "x"}, CodeUsage},
		{"an id of the future", map[string]any{"type": "react", "id": "18446744073709551615-18446744073709551615", "emoji": "👍"}, CodeNoMessage},
		{"a word for an emoji", map[string]any{"type": "react", "id": mine, "emoji": "lol"}, CodeBadEmoji},
		{"a long emoji", map[string]any{"type": "react", "id": mine, "emoji": strings.Repeat("👍", 100)}, CodeBadEmoji},
		{"a 21st kind of reaction", map[string]any{"type": "react", "id": full, "emoji": "🎉"}, CodeTooManyReactions},
		{"an empty edit", map[string]any{"type": "edit", "id": mine, "text": " \n "}, CodeUsage},
		{"text of the wrong type", map[string]any{"type": "message", "text": 42}, CodeBadRequest},
		{"an empty message", map[string]any{"type": "message", "text": "\u200b"}, CodeUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := map[string]any{"client_id": "k-" + tt.name}
			for k, v := range tt.req {
				fields[k] = v
			}
			na := len(fa.sent())
			evs := ask(t, mallory, fm, fields)
			if len(evs) != 1 || evs[0].Type != "error" || evs[0].Code != tt.code || evs[0].ClientID != "k-"+tt.name {
				t.Fatalf("got %+v, want one error %s with client_id", evs, tt.code)
			}
			if got := fa.sent()[na:]; len(got) != 0 {
				t.Errorf("alice was sent %q", got)
			}
		})
	}
	// A client_id too long to echo is refused, and not echoed.
	evs := ask(t, mallory, fm, map[string]any{"type": "message", "text": "hi", "client_id": strings.Repeat("x", maxClientID+1)})
	if len(evs) != 1 || evs[0].Code != CodeBadRequest || evs[0].ClientID != "" {
		t.Errorf("a long client_id: %+v", evs)
	}
	// A file's message is the uploader's to delete, not to edit.
	if !alice.Share(FileInfo{Name: "a.png", Size: 10, Type: "image/png", URL: "/files/x/a.png"}) {
		t.Fatal("share refused")
	}
	file := lastEvent(t, fa).ID
	if e := ask(t, alice, fa, map[string]any{"type": "edit", "id": file, "text": "x"}); len(e) != 1 || e[0].Code != CodeNotEditable {
		t.Errorf("editing a file's message: %+v", e)
	}
	if e := ask(t, alice, fa, map[string]any{"type": "delete", "id": file}); len(e) != 1 || e[0].Type != "delete" {
		t.Errorf("deleting one's file's message: %+v", e)
	}
}

// TestOwnerIsNameAndParticipant: the same name back from the same
// participant (a reload) may edit its messages; the same name taken by
// someone else afterwards may not.
func TestOwnerIsNameAndParticipant(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "addr:192.0.2.1")
	id := post(t, alice, fa, "mine")
	alice.Leave(nil)
	again, fa2 := joinJSON(t, c, "alice", "lobby", "addr:192.0.2.1")
	if e := ask(t, again, fa2, map[string]any{"type": "edit", "id": id, "text": "still mine"}); len(e) != 1 || e[0].Type != "edit" {
		t.Errorf("alice after a reload: %+v, want her edit", e)
	}
	again.Leave(nil)
	other, fo := joinJSON(t, c, "alice", "lobby", "addr:192.0.2.99")
	if e := ask(t, other, fo, map[string]any{"type": "delete", "id": id}); len(e) != 1 || e[0].Code != CodeNotYours {
		t.Errorf("another alice: %+v, want not-yours", e)
	}
}

// TestJSONRequestsAndPlainText: a JSON client's frame is a request only
// when it is an object of a request's type; anything else is said as it
// is, "{hi}" included. Text a plain text client sends is never a request.
func TestJSONRequestsAndPlainText(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	bob, fb := joinText(t, c, "bob", "lobby")
	for _, frame := range []string{`{hi}`, `{"type":"shout","text":"x"}`, `[1,2]`, `{"type":`, `{"text":"no type"}`} {
		n := len(fb.sent())
		alice.Receive([]byte(frame))
		if got := linesSince(fb, n); len(got) != 1 || got[0] != "alice: "+frame {
			t.Errorf("%s: bob got %q, want it said as it is", frame, got)
		}
	}
	n := len(fa.sent())
	bob.Receive([]byte(`{"type":"message","text":"from bob"}`))
	if got := jsonEvents(t, fa, n); len(got) != 1 || got[0].Text != `{"type":"message","text":"from bob"}` {
		t.Errorf("a text client's object: %+v, want it said as it is", got)
	}
}

// TestMultilineMessages: a JSON message keeps its line breaks, each line
// cleaned; a plain text client sees it on one line, so no line of it can
// pass for someone else's message; text a plain text client sends stays
// one line.
func TestMultilineMessages(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	bob, fb := joinText(t, c, "bob", "lobby")
	n := len(fb.sent())
	evs := ask(t, alice, fa, map[string]any{"type": "message", "text": "line one\nbob: i owe alice\n\n\n\u202Elast\n"})
	if len(evs) != 1 || evs[0].Text != "line one\nbob: i owe alice\n\nlast" {
		t.Fatalf("alice got %+v", evs)
	}
	if got := linesSince(fb, n); len(got) != 1 || got[0] != "alice: line one ⏎ bob: i owe alice ⏎  ⏎ last" {
		t.Errorf("bob got %q", got)
	}
	n = len(fa.sent())
	bob.Receive([]byte("one\ntwo"))
	if got := jsonEvents(t, fa, n); len(got) != 1 || got[0].Text != "one two" {
		t.Errorf("bob's text frame: %+v", got)
	}
	id := evs[0].ID
	n = len(fb.sent())
	ask(t, alice, fa, map[string]any{"type": "edit", "id": id, "text": "a\nb"})
	if got := linesSince(fb, n); len(got) != 1 || got[0] != "* alice edited: a ⏎ b" {
		t.Errorf("an edit of two lines: bob got %q", got)
	}
	ask(t, alice, fa, map[string]any{"type": "private", "to": "bob", "text": "p\nq"})
	if got := last(fb); got != "alice → bob: p ⏎ q" {
		t.Errorf("a private message of two lines: bob got %q", got)
	}
}

// TestReactionsFloodBounded: a participant reacting again and again
// with forty emoji in turn costs the room's history one record each,
// like messages, and what a message carries stays within
// maxReactionKinds kinds: each kind past them is refused.
func TestReactionsFloodBounded(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	id := post(t, alice, fa, "target")
	refused := 0
	for i := range 300 {
		alice.Receive([]byte(`{"type":"react","id":"` + id + `","emoji":"` + string(rune(0x1F300+i%40)) + `"}`))
		if strings.Contains(string(fa.queued(len(fa.got)-1)), `"code":"too-many-reactions"`) {
			refused++
		}
		if i == 39 || i == 299 {
			_, fn := joinJSON(t, c, "newcomer", "lobby", "")
			evs := replayed(t, fn)
			if len(evs) != 1 || len(evs[0].Reactions) > maxReactionKinds || i == 39 && len(evs[0].Reactions) != maxReactionKinds {
				t.Fatalf("after %d reactions, replayed %+v", i+1, evs)
			}
			c.hub.find("newcomer")[0].Leave(nil)
		}
	}
	// Twenty kinds go on, the next twenty are refused, the first twenty
	// come off: twenty refused in every sixty.
	if refused != 100 {
		t.Errorf("%d of 300 reactions refused, want 100", refused)
	}
}

// TestMentionsReachOtherRooms: a message that names people with @ tells
// those online in another room (JSON: a mention event; plain text: a
// line), once each, and not those in the room, who have the message, nor
// its writer; @ inside a word (an address) is no mention.
func TestMentionsReachOtherRooms(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	_, fb := joinJSON(t, c, "bob", "go", "addr:192.0.2.2")
	_, fc := joinText(t, c, "carol", "tea")
	_, fd := joinJSON(t, c, "dave", "lobby", "addr:192.0.2.4")
	_, fe := joinJSON(t, c, "erin", "go", "addr:192.0.2.5")
	nb, nc, nd, ne := len(fb.sent()), len(fc.sent()), len(fd.sent()), len(fe.sent())
	id := post(t, alice, fa, "hi @Bob and @carol. @dave @alice @bob again, mail erin@example.com")
	got := ofType(jsonEvents(t, fb, nb), "mention")
	if len(got) != 1 || got[0].Room != "lobby" || got[0].ID != id || got[0].Name != "alice" {
		t.Errorf("bob got %+v", got)
	}
	if got := linesSince(fc, nc); len(got) != 1 || !strings.HasPrefix(got[0], "* alice mentioned you in lobby: hi @Bob") {
		t.Errorf("carol got %q", got)
	}
	if got := ofType(jsonEvents(t, fd, nd), "mention"); len(got) != 0 {
		t.Errorf("dave, in the room, got %+v", got)
	}
	if got := ofType(jsonEvents(t, fe, ne), "mention"); len(got) != 0 {
		t.Errorf("erin, named in an address, got %+v", got)
	}
	if got := ofType(jsonEvents(t, fa, 0), "mention"); len(got) != 0 {
		t.Errorf("alice got %+v", got)
	}
}

func TestMentioned(t *testing.T) {
	tests := []struct{ in, want string }{
		{"@bob", "bob"},
		{"hi @Bob, @bob.", "bob"},
		{"@a @b @c @d @e @f @g", "a,b,c,d,e"},
		{"x@y.z", ""},
		{"@ alone", ""},
		{"@Όμηρος!", "όμηροσ"},
	}
	for _, tt := range tests {
		if got := strings.Join(mentioned(tt.in), ","); got != tt.want {
			t.Errorf("mentioned(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
