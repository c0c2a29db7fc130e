package enginetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"wschat/internal/engine"
	"wschat/internal/store"
)

// testPipelined starts a sender's messages one after another without
// waiting for any, one of them past the sender's share, on an engine that
// is an engine.Pipeliner: the others are kept and delivered in the order
// they were started, and the one past the share alone is refused.
func testPipelined(t *testing.T, open Open) {
	const n = 20
	share := n * (store.Charge(3) + store.RoomOverhead) // as though each opened a room: room for all n, not one more
	rec := NewRecorder()
	e := open(t, rec, Limits{History: store.Bounds{Share: share}})
	p, ok := e.(engine.Pipeliner)
	if !ok {
		t.Skip("the engine takes one message at a time")
	}
	c := ctx(t)
	var waits []func(context.Context) (store.ID, error)
	var want []string
	for i := range n + 1 {
		payload := fmt.Sprintf("m%02d", i)
		if i == n/2 {
			payload = string(make([]byte, share)) // past mallory's share alone
		} else {
			want = append(want, payload)
		}
		waits = append(waits, p.StartPublish(c, "go", "mallory", []byte(payload)))
	}
	var last store.ID
	for i, wait := range waits {
		id, err := wait(c)
		if i == n/2 {
			refused(t, "past mallory's share", err, store.ErrShare, share)
			continue
		}
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !last.Less(id) {
			t.Fatalf("message %d was kept as %v, after %v: out of order", i, id, last)
		}
		last = id
	}
	if got := kept(t, e, "go"); !slices.Equal(got, want) {
		t.Errorf("the room keeps %q, want %q", got, want)
	}
	rec.await(t, "every kept message delivered", func() bool { return len(rec.delivered["go"]) == n })
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i, r := range rec.delivered["go"] {
		if string(r.Payload) != want[i] {
			t.Errorf("delivered %d: %q, want %q", i, r.Payload, want[i])
		}
	}
}
