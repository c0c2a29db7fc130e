package main

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// This file tests the limits before the upgrade: the request header, the
// connections waiting to send one, per-address counting, and the
// open-file limit.

func TestRequestHeaderLimitIs8KiB(t *testing.T) {
	_, addr := startHTTP(t, testConfig())
	for _, tt := range []struct {
		name string
		size int // the whole request header, blank line included
		want int
	}{
		{"exactly 8 KiB", maxHeaderBytes, http.StatusSwitchingProtocols},
		{"one byte more", maxHeaderBytes + 1, http.StatusRequestHeaderFieldsTooLarge},
		{"12 KiB", 12 << 10, http.StatusRequestHeaderFieldsTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := len(upgradeRequest(addr, "/ws/echo", http.Header{"X-Pad": {""}}))
			pad := strings.Repeat("p", tt.size-base)
			c, resp, err := tryDial(addr, "/ws/echo", http.Header{"X-Pad": {pad}})
			if err != nil {
				t.Fatal(err)
			}
			got := http.StatusSwitchingProtocols
			if c == nil {
				got = resp.StatusCode
			} else {
				c.nc.Close()
			}
			if got != tt.want {
				t.Fatalf("a %d-byte header: got %d, want %d", tt.size, got, tt.want)
			}
		})
	}
}

func TestPerAddressLimitsCountIPv6ByItsSlash64(t *testing.T) {
	for _, tt := range []struct{ a, b string }{
		{"192.0.2.1:1000", "192.0.2.1:2000"},
		{"[::ffff:192.0.2.1]:1000", "192.0.2.1:2000"},
		{"[2001:db8:1:2::1]:1000", "[2001:db8:1:2:ffff:ffff:ffff:ffff]:2000"},
		{"[fe80::1%eth0]:1000", "[fe80::2%eth1]:2000"},
	} {
		t.Run(tt.a+" and "+tt.b, func(t *testing.T) {
			if ka, kb := addrKey(tt.a), addrKey(tt.b); ka != kb {
				t.Errorf("counted as %s and %s, want one client", ka, kb)
			}
		})
	}
	for _, tt := range []struct{ a, b string }{
		{"192.0.2.1:1000", "192.0.2.2:1000"},
		{"[2001:db8:1:2::1]:1000", "[2001:db8:1:3::1]:1000"},
	} {
		t.Run(tt.a+" apart from "+tt.b, func(t *testing.T) {
			if ka, kb := addrKey(tt.a), addrKey(tt.b); ka == kb {
				t.Errorf("both counted as %s, want two clients", ka)
			}
		})
	}
	// Through the connection limit: a second address in the same /64 is
	// the same client.
	cfg := testConfig()
	cfg.MaxConnsPerIP = 1
	s := newTestServer(t, cfg, slog.New(slog.DiscardHandler))
	defer s.Shutdown(t.Context())
	r1 := &http.Request{RemoteAddr: "[2001:db8::1]:1000"}
	r2 := &http.Request{RemoteAddr: "[2001:db8::2]:1000"}
	if _, e := s.admit(s.clientIP(r1)); e != nil {
		t.Fatal(e.reason)
	}
	if _, e := s.admit(s.clientIP(r2)); e == nil || e.status != http.StatusTooManyRequests {
		t.Fatalf("a second address of the same /64: got %v, want 429", e)
	}
	s.release(s.clientIP(r1))
}

func TestConnectionLimitsFitTheOpenFileLimit(t *testing.T) {
	for _, tt := range []struct {
		name             string
		nofile           int
		conns, handshake int // as given
		wantConns        int
		wantHandshakes   int
		wantErr          string
	}{
		{"derived from a large limit", 20000, 0, 0, 20000 - reservedFiles - 1024, 1024, ""},
		{"derived from a small limit", 400, 0, 0, 336 - 84, 84, ""},
		{"an explicit value that fits", 20000, 5000, 0, 5000, 1024, ""},
		{"an explicit value over the limit", 20000, 50000, 0, 0, 0, "-max-conns 50000 is more than the open-file limit (RLIMIT_NOFILE) of 20000 allows: at most 18912"},
		{"handshakes taking everything", 400, 0, 336, 0, 0, "-max-handshakes 336 leaves no room"},
		{"no limit known", 0, 0, 0, 0, defaultMaxHandshakes, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{MaxConns: tt.conns, MaxHandshakes: tt.handshake}
			err := fitFileLimit(&cfg, tt.nofile)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case cfg.MaxConns != tt.wantConns || cfg.MaxHandshakes != tt.wantHandshakes:
				t.Fatalf("got -max-conns %d, -max-handshakes %d; want %d, %d", cfg.MaxConns, cfg.MaxHandshakes, tt.wantConns, tt.wantHandshakes)
			}
		})
	}
}

func TestWaitingConnectionsAreLimitedAndHealthzAnswers(t *testing.T) {
	cfg := testConfig()
	cfg.MaxHandshakes, cfg.MaxHandshakesPerIP = 40, 20
	s, addr := startHTTP(t, cfg)
	// A flood of half-sent requests, from one address and another.
	partial := strings.TrimSuffix(upgradeRequest(addr, "/ws/chat?name=stuck", nil), "\r\n")
	var stuck []net.Conn
	for i := range 100 {
		nc := dialFrom(t, []string{"127.0.0.1", "127.0.0.2"}[i%2], addr)
		t.Cleanup(func() { nc.Close() })
		nc.Write([]byte(partial))
		stuck = append(stuck, nc)
	}
	for i := range 5 {
		if resp, body := get(t, addr, "/healthz"); resp.StatusCode != http.StatusOK || body != "ok" {
			t.Fatalf("healthz %d under the flood: %s %q", i, resp.Status, body)
		}
	}
	join(t, addr, "alice") // and a chat client gets in
	// The oldest were closed, as their clients see: what is left waiting
	// is within the limits, for each address and in all.
	ends := make(chan int, len(stuck)) // the address of each one closed
	for i, nc := range stuck {
		nc.SetReadDeadline(time.Time{})
		go func() {
			nc.Read(make([]byte, 1))
			ends <- i % 2
		}()
	}
	waiting := [2]int{len(stuck) / 2, len(stuck) / 2}
	closed := 0
	for waiting[0] > cfg.MaxHandshakesPerIP || waiting[1] > cfg.MaxHandshakesPerIP || waiting[0]+waiting[1] > cfg.MaxHandshakes {
		select {
		case from := <-ends:
			waiting[from]--
			closed++
		case <-time.After(testTimeout):
			t.Fatalf("%v still waiting, from each address, want at most %d each and %d in all", waiting, cfg.MaxHandshakesPerIP, cfg.MaxHandshakes)
		}
	}
	// /metrics counts every one closed, those its clients have yet to
	// see too (an idle connection of get's may have pushed one more out).
	var counted float64
	if !eventually(func() bool {
		for len(ends) > 0 {
			<-ends
			closed++
		}
		counted = scrape(t, s.MetricsHandler())["wschat_unfinished_requests_closed_total"]
		return counted == float64(closed)
	}) {
		t.Fatalf("wschat_unfinished_requests_closed_total = %v, want the %d closed", counted, closed)
	}
}
