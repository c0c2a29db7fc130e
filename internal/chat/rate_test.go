package chat

import (
	"testing"
	"time"
)

func TestLimiterForgivesAMessageWithinTheRate(t *testing.T) {
	t0 := time.Now()
	lim := newLimiter(rateLimit{Rate: 1, Burst: 2}, t0)
	want := func(at time.Duration, v verdict) {
		t.Helper()
		if got := lim.check(t0.Add(at)); got != v {
			t.Fatalf("at %v: got %v, want %v", at, got, v)
		}
	}
	want(0, withinLimit)
	want(0, withinLimit)
	for range maxOverLimit - 1 {
		want(0, overLimit)
	}
	want(time.Second, withinLimit) // a token came back: the count starts again
	for range maxOverLimit - 1 {
		want(time.Second, overLimit)
	}
	want(time.Second, persistent)
	if newLimiter(rateLimit{Rate: 0, Burst: 2}, t0) != nil {
		t.Fatal("a zero rate should mean no limiter")
	}
}
