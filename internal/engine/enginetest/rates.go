package enginetest

import (
	"testing"
	"time"

	"wschat/internal/engine"
)

// spend calls e.Spend and returns its waits, failing the test on an
// error.
func spend(t *testing.T, e Engine, limit engine.RateLimit, sent map[string]int) map[string]time.Duration {
	t.Helper()
	waits, err := e.Spend(ctx(t), limit, sent)
	if err != nil {
		t.Fatalf("Spend(%v): %v", sent, err)
	}
	return waits
}

// testRates: a bucket holds Burst tokens; spending past it goes below
// empty, and the wait is what refills it to empty; each participant has
// a bucket of its own; a bucket refills at Rate.
func testRates(t *testing.T, open Open) {
	e := open(t, NewRecorder(), Limits{})
	slow := engine.RateLimit{Rate: 0.001, Burst: 5} // a token every 1,000 s: the test takes no time beside that
	if w := spend(t, e, slow, map[string]int{"addr:a": 5}); len(w) != 0 {
		t.Fatalf("a full bucket of 5 spending 5: waits %v, want none", w)
	}
	w := spend(t, e, slow, map[string]int{"addr:a": 2, "addr:b": 5})
	if got := w["addr:a"]; got < 1900*time.Second || got > 2000*time.Second {
		t.Errorf("2 tokens below empty at 0.001 a second: wait %v, want about 2,000 s", got)
	}
	if _, ok := w["addr:b"]; ok || len(w) != 1 {
		t.Errorf("waits %v, want addr:a's alone: addr:b has a bucket of its own", w)
	}

	fast := engine.RateLimit{Rate: 100, Burst: 1}
	if w := spend(t, e, fast, map[string]int{"addr:c": 1}); len(w) != 0 {
		t.Fatalf("waits %v, want none", w)
	}
	time.Sleep(50 * time.Millisecond) // time for the bucket to refill (5 tokens' worth, capped at 1), not a wait for an event
	if w := spend(t, e, fast, map[string]int{"addr:c": 1}); len(w) != 0 {
		t.Errorf("a bucket 50 ms after it emptied, at 100 a second: waits %v, want none", w)
	}
	if w := spend(t, e, fast, map[string]int{"addr:c": 3}); w["addr:c"] <= 0 || w["addr:c"] > 30*time.Millisecond+time.Millisecond {
		t.Errorf("3 tokens past an empty bucket at 100 a second: wait %v, want 30 ms or less", w["addr:c"])
	}
}
