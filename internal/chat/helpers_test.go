package chat

import (
	"sync"
	"testing"
)

// fakeConn is a Transport that keeps what it is sent, as a client of the
// plain text format or JSON reads it (plainEncoder leaves payloads as
// they are).
type fakeConn struct {
	mu     sync.Mutex
	got    [][]byte // as queued: the very bytes, shared with other members
	closed string
	// behind, when set, makes every Send report the client behind, and
	// Wait block until the test sends on it.
	behind  chan struct{}
	deflate bool // takes compressed broadcasts
}

func (f *fakeConn) Send(b []byte) bool {
	f.mu.Lock()
	f.got = append(f.got, b)
	f.mu.Unlock()
	return f.behind != nil
}

func (f *fakeConn) Wait() {
	if f.behind != nil {
		<-f.behind
	}
}

func (f *fakeConn) Close(reason string) {
	f.mu.Lock()
	f.closed = reason
	f.mu.Unlock()
}

func (f *fakeConn) Compressed() bool { return f.deflate }

// sent returns what the connection was sent so far.
func (f *fakeConn) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.got))
	for i, b := range f.got {
		out[i] = string(b)
	}
	return out
}

// queued returns the i-th thing the connection was sent, as queued.
func (f *fakeConn) queued(i int) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got[i]
}

// waitLive waits until every session has caught up with its room's
// history and takes live messages.
func waitLive(tb testing.TB, sessions ...*Session) {
	tb.Helper()
	for _, s := range sessions {
		if rp := s.replay.Load(); rp != nil {
			<-rp.done
		}
	}
}

// plainEncoder is an Encoder that frames nothing: what a client is sent
// is the payload itself.
type plainEncoder struct{}

func (plainEncoder) Frame(p []byte) []byte  { return p }
func (plainEncoder) Compress([]byte) []byte { return nil }

// newTestChat returns a chat on the default engine, closed with the test.
func newTestChat(tb testing.TB, opts Options) *Chat {
	tb.Helper()
	opts.Encoder = plainEncoder{}
	c, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// joinAs joins name to room with a fakeConn, or ends the test.
func joinAs(tb testing.TB, c *Chat, name, room string) (*Session, *fakeConn) {
	tb.Helper()
	f := &fakeConn{}
	s, err := c.Join(f, JoinRequest{Name: name, Room: room})
	if err != nil {
		tb.Fatalf("join %s to %s: %v", name, room, err)
	}
	return s, f
}
