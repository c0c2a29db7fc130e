package main

import (
	"fmt"
	"testing"
	"time"
)

// One participant, one rate, on every node together.

// rateCase is the case's limit: a burst of oneBurst, refilled so slowly
// that nothing comes back while the case runs.
func rateCase(t *testing.T, cfg *Config) {
	cfg.Rate, cfg.Burst = 0.001, oneBurst
}

const oneBurst = 10

// contractOneRate: what a participant (here one address, as alice and
// bob) sends through one node counts on the others. alice spends the
// whole burst on the first node; bob, through the second, is refused
// once the engine has heard of both, though the second node's own
// limiter alone would have let him send a whole burst more. At most one
// of his messages passes for each report before the engine's answer
// comes (and one for the slack of a message the engine's bucket allows):
// on one node none does.
func contractOneRate(t *testing.T, e contractEngine, d *deployment) {
	alice, _ := joinAsJSON(t, d.node(0), "name=alice")
	reported := make([]int, len(d.servers))
	for i := range oneBurst {
		sayLive(t, alice, fmt.Sprint("from alice ", i))
		reported[0]++
		awaitReported(t, d.servers[0], reported[0])
	}
	bob, _ := joinAsJSON(t, d.node(1), "name=bob&room=elsewhere") // no replay of alice's
	sent := 0
	for i := range oneBurst {
		bob.c.sendText(fmt.Sprint("from bob ", i))
		m := decodeEvent(t, bob.nextNotPresence(t))
		if m.Type == "notice" && m.Code == "slow-down" {
			break
		}
		if m.Type != "message" || m.Name != "bob" {
			t.Fatalf("got %+v, want bob's message or a slow-down notice", m)
		}
		sent++
		reported[1%len(d.servers)]++
		awaitReported(t, d.servers[1%len(d.servers)], reported[1%len(d.servers)])
	}
	if sent > 2 {
		t.Fatalf("bob sent %d messages through another node after alice, at the same address, spent the burst of %d: the nodes each gave it a rate of its own", sent, oneBurst)
	}
}

// awaitReported waits until s has told its engine of n messages within
// their senders' rate: the engine has answered for them.
func awaitReported(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		got := scrape(t, s.MetricsHandler())["wschat_rate_reported_total"]
		if got == float64(n) {
			return
		}
		if got > float64(n) || time.Now().After(deadline) {
			t.Fatalf("wschat_rate_reported_total = %v, want %d", got, n)
		}
		time.Sleep(5 * time.Millisecond) // between scrapes; the wait is for the metric
	}
}
