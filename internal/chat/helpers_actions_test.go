package chat

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Helpers of the tests of message actions, pages of history and search.

// jsonEvents decodes what a JSON client was sent, from the i-th frame
// on; a frame of several events (the presence notices that go out
// together) is read as each of them.
func jsonEvents(tb testing.TB, f *fakeConn, from int) []event {
	tb.Helper()
	var out []event
	for _, s := range f.sent()[from:] {
		d := json.NewDecoder(strings.NewReader(s))
		for d.More() {
			var e event
			if err := d.Decode(&e); err != nil {
				tb.Fatalf("not a JSON event: %q: %v", s, err)
			}
			out = append(out, e)
		}
	}
	return out
}

// lastEvent returns the last event a JSON client was sent.
func lastEvent(tb testing.TB, f *fakeConn) event {
	tb.Helper()
	evs := jsonEvents(tb, f, 0)
	if len(evs) == 0 {
		tb.Fatal("no event sent")
	}
	return evs[len(evs)-1]
}

// ofType returns the events of type typ among evs.
func ofType(evs []event, typ string) []event {
	var out []event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// ask sends s a JSON request built from fields, and returns the
// events its own connection f was sent for it, but for notices of
// people joining and leaving, which go out with the next message, and
// the ack that ends the answer (receipts_test.go reads those).
func ask(tb testing.TB, s *Session, f *fakeConn, fields map[string]any) []event {
	tb.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		tb.Fatal(err)
	}
	n := len(f.sent())
	s.Receive(b)
	var out []event
	for _, e := range jsonEvents(tb, f, n) {
		if e.Type != "join" && e.Type != "leave" && e.Type != "ack" {
			out = append(out, e)
		}
	}
	return out
}

// post sends a message as s and returns its id, read from what its JSON
// connection f was sent.
func post(tb testing.TB, s *Session, f *fakeConn, words string) string {
	tb.Helper()
	evs := ofType(ask(tb, s, f, map[string]any{"type": "message", "text": words}), "message")
	if len(evs) != 1 || evs[0].ID == "" {
		tb.Fatalf("posting %q: got %+v, want the message back", words, evs)
	}
	return evs[0].ID
}

// linesSince returns what a plain text client was sent from the i-th
// frame on, one line each, but for notices of people joining and
// leaving.
func linesSince(f *fakeConn, from int) []string {
	var out []string
	for _, l := range f.sent()[from:] {
		if !strings.HasPrefix(l, "* ") || !(strings.HasSuffix(l, " joined") || strings.HasSuffix(l, " left")) {
			out = append(out, l)
		}
	}
	return out
}

// joinJSON joins name to room in JSON from participant (its address's
// participant if ""), and waits for its replay.
func joinJSON(tb testing.TB, c *Chat, name, room, participant string) (*Session, *fakeConn) {
	tb.Helper()
	f := &fakeConn{}
	s, err := c.Join(f, JoinRequest{Name: name, Room: room, JSON: true, Participant: participant})
	if err != nil {
		tb.Fatalf("join %s: %v", name, err)
	}
	waitLive(tb, s)
	return s, f
}

// joinText joins name to room in plain text, and waits for its replay.
func joinText(tb testing.TB, c *Chat, name, room string) (*Session, *fakeConn) {
	tb.Helper()
	s, f := joinAs(tb, c, name, room)
	waitLive(tb, s)
	return s, f
}

// replayed returns the messages a JSON client was replayed, in order.
func replayed(tb testing.TB, f *fakeConn) []event {
	tb.Helper()
	var out []event
	for _, e := range jsonEvents(tb, f, 0) {
		if e.History {
			out = append(out, e)
		}
	}
	return out
}

// texts returns the texts of evs, joined for comparing.
func texts(evs []event) string {
	parts := make([]string, len(evs))
	for i, e := range evs {
		parts[i] = e.Text
	}
	return strings.Join(parts, ",")
}

// numbered posts n messages "m0".."m<n-1>" as s and returns their ids.
func numbered(tb testing.TB, s *Session, f *fakeConn, n int) []string {
	tb.Helper()
	ids := make([]string, n)
	for i := range n {
		ids[i] = post(tb, s, f, fmt.Sprint("m", i))
	}
	return ids
}
