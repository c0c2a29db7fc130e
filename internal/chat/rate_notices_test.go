package chat

import (
	"strings"
	"testing"
)

// TestOverTheRateNineNoticesThenClose: of messages over the rate in a
// row, the first maxOverLimit-1 are each answered with a notice, and the
// next closes the connection, as the README says; a JSON request over
// the rate is answered with an error carrying its client_id, so that its
// client knows to send it again.
func TestOverTheRateNineNoticesThenClose(t *testing.T) {
	c := newTestChat(t, Options{Rate: 0.001, Burst: 1})
	s, f := joinText(t, c, "alice", "lobby")
	s.Receive([]byte("within the burst"))
	for range maxOverLimit {
		s.Receive([]byte("over"))
	}
	notices := strings.Count(strings.Join(f.sent(), "\n"), "* slow down:")
	if notices != maxOverLimit-1 || !strings.HasPrefix(f.closed, "too-fast: sending too fast: 10 messages in a row") {
		t.Errorf("%d notices, closed with %q; want %d and too-fast", notices, f.closed, maxOverLimit-1)
	}

	j, fj := joinJSON(t, c, "bob", "lobby", "addr:192.0.2.7")
	ask(t, j, fj, map[string]any{"type": "message", "text": "within"})
	evs := ask(t, j, fj, map[string]any{"type": "message", "text": "over", "client_id": "c9"})
	if len(evs) != 1 || evs[0].Type != "error" || evs[0].Code != CodeSlowDown || evs[0].ClientID != "c9" {
		t.Errorf("a JSON request over the rate: %+v", evs)
	}
}
