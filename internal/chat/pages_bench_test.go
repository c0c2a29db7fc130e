package chat

import (
	"encoding/json"
	"strings"
	"testing"
)

// fullRoom returns a JSON session in a room that keeps n messages of
// size bytes each, and the ids of the messages.
func fullRoom(b *testing.B, n, size int) (*Session, *fakeConn, []string) {
	b.Helper()
	c := newTestChat(b, Options{Replay: 1})
	s, f := joinJSON(b, c, "alice", "lobby", "")
	words := strings.Repeat("lorem ipsum dolor sit amet ", size/27+1)[:size]
	ids := make([]string, n)
	for i := range n {
		s.Receive([]byte(`{"type":"message","text":"` + words + `"}`))
		var e event
		json.Unmarshal(f.queued(len(f.got)-1), &e)
		ids[i] = e.ID
	}
	return s, f, ids
}

// BenchmarkSearchWholeRoom is a search that matches nothing in a room at
// its default bound: 1,000 messages of 8 KiB, 8 MiB read and folded.
func BenchmarkSearchWholeRoom(b *testing.B) {
	s, _, _ := fullRoom(b, 1000, 8<<10)
	req := []byte(`{"type":"search","text":"` + strings.Repeat("a", 199) + `b"}`)
	b.ResetTimer()
	for b.Loop() {
		s.Receive(req)
	}
}

// BenchmarkHistoryOldestPage is the page of the room's oldest messages:
// the whole room read forward for the actions that may follow them, then
// 100 messages back.
func BenchmarkHistoryOldestPage(b *testing.B) {
	s, _, ids := fullRoom(b, 1000, 8<<10)
	req := []byte(`{"type":"history","limit":100,"before":"` + ids[100] + `"}`)
	b.ResetTimer()
	for b.Loop() {
		s.Receive(req)
	}
}

// BenchmarkInspectOldestMessage is the check behind an action on the
// oldest message of a room of 1,000 small ones: the room read forward
// for the actions on it.
func BenchmarkInspectOldestMessage(b *testing.B) {
	s, _, ids := fullRoom(b, 1000, 256)
	b.ResetTimer()
	for b.Loop() {
		if _, r := s.inspect(ids[0]); r != nil {
			b.Fatal(r)
		}
	}
}
