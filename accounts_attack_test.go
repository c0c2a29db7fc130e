package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// Attacks on the accounts, as the tracker found them: one name with two
// owners across nodes, and logins flooded until nobody else got in.

// TestRedisNodesRegisterOneOwnerPerName registers one name on two nodes
// at once, round after round: exactly one registration wins, the other is
// told 409 at once, and the winner's password, and only it, logs in on
// both nodes.
func TestRedisNodesRegisterOneOwnerPerName(t *testing.T) {
	r := resptest.Start(t)
	var nodes []*node
	for range 2 {
		cfg := redisConfig(r, 3*time.Second)
		cfg.Accounts, cfg.Signup = true, true // no -data: the accounts are Redis's alone
		nodes = append(nodes, startNode(t, cfg))
	}
	for round := range 5 {
		name := fmt.Sprint("owner", round)
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i, n := range nodes {
			wg.Go(func() {
				statuses[i], _, _ = apiCallFrom(t, fmt.Sprintf("127.0.%d.%d", round+1, i+1), n.addr, "/api/register",
					fmt.Sprintf(`{"name":%q,"password":"password of node %d"}`, name, i))
			})
		}
		wg.Wait()
		winner := -1
		for i, st := range statuses {
			switch st {
			case http.StatusCreated:
				if winner >= 0 {
					t.Fatalf("round %d: both nodes registered %s", round, name)
				}
				winner = i
			case http.StatusConflict:
			default:
				t.Fatalf("round %d: node %d answered %d", round, i, st)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: neither node registered %s", round, name)
		}
		for _, n := range nodes {
			for i := range nodes {
				want := http.StatusUnauthorized
				if i == winner {
					want = http.StatusOK
				}
				st, _, _ := apiCallFrom(t, "127.0.9.9", n.addr, "/api/login", fmt.Sprintf(`{"name":%q,"password":"password of node %d"}`, name, i))
				if st != want {
					t.Fatalf("round %d: %s with node %d's password on %s: %d, want %d", round, name, i, n.addr, st, want)
				}
			}
		}
	}
}

// TestLoginsHoldUnderAFlood floods logins, with the right password, from
// one address and then from fifty, while alice logs in from her own: each
// of her logins succeeds while the flood goes on. It runs the real binary,
// whose hashes are real (PBKDF2 at its full cost).
func TestLoginsHoldUnderAFlood(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary; real password hashes, hundreds of milliseconds each")
	}
	_, addr, _ := startBinary(t, buildBinary(t), "-data", t.TempDir(), "-accounts")
	register(t, addr, "alice")
	register(t, addr, "mallory")
	for n, tc := range []struct {
		name      string
		addresses int
	}{{"one address, 40 at once", 1}, {"fifty addresses", 50}} {
		alice := fmt.Sprintf("127.0.2.%d", n+1) // a person who logs in now and then, as people do
		t.Run(tc.name, func(t *testing.T) {
			var stop atomic.Bool
			var flooded atomic.Int64
			var wg sync.WaitGroup
			for i := range 40 {
				from := fmt.Sprintf("127.0.1.%d", 10+i%tc.addresses)
				wg.Go(func() {
					client := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext}}
					defer client.CloseIdleConnections()
					for j := 0; j < 200 && !stop.Load(); j++ { // bounded: the flood ends with the test
						// A flooder takes what it gets: the server may cut it.
						if resp, err := client.Post("http://"+addr+"/api/login", "application/json",
							strings.NewReader(`{"name":"mallory","password":"correct horse"}`)); err == nil {
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
						}
						flooded.Add(1)
					}
				})
			}
			defer func() { stop.Store(true); wg.Wait() }()
			for try := range 2 {
				start := time.Now()
				st, answer, _ := apiCallFrom(t, alice, addr, "/api/login", `{"name":"alice","password":"correct horse"}`)
				if st != http.StatusOK {
					t.Fatalf("alice's login %d during the flood: %d %v", try, st, answer)
				}
				t.Logf("alice's login %d took %v, %d flood requests answered so far", try, time.Since(start).Round(time.Millisecond), flooded.Load())
			}
			if stop.Load() {
				t.Fatal("the flood ended before alice's logins")
			}
		})
	}
}

// TestLookAlikeNamesOnTheRealBinary: while alice is online, a name that
// reads as hers is refused, in another script or with a digit for a
// letter, saying which name it looks like.
func TestLookAlikeNamesOnTheRealBinary(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	_, addr, _ := startBinary(t, buildBinary(t))
	join(t, addr, "alice")
	for _, tc := range []struct{ name, want string }{
		{"%D0%B0%D3%8F%D1%96%D1%81%D0%B5", `CLOSE 1008 name-taken: name "аӏісе" (Cyrillic) looks like "alice" (Latin), who is online: choose another`},
		{"a1ice", `CLOSE 1008 name-taken: name "a1ice" looks like "alice", who is online: choose another`},
	} {
		if got := refusedWith(t, addr, "/ws/chat?name="+tc.name); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
