package chat

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// countingEncoder counts what it compresses; a compressed payload is the
// payload behind a "z:" mark.
type countingEncoder struct{ compressed atomic.Int32 }

func (e *countingEncoder) Frame(p []byte) []byte { return p }
func (e *countingEncoder) Compress(p []byte) []byte {
	e.compressed.Add(1)
	return append([]byte("z:"), p...)
}

// TestBroadcastEncodedOnce checks that a chat message is compressed once
// for each format some member takes compressed, and that every member of
// a kind is queued the very same bytes.
func TestBroadcastEncodedOnce(t *testing.T) {
	tests := []struct {
		name         string
		kinds        []struct{ json, deflate bool }
		wantCompress int32
	}{
		{"every kind", []struct{ json, deflate bool }{{false, true}, {false, true}, {false, false}, {true, true}, {true, true}, {true, false}}, 2},
		{"only JSON compresses", []struct{ json, deflate bool }{{false, false}, {true, true}}, 1},
		{"nobody compresses", []struct{ json, deflate bool }{{false, false}, {true, false}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := &countingEncoder{}
			c, err := New(Options{Encoder: enc})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var conns []*fakeConn
			var sessions []*Session
			for i, k := range tt.kinds {
				f := &fakeConn{deflate: k.deflate}
				s, err := c.Join(f, JoinRequest{Name: fmt.Sprint("p", i), Room: "lobby", JSON: k.json})
				if err != nil {
					t.Fatal(err)
				}
				conns, sessions = append(conns, f), append(sessions, s)
			}
			waitLive(t, sessions...)
			enc.compressed.Store(0)
			sessions[0].Receive([]byte(strings.Repeat("compress me ", 20)))
			if got := enc.compressed.Load(); got != tt.wantCompress {
				t.Errorf("compressed %d times, want %d", got, tt.wantCompress)
			}
			first := map[[2]bool][]byte{}
			for i, f := range conns {
				msg := f.queued(len(f.sent()) - 1) // after the notices of those who came later
				k := tt.kinds[i]
				if strings.HasPrefix(string(msg), "z:") != k.deflate {
					t.Errorf("member %d (json %v, deflate %v) got %.20q", i, k.json, k.deflate, msg)
				}
				key := [2]bool{k.json, k.deflate}
				if other, ok := first[key]; ok && &other[0] != &msg[0] {
					t.Errorf("members of one kind (json %v, deflate %v) got copies, not the same bytes", k.json, k.deflate)
				}
				first[key] = msg
			}
		})
	}
}

// TestLookAlikeNamesRefused: a name that reads as one online is refused,
// whatever its script or case, with a reason that says which it looks
// like; once the name is free, either may have it.
func TestLookAlikeNamesRefused(t *testing.T) {
	c := newTestChat(t, Options{})
	alice, _ := joinAs(t, c, "alice", "lobby")
	tests := []struct{ name, want string }{
		{"ALICE", `name-taken: name "ALICE" is taken: choose another`},
		{"аӏісе", `name-taken: name "аӏісе" (Cyrillic) looks like "alice" (Latin), who is online: choose another`},
		{"a1ice", `name-taken: name "a1ice" looks like "alice", who is online: choose another`},
	}
	for _, tt := range tests {
		_, err := c.Join(&fakeConn{}, JoinRequest{Name: tt.name, Room: "lobby"})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
	alice.Leave(nil)
	if _, err := c.Join(&fakeConn{}, JoinRequest{Name: "аӏісе", Room: "lobby"}); err != nil {
		t.Errorf("once alice left: %v", err)
	}
}
