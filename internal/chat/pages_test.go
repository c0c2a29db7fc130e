package chat

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"wschat/internal/store"
)

// TestReplayFoldsActions: a newcomer is replayed each message as it
// stands (its latest text, marked edited; its reactions, counted; a
// deleted one not at all), and no action as an event of its own, in
// JSON and in plain text alike.
func TestReplayFoldsActions(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	bob, fb := joinJSON(t, c, "bob", "lobby", "addr:192.0.2.2")
	kept := post(t, alice, fa, "helo")
	gone := post(t, alice, fa, "oops")
	reply := post(t, bob, fb, "hi")
	ask(t, alice, fa, map[string]any{"type": "edit", "id": kept, "text": "hello"})
	ask(t, alice, fa, map[string]any{"type": "delete", "id": gone})
	ask(t, bob, fb, map[string]any{"type": "react", "id": kept, "emoji": "👍"})
	ask(t, alice, fa, map[string]any{"type": "react", "id": kept, "emoji": "👍"})
	ask(t, alice, fa, map[string]any{"type": "react", "id": kept, "emoji": "🎉"})
	ask(t, alice, fa, map[string]any{"type": "react", "id": kept, "emoji": "🎉"}) // taken back
	ask(t, bob, fb, map[string]any{"type": "message", "reply_to": kept, "text": "nice"})
	_ = reply

	_, fn := joinJSON(t, c, "newcomer", "lobby", "")
	evs := replayed(t, fn)
	if got := texts(evs); got != "hello,hi,nice" {
		t.Fatalf("replayed %q, want hello,hi,nice", got)
	}
	first := evs[0]
	if !first.Edited || len(first.Reactions) != 1 || first.Reactions[0].Emoji != "👍" || first.Reactions[0].Count != 2 ||
		strings.Join(first.Reactions[0].Names, ",") != "bob,alice" {
		t.Errorf("the edited message: %+v", first)
	}
	if evs[2].ReplyTo != kept || evs[2].ReplyName != "alice" {
		t.Errorf("the reply: %+v", evs[2])
	}
	for _, e := range jsonEvents(t, fn, 0) {
		if e.Type == "edit" || e.Type == "delete" || e.Type == "react" {
			t.Errorf("an action replayed as an event: %+v", e)
		}
	}

	_, ft := joinText(t, c, "reader", "lobby")
	var got []string
	for _, l := range ft.sent()[1:] {
		got = append(got, l)
	}
	want := []string{"alice: hello (edited) [👍 2]", "bob: hi", "bob: [reply to alice] nice"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("a plain text newcomer got %q, want %q", got, want)
	}
}

// TestReplayCountsMessagesNotActions: a newcomer is replayed the last
// Replay messages, however many actions came after them.
func TestReplayCountsMessagesNotActions(t *testing.T) {
	c := newTestChat(t, Options{Replay: 5})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	ids := numbered(t, alice, fa, 8)
	for i := range 30 {
		ask(t, alice, fa, map[string]any{"type": "react", "id": ids[i%3], "emoji": "👍"})
	}
	ask(t, alice, fa, map[string]any{"type": "delete", "id": ids[6]})
	_, fn := joinJSON(t, c, "newcomer", "lobby", "")
	if got := texts(replayed(t, fn)); got != "m2,m3,m4,m5,m7" {
		t.Errorf("replayed %q, want the last five messages not deleted", got)
	}
}

// TestSinceReplaySendsActionsOnWhatTheClientSaw: a client back with
// since gets, besides the messages it missed as they stand, the actions
// taken meanwhile on messages it had seen, as events; a newcomer does
// not get actions on messages older than what it is replayed.
func TestSinceReplaySendsActionsOnWhatTheClientSaw(t *testing.T) {
	c := newTestChat(t, Options{Replay: 2})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	seen := numbered(t, alice, fa, 3)
	missed := post(t, alice, fa, "missed")
	ask(t, alice, fa, map[string]any{"type": "edit", "id": seen[0], "text": "m0 edited"})
	ask(t, alice, fa, map[string]any{"type": "edit", "id": missed, "text": "missed, edited"})
	ask(t, alice, fa, map[string]any{"type": "delete", "id": seen[1]})

	since, err := store.ParseID(seen[2])
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeConn{}
	s, err := c.Join(f, JoinRequest{Name: "back", Room: "lobby", JSON: true, Since: &since})
	if err != nil {
		t.Fatal(err)
	}
	waitLive(t, s)
	var got []string
	for _, e := range jsonEvents(t, f, 1) {
		got = append(got, e.Type+":"+e.ID+":"+e.Text)
	}
	want := []string{"message:" + missed + ":missed, edited", "edit:" + seen[0] + ":m0 edited", "delete:" + seen[1] + ":"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("back with since got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	_, fn := joinJSON(t, c, "newcomer", "lobby", "")
	for _, e := range jsonEvents(t, fn, 0) {
		if e.Type == "edit" || e.Type == "delete" {
			t.Errorf("a newcomer got %+v, on a message it was not replayed", e)
		}
	}
}

// TestHistoryPagesReachEverything: of 250 messages, pages of older ones
// reach back to the first, each message once, as it stands, deleted ones
// left out; a plain text client gets lines with ids and a line that says
// how to go on.
func TestHistoryPagesReachEverything(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	ids := numbered(t, alice, fa, 250)
	ask(t, alice, fa, map[string]any{"type": "edit", "id": ids[10], "text": "ten"})
	ask(t, alice, fa, map[string]any{"type": "delete", "id": ids[20]})
	ask(t, alice, fa, map[string]any{"type": "react", "id": ids[30], "emoji": "👍"})

	var all []event
	before, pages := "", 0
	for {
		evs := ask(t, alice, fa, map[string]any{"type": "history", "before": before, "limit": 100, "client_id": "h"})
		if len(evs) != 1 || evs[0].Type != "history" || evs[0].ClientID != "h" {
			t.Fatalf("page %d: %+v", pages, evs)
		}
		pages++
		all = append(evs[0].Messages, all...)
		if !evs[0].More {
			break
		}
		before = evs[0].Before
		if pages > 5 {
			t.Fatal("more than five pages")
		}
	}
	if len(all) != 249 {
		t.Fatalf("%d messages in %d pages, want 249", len(all), pages)
	}
	for i, e := range all {
		n := i
		if i >= 20 {
			n = i + 1
		}
		want := fmt.Sprint("m", n)
		if n == 10 {
			want = "ten"
		}
		if e.Text != want || e.ID != ids[n] || !e.History {
			t.Fatalf("message %d: %+v, want %s", i, e, want)
		}
	}
	if !all[10].Edited || len(all[29].Reactions) != 1 {
		t.Errorf("pages do not show messages as they stand: %+v %+v", all[10], all[29])
	}

	bob, fb := joinText(t, c, "bob", "lobby")
	n := len(fb.sent())
	bob.Receive([]byte("/history " + ids[3]))
	got := linesSince(fb, n)
	if len(got) != 4 || !strings.HasSuffix(got[0], "["+ids[0]+"] alice: m0") || got[3] != "* 3 messages of lobby: the oldest it keeps" {
		t.Errorf("/history: %q", got)
	}
	n = len(fb.sent())
	bob.Receive([]byte("/history"))
	got = linesSince(fb, n)
	if len(got) != textPage+1 || !strings.HasPrefix(got[textPage], "* 20 messages of lobby; /history ") {
		t.Errorf("/history: %d lines, the last %q", len(got), got[len(got)-1])
	}
}

// TestHistoryRefusals: a page too big, a cursor that is no id, are
// refused with a code; a budget too small for a page deep in a long
// history refuses it rather than read on.
func TestHistoryRefusals(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50, ScanBytes: 64 << 10})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	ids := numbered(t, alice, fa, 600)
	tests := []struct {
		name string
		req  map[string]any
		code Code
	}{
		{"a huge limit", map[string]any{"type": "history", "limit": 1_000_000}, CodeUsage},
		{"a negative limit", map[string]any{"type": "history", "limit": -1}, CodeUsage},
		{"a cursor that is no id", map[string]any{"type": "history", "before": "0-x"}, CodeUsage},
		{"a page past the budget", map[string]any{"type": "history", "before": ids[1]}, CodeTooCostly},
	}
	for _, tt := range tests {
		evs := ask(t, alice, fa, tt.req)
		if len(evs) != 1 || evs[0].Type != "error" || evs[0].Code != tt.code {
			t.Errorf("%s: %+v, want error %s", tt.name, evs, tt.code)
		}
	}
	evs := ask(t, alice, fa, map[string]any{"type": "history", "before": ids[550]})
	if len(evs) != 1 || len(evs[0].Messages) != defaultPage {
		t.Errorf("a page near the end, within the budget: %+v", evs)
	}
}

// TestSearch: a search finds, newest first within the budget, the
// messages whose text as it stands holds the words in any case; not a
// deleted one, not an edit's old words; a file by its name; it goes on
// from where it stopped; hostile queries are refused or cost no more
// than reading the history.
func TestSearch(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	a := post(t, alice, fa, "The Gopher sleeps")
	post(t, alice, fa, "nothing here")
	gone := post(t, alice, fa, "a gopher, deleted")
	was := post(t, alice, fa, "a typo")
	ask(t, alice, fa, map[string]any{"type": "delete", "id": gone})
	ask(t, alice, fa, map[string]any{"type": "edit", "id": was, "text": "GOPHERS everywhere"})
	alice.Share(FileInfo{Name: "gopher.png", Size: 1, Type: "image/png", URL: "/files/x/gopher.png"})

	evs := ask(t, alice, fa, map[string]any{"type": "search", "text": "gOpHeR", "client_id": "s"})
	if len(evs) != 1 || evs[0].Type != "search" || evs[0].ClientID != "s" || evs[0].More || evs[0].Partial {
		t.Fatalf("search: %+v", evs)
	}
	var found []string
	for _, e := range evs[0].Messages {
		found = append(found, e.Text)
	}
	if len(found) != 3 || found[0] != "The Gopher sleeps" || found[1] != "GOPHERS everywhere" || !strings.HasPrefix(found[2], "[file] gopher.png") {
		t.Errorf("found %q", found)
	}
	if evs := ask(t, alice, fa, map[string]any{"type": "search", "text": "typo"}); len(evs[0].Messages) != 0 {
		t.Errorf("an edit's old words were found: %+v", evs[0].Messages)
	}
	_ = a

	for i := range 45 {
		post(t, alice, fa, fmt.Sprint("needle ", i))
	}
	evs = ask(t, alice, fa, map[string]any{"type": "search", "text": "needle"})
	if got := evs[0].Messages; len(got) != searchResults || !evs[0].More || got[len(got)-1].Text != "needle 44" {
		t.Fatalf("first page of a search: %d found, more %v", len(got), evs[0].More)
	}
	total := len(evs[0].Messages)
	for evs[0].More {
		evs = ask(t, alice, fa, map[string]any{"type": "search", "text": "needle", "before": evs[0].Before})
		total += len(evs[0].Messages)
	}
	if total != 45 {
		t.Errorf("the search's pages found %d, want 45", total)
	}

	for _, q := range []string{"", strings.Repeat("a", maxQuery+1), " \u200b "} {
		if evs := ask(t, alice, fa, map[string]any{"type": "search", "text": q}); evs[0].Code != CodeUsage {
			t.Errorf("query %.20q: %+v, want usage", q, evs)
		}
	}
}

// TestSearchWithinBudget: a room of long messages a pathological query
// cannot match is searched up to the budget and no further: the answer
// says the search was partial, and comes back as soon as the budget is
// spent.
func TestSearchWithinBudget(t *testing.T) {
	c := newTestChat(t, Options{Replay: 1, ScanBytes: 1 << 20})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	long := strings.Repeat("a", 60<<10)
	for range 40 {
		post(t, alice, fa, long)
	}
	start := time.Now()
	evs := ask(t, alice, fa, map[string]any{"type": "search", "text": strings.Repeat("a", maxQuery-1) + "b"})
	if len(evs) != 1 || !evs[0].Partial || len(evs[0].Messages) != 0 {
		t.Fatalf("search: %+v", evs)
	}
	t.Logf("a pathological search of 1 MiB took %v", time.Since(start))
}

// TestRoomsUnread: a rooms request that names the last message seen in
// a room is told how many came since, counted by ids, so the count is
// right after the room empties and opens again.
func TestRoomsUnread(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	bob, fb := joinJSON(t, c, "bob", "go", "addr:192.0.2.2")
	seen := post(t, bob, fb, "before")
	bob.Leave(nil) // go closes
	bob, fb = joinJSON(t, c, "bob", "go", "addr:192.0.2.2")
	for range 3 {
		post(t, bob, fb, "new")
	}
	evs := ask(t, alice, fa, map[string]any{"type": "rooms", "seen": map[string]string{"Go": seen}})
	if len(evs) != 1 {
		t.Fatalf("rooms: %+v", evs)
	}
	for _, r := range evs[0].Rooms {
		if r.Name == "go" && (r.Unread != 3 || r.Last == "") {
			t.Errorf("go: %+v, want 3 unread", r)
		}
	}
	seen2 := map[string]string{}
	for i := range maxSeen + 1 {
		seen2[fmt.Sprint("r", i)] = "1-0"
	}
	if evs := ask(t, alice, fa, map[string]any{"type": "rooms", "seen": seen2}); evs[0].Code != CodeBadRequest {
		t.Errorf("a rooms request naming too many rooms: %+v", evs)
	}
}

// TestActivityBounded: a node notes at most activeRooms rooms, recentIDs
// ids each; a count past what it noted says there may be more.
func TestActivityBounded(t *testing.T) {
	var a activity
	for i := range activeRooms + 50 {
		for j := range 3 {
			a.note(fmt.Sprint("r", i), store.ID{Ms: uint64(i + 1), Seq: uint64(j)})
		}
	}
	if len(a.rooms) != activeRooms {
		t.Errorf("%d rooms noted, want %d", len(a.rooms), activeRooms)
	}
	if last, _, _ := a.since("r0", store.ID{}); !last.IsZero() {
		t.Error("the room noted longest ago is still there")
	}
	for i := range recentIDs + 10 {
		a.note("busy", store.ID{Ms: 10_000 + uint64(i)})
	}
	if _, n, more := a.since("busy", store.ID{Ms: 1}); n != recentIDs || !more {
		t.Errorf("since long ago: %d, more %v; want %d and more", n, more, recentIDs)
	}
	if _, n, more := a.since("busy", store.ID{Ms: 10_000 + recentIDs + 7}); n != 2 || more {
		t.Errorf("since the third newest: %d, more %v", n, more)
	}
}
