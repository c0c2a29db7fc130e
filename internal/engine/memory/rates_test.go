package memory

import (
	"context"
	"testing"
	"time"

	"wschat/internal/engine"
)

// TestRatesBound: past max buckets a new participant's spending is not
// counted, and the buckets kept are not disturbed; buckets full again
// are forgotten, which makes room.
func TestRatesBound(t *testing.T) {
	r := NewRates(2)
	now := time.Unix(1_800_000_000, 0)
	r.now = func() time.Time { return now }
	limit := engine.RateLimit{Rate: 1, Burst: 1}
	spend := func(sent map[string]int) map[string]time.Duration {
		t.Helper()
		w, err := r.Spend(context.Background(), limit, sent)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	spend(map[string]int{"a": 1, "b": 1})
	if w := spend(map[string]int{"c": 5}); len(w) != 0 || len(r.buckets) != 2 {
		t.Fatalf("a third participant past a bound of 2: waits %v, %d buckets; want none and 2", w, len(r.buckets))
	}
	if w := spend(map[string]int{"a": 1}); w["a"] != time.Second {
		t.Fatalf("a's bucket, 1 below empty at 1 a second: waits %v, want a: 1s", w)
	}

	now = now.Add(3 * time.Second) // every bucket full again
	if w := spend(map[string]int{"c": 5}); w["c"] != 4*time.Second || len(r.buckets) != 1 {
		t.Fatalf("once the others are full again: waits %v, %d buckets; want c: 4s, and c's bucket alone", w, len(r.buckets))
	}
}
