package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// A name is held by one connection at a time, on every node: claims go
// through Redis in one step, so two nodes that claim a name at the same
// moment never both get it, and a name given up and claimed again stays
// claimed.

// nameTaken is the refusal of a name someone holds.
const nameTaken = `CLOSE 1008 name-taken: name "bob" is taken: choose another`

// claimBob connects to addr as bob and returns the client with the first
// thing it heard: its welcome, or the refusal. It does not fail the test,
// so that goroutines may call it.
func claimBob(t testing.TB, addr string) (*inbox, string, error) {
	c, resp, err := tryDial(addr, "/ws/chat?name=bob", nil)
	if err != nil {
		return nil, "", err
	}
	c.t = t
	t.Cleanup(func() { c.nc.Close() })
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, "", errors.New(resp.Status)
	}
	in := listen(c)
	select {
	case m := <-in.msgs:
		return in, m, nil
	case <-time.After(testTimeout):
		c.nc.Close()
		return nil, "", errors.New("no welcome or refusal")
	}
}

func TestRedisNameClaimedOnTwoNodesAtOnceHasOneHolder(t *testing.T) {
	nodes := startNodes(t, resptest.Start(t), 2, 3*time.Second)
	addrs := []string{nodes[0].addr, nodes[1].addr}
	senders := []*inbox{join(t, addrs[0], "alice"), join(t, addrs[1], "carol")}
	for _, s := range senders {
		s.c.nc.SetWriteDeadline(time.Time{}) // they talk for longer than the dial's deadline
	}
	holder := join(t, addrs[0], "bob")

	const rounds, budget = 1000, 30 * time.Second
	began := time.Now()
	var round, retries int
	for ; round < rounds && time.Since(began) < budget; round++ {
		// bob leaves; at once a bob on each node claims the name, again
		// while the name has not come free yet.
		holder.closeAndWait(t)
		holder = nil
		for holder == nil {
			type claim struct {
				in    *inbox
				first string
				err   error
			}
			got := make(chan claim, 2)
			for _, addr := range addrs {
				go func() {
					in, first, err := claimBob(t, addr)
					got <- claim{in, first, err}
				}()
			}
			var refused int
			for range addrs {
				c := <-got
				switch {
				case c.err != nil:
					t.Fatalf("round %d: %v", round, c.err)
				case strings.HasPrefix(c.first, "* welcome, bob!"):
					if holder != nil {
						t.Fatalf("round %d: both nodes let bob in", round)
					}
					holder = c.in
				case c.first == nameTaken:
					refused++
				default:
					t.Fatalf("round %d: got %q, want a welcome or %q", round, c.first, nameTaken)
				}
			}
			if refused == 2 {
				retries++ // the name was not free yet: both try again
			}
		}
		// The one who got it is bob to everyone, on both nodes.
		s, from := senders[round%2], []string{"alice", "carol"}[round%2]
		marker := fmt.Sprintf("round %d", round)
		s.c.sendText("/msg bob " + marker)
		s.expectNotPresence(t, from+" → bob: "+marker)
		holder.expectNotPresence(t, from+" → bob: "+marker)
	}
	t.Logf("%d rounds in %v; in %d of them both claims came before the name was free, and were tried again",
		round, time.Since(began).Round(time.Millisecond), retries)
	if round < 100 {
		t.Fatalf("only %d rounds within %v", round, budget)
	}
}

// reconnectNodes runs two nodes with claims that lapse after ttl, the
// first behind a proxy, which it returns.
func reconnectNodes(t *testing.T, ttl time.Duration, tokens bool) (a, b string, proxy *redisProxy) {
	r := resptest.Start(t)
	proxy = startRedisProxy(t, r.Addr(), 0)
	var nodes []string
	for _, url := range []string{proxy.URL(), r.URL("", "")} {
		cfg := redisConfig(r, ttl)
		cfg.Redis = url
		if tokens {
			tokensOn(t, &cfg)
		}
		nodes = append(nodes, startNode(t, cfg).addr)
	}
	return nodes[0], nodes[1], proxy
}

// awaitRenewals waits until node A, behind proxy, has renewed a claim on
// bob n times from now: with the renewal every third of the ttl, five
// take longer than a ttl, past which a claim not renewed would lapse.
func awaitRenewals(t *testing.T, proxy *redisProxy, n int) {
	t.Helper()
	renewals := proxy.watchWhere(func(args []string) bool {
		return len(args) > 3 && args[0] == "EVAL" && strings.Contains(args[1], "HEXISTS") && args[3] == "wschat:name:bob"
	})
	for i := range n {
		select {
		case <-renewals:
		case <-time.After(testTimeout):
			t.Fatalf("node A renewed a claim on bob %d times, want %d", i, n)
		}
	}
}

func TestRedisNameReconnectedOnOneNodeStaysClaimed(t *testing.T) {
	const ttl = 1500 * time.Millisecond
	t.Run("a name", func(t *testing.T) {
		a, b, proxy := reconnectNodes(t, ttl, false)
		bob := join(t, a, "bob")
		for i := range 20 {
			bob.closeAndWait(t)
			var first string
			if !eventually(func() bool {
				var err error
				bob, first, err = claimBob(t, a)
				if err != nil {
					t.Fatal(err)
				}
				return first != nameTaken // until the old connection has let go
			}) || !strings.HasPrefix(first, "* welcome, bob!") {
				t.Fatalf("reconnection %d: got %q, want bob's welcome", i, first)
			}
			if got := refusedWith(t, b, "/ws/chat?name=bob"); got != nameTaken {
				t.Fatalf("reconnection %d: bob on the other node: got %q, want %q", i, got, nameTaken)
			}
		}
		awaitRenewals(t, proxy, 5)
		if got := refusedWith(t, b, "/ws/chat?name=bob"); got != nameTaken {
			t.Fatalf("bob on the other node after a ttl: got %q, want %q", got, nameTaken)
		}
		carol := join(t, b, "carol")
		carol.c.sendText("/msg bob still you?")
		carol.expectNotPresence(t, "carol → bob: still you?")
		bob.expectNotPresence(t, "carol → bob: still you?")
	})
	t.Run("an account, connected again before the old connection left", func(t *testing.T) {
		a, b, proxy := reconnectNodes(t, ttl, true)
		alice := joinWith(t, b, contractToken(t, "alice"), "")
		bob := joinWith(t, a, contractToken(t, "bob"), "")
		for range 20 {
			again := joinWith(t, a, contractToken(t, "bob"), "")
			bob.closeAndWait(t)
			bob = again
		}
		awaitRenewals(t, proxy, 5)
		// bob is online: a message waits for him in no mailbox, and
		// nobody is told he is offline.
		alice.c.sendText("/msg bob still you?")
		alice.expectNotPresence(t, "alice → bob: still you?")
		bob.expectNotPresence(t, "alice → bob: still you?")
		alice.nothingMore(t, "alice")
	})
}
