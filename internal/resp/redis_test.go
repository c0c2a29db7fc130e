package resp

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// dial connects a Client that the test closes at its end.
func dial(t *testing.T, url string, opts Options) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls cond, for states no event announces (such as the number
// of goroutines), until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(within)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("still not %s after %v", what, within)
		}
	}
}

// goroutinesBack waits until no more goroutines run than before.
func goroutinesBack(t *testing.T, before int) {
	t.Helper()
	waitFor(t, 5*time.Second, "back to "+strconv.Itoa(before)+" goroutines", func() bool {
		return runtime.NumGoroutine() <= before
	})
}
