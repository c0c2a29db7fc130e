package redis

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wschat/internal/engine"
	"wschat/internal/resp/resptest"
)

// lockedBuffer is a bytes.Buffer for a logger.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A node renews its claims a batch at a time: a few scripts for a
// thousand names, not one each. A claim that lapsed (the node or Redis
// too slow to renew it in time) is taken again, unless someone else
// took the name meanwhile, which the node logs.
func TestRenewalsAreBatched(t *testing.T) {
	srv := resptest.Start(t)
	var logs lockedBuffer
	e, err := Open(Options{URL: srv.URL("", ""), TTL: time.Hour, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	ctx := context.Background()
	e.renewAll(false) // the node is alive from now: the round below is a routine one
	const n = 2*renewBatch + 7
	claims := make([]engine.Claim, n)
	for i := range claims {
		c := engine.Claim{Key: fmt.Sprintf("name%d", i), Name: fmt.Sprintf("Name%d", i), Holder: fmt.Sprintf("holder%d", i)}
		if held, err := e.Claim(ctx, c); err != nil || held != "" {
			t.Fatalf("claim %s: held by %q, %v", c.Key, held, err)
		}
		claims[i] = c
		// An expiry long past, so that a renewal shows.
		if _, err := e.do(ctx, "HSET", claimKey(c.Key), c.Holder, "1"); err != nil {
			t.Fatal(err)
		}
	}
	lapsed, taken := claims[renewBatch], claims[renewBatch+1]
	for _, c := range []engine.Claim{lapsed, taken} {
		if _, err := e.do(ctx, "DEL", claimKey(c.Key)); err != nil {
			t.Fatal(err)
		}
	}
	other := engine.Claim{Key: taken.Key, Name: taken.Name, Holder: "another node's"}
	if v, err := e.do(ctx, claimArgs(other, e.ms())...); err != nil || v.Str() != "" {
		t.Fatalf("another node's claim: %v, %v", v.Str(), err)
	}
	if _, err := e.do(ctx, "CONFIG", "RESETSTAT"); err != nil {
		t.Fatal(err)
	}

	e.renewAll(false)

	info, err := e.do(ctx, "INFO", "commandstats")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	if m := regexp.MustCompile(`cmdstat_eval:calls=(\d+)`).FindStringSubmatch(info.Str()); m != nil {
		calls, _ = strconv.Atoi(m[1])
	}
	if want := (n+renewBatch-1)/renewBatch + 2; calls != want {
		t.Errorf("%d claims, 2 of them lapsed, renewed in %d scripts, want %d", n, calls, want)
	}
	for _, c := range claims {
		got := e.hget(t, claimKey(c.Key), c.Holder)
		if c == taken {
			if got != "" {
				t.Errorf("%s, taken by another node, came back to its old holder", c.Key)
			}
			continue
		}
		if ms, _ := strconv.ParseInt(got, 10, 64); ms <= 1 {
			t.Errorf("%s: expiry %q, want renewed (or, lapsed, taken again)", c.Key, got)
		}
	}
	if got := e.hget(t, claimKey(taken.Key), other.Holder); got == "" {
		t.Errorf("%s: another node's claim was undone", taken.Key)
	}
	if got := strings.Count(logs.String(), "someone else took the name"); got != 1 || !strings.Contains(logs.String(), "name="+taken.Key) {
		t.Errorf("logged %d names taken, want 1, %s:\n%s", got, taken.Key, logs.String())
	}
}

// A place whose Exit failed (Redis away) is taken out again with the
// next renewals, once Redis is back, and the room no longer counts its
// name; one whose holder came back into the room meanwhile is left.
// Redis keeps its data across the restart here (an append-only file), as
// a deployment that keeps history would.
func TestFailedExitsAreTakenOutAgain(t *testing.T) {
	srv := resptest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	e, err := Open(Options{URL: srv.URL("", ""), TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	ctx := context.Background()
	e.renewAll(false)
	gone := engine.Place{Holder: "h1", Name: "alice", Room: "lobby", RoomName: "lobby"}
	back := engine.Place{Holder: "h2", Name: "bob", Room: "lobby", RoomName: "lobby"}
	for _, p := range []engine.Place{gone, back} {
		if err := e.Enter(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	srv.Stop()
	for _, p := range []engine.Place{gone, back} {
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		err := e.Exit(short, p)
		cancel()
		if err == nil {
			t.Fatalf("Exit(%s) with Redis away: no error", p.Name)
		}
	}
	srv.Start()
	for deadline := time.Now().Add(10 * time.Second); !e.up.Load(); time.Sleep(5 * time.Millisecond) { // polling the engine's state
		if time.Now().After(deadline) {
			t.Fatal("the engine did not reconnect within 10 s")
		}
	}
	if err := e.Enter(ctx, back); err != nil { // bob comes back
		t.Fatal(err)
	}
	e.renewAll(false)
	names, n, err := e.Members(ctx, "lobby", 10)
	if err != nil || n != 1 || names[0] != "bob" {
		t.Fatalf("after the renewals: %v (%d), %v; want bob alone", names, n, err)
	}
	e.mu.Lock()
	left := len(e.leaving)
	e.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d places still to take out, want none", left)
	}
}

// A claim the node gives up while its renewal is under way reads as
// lapsed to the renewal, and must not be taken again: the name would look
// held by nobody's connection (online to the other nodes, and refused to
// someone who connects there) until the node noticed and released it.
func TestRenewalTakesNoGivenUpClaimAgain(t *testing.T) {
	srv := resptest.Start(t)
	e, err := Open(Options{URL: srv.URL("", ""), TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	ctx := context.Background()
	c := engine.Claim{Key: "bob", Name: "bob", Holder: "h1"}
	if held, err := e.Claim(ctx, c); err != nil || held != "" {
		t.Fatalf("claim: held by %q, %v", held, err)
	}
	read := []engine.Claim{c} // the renewal has read the node's claims
	if err := e.Release(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := e.do(ctx, "CONFIG", "RESETSTAT"); err != nil {
		t.Fatal(err)
	}
	e.keepClaims(read)
	info, err := e.do(ctx, "INFO", "commandstats")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`cmdstat_eval:calls=(\d+)`).FindStringSubmatch(info.Str()); m == nil || m[1] != "1" {
		t.Errorf("scripts run: %v, want 1 (the renewal alone: nothing taken again, nothing to release)", m)
	}
	if online, err := e.Online(ctx, "bob"); err != nil || online {
		t.Errorf("bob online after the renewal: %v, %v; want offline", online, err)
	}
}
