package chat

import (
	"testing"
)

// acks returns the acks among evs.
func acks(evs []event) []event { return ofType(evs, "ack") }

// send sends s a JSON request and returns every event its connection f
// got for it, the ack included.
func sendAll(tb testing.TB, s *Session, f *fakeConn, fields map[string]any) []event {
	tb.Helper()
	n := len(f.sent())
	ask(tb, s, f, fields)
	return jsonEvents(tb, f, n)
}

// TestRequestsOnce: a request sent again with its client_id, from a new
// connection of the same name, is acknowledged as a repeat and not
// carried out again; what others see happens once.
func TestRequestsOnce(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	_, fb := joinJSON(t, c, "bob", "lobby", "")

	msg := map[string]any{"type": "message", "text": "hello", "client_id": "m1"}
	evs := sendAll(t, alice, fa, msg)
	sent := ofType(evs, "message")
	if len(sent) != 1 || len(acks(evs)) != 1 || evs[len(evs)-1].Type != "ack" {
		t.Fatalf("first send: %+v, want the message then its ack", evs)
	}
	if a := acks(evs)[0]; a.ClientID != "m1" || a.ID != sent[0].ID || a.Repeat {
		t.Fatalf("ack %+v, want client_id m1, id %s, not a repeat", a, sent[0].ID)
	}

	// The connection is lost before alice's client read the ack; it
	// comes back and sends everything again.
	alice.Leave(nil)
	alice, fa = joinJSON(t, c, "alice", "lobby", "")
	id := sent[0].ID
	from := len(fb.sent())
	for _, rq := range []map[string]any{
		msg,
		{"type": "react", "id": id, "emoji": "👍", "client_id": "r1"},
		{"type": "private", "to": "bob", "text": "psst", "client_id": "p1"},
	} {
		first := sendAll(t, alice, fa, rq)
		if rq["client_id"] != "m1" && (len(acks(first)) != 1 || acks(first)[0].Repeat) {
			t.Fatalf("%v: %+v, want one ack, not a repeat", rq, first)
		}
		again := sendAll(t, alice, fa, rq)
		if len(again) != 1 || again[0].Type != "ack" || !again[0].Repeat || again[0].ClientID != rq["client_id"] {
			t.Fatalf("%v sent again: %+v, want one ack marked repeat", rq, again)
		}
	}
	got := jsonEvents(t, fb, from)
	if n := len(ofType(got, "message")); n != 0 {
		t.Errorf("bob got the message %d more times, want 0", n)
	}
	if r := ofType(got, "react"); len(r) != 1 || r[0].On == nil || !*r[0].On {
		t.Errorf("bob got reactions %+v, want one, put on (a repeat would take it back)", r)
	}
	if n := len(ofType(got, "private")); n != 1 {
		t.Errorf("bob got the private message %d times, want 1", n)
	}
	if n := len(acks(got)); n != 0 {
		t.Errorf("bob got %d acks of alice's requests, want 0", n)
	}
}

// TestRefusedRequestMayBeSentAgain: a request refused is not taken: its
// client_id carries out the request sent again.
func TestRefusedRequestMayBeSentAgain(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	evs := sendAll(t, alice, fa, map[string]any{"type": "message", "text": "  ", "client_id": "x1"})
	if len(evs) != 1 || evs[0].Type != "error" || evs[0].Code != CodeUsage || evs[0].ClientID != "x1" {
		t.Fatalf("an empty message: %+v, want one usage error for x1", evs)
	}
	evs = sendAll(t, alice, fa, map[string]any{"type": "message", "text": "now", "client_id": "x1"})
	if len(ofType(evs, "message")) != 1 || len(acks(evs)) != 1 || acks(evs)[0].Repeat {
		t.Fatalf("sent again with text: %+v, want the message and its ack", evs)
	}
}

// TestRequestsWithoutClientID: without a client_id nothing is
// remembered, and nothing is acknowledged: the same request twice is two.
func TestRequestsWithoutClientID(t *testing.T) {
	c := newTestChat(t, Options{Replay: 50})
	alice, fa := joinJSON(t, c, "alice", "lobby", "")
	for range 2 {
		evs := sendAll(t, alice, fa, map[string]any{"type": "message", "text": "same"})
		if len(ofType(evs, "message")) != 1 || len(acks(evs)) != 0 {
			t.Fatalf("got %+v, want the message and no ack", evs)
		}
	}
}
