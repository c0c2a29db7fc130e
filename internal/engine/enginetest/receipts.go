package enginetest

import (
	"fmt"
	"testing"

	"wschat/internal/engine"
)

// take calls e.Take and fails the test unless it reports want.
func take(t *testing.T, e Engine, sender, id string, want bool) {
	t.Helper()
	fresh, err := e.Take(ctx(t), sender, id)
	if err != nil {
		t.Fatalf("Take(%q, %q): %v", sender, id, err)
	}
	if fresh != want {
		t.Fatalf("Take(%q, %q) = %v, want %v", sender, id, fresh, want)
	}
}

// testReceipts: an id is taken once from each sender; a refused
// request's id may be taken again; a sender's newest ReceiptsEach ids
// are remembered, and the one before them is not.
func testReceipts(t *testing.T, open Open) {
	e := open(t, NewRecorder(), Limits{})
	take(t, e, "name:alice", "c1", true)
	take(t, e, "name:alice", "c1", false)
	take(t, e, "name:alice", "c1", false)
	take(t, e, "name:bob", "c1", true) // another sender's ids are its own

	if err := e.Forget(ctx(t), "name:alice", "c1"); err != nil {
		t.Fatalf("Forget: %v", err)
	}
	take(t, e, "name:alice", "c1", true)

	for i := range engine.ReceiptsEach {
		take(t, e, "name:carol", fmt.Sprint("id-", i), true)
	}
	take(t, e, "name:carol", "id-0", false)
	take(t, e, "name:carol", "one more", true) // pushes id-0 out
	take(t, e, "name:carol", "id-1", false)
	take(t, e, "name:carol", "id-0", true)
}
