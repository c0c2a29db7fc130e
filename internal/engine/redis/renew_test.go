package redis

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"wschat/internal/engine"
	"wschat/internal/resp/resptest"
)

// A node renews its claims a batch at a time: a few calls for a thousand
// names, not one each. A claim lost behind its back (lapsed, or taken
// away) is not brought back by a renewal.
func TestRenewalsAreBatched(t *testing.T) {
	srv := resptest.Start(t)
	e, err := Open(Options{URL: srv.URL("", ""), TTL: time.Hour})
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
	lost := claims[renewBatch]
	if _, err := e.do(ctx, "DEL", claimKey(lost.Key)); err != nil {
		t.Fatal(err)
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
	if want := (n + renewBatch - 1) / renewBatch; calls != want {
		t.Errorf("%d claims renewed in %d scripts, want %d", n, calls, want)
	}
	for _, c := range claims {
		got := e.hget(t, claimKey(c.Key), c.Holder)
		if c == lost {
			if got != "" {
				t.Errorf("the lost claim of %s came back with expiry %q", c.Key, got)
			}
			continue
		}
		if ms, _ := strconv.ParseInt(got, 10, 64); ms <= 1 {
			t.Errorf("%s: expiry %q, want renewed", c.Key, got)
		}
	}
}
