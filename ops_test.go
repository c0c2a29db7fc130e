package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file tests running the server for real: the HTTP server main
// builds, /healthz, /metrics, the connection and rate limits, and slow or
// stuck handshakes.

func TestHealthzIsOKUntilShutdownBegins(t *testing.T) {
	s, addr := startHTTP(t, testConfig())
	resp, body := get(t, addr, "/healthz")
	if resp.StatusCode != http.StatusOK || body != "ok" {
		t.Fatalf("got %d %q, want 200 ok", resp.StatusCode, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	resp, body = get(t, addr, "/healthz")
	if resp.StatusCode != http.StatusServiceUnavailable || body != "shutting down\n" {
		t.Fatalf("after shutdown: got %d %q, want 503 shutting down", resp.StatusCode, body)
	}
	_, refused := handshakeOn(t, dialFrom(t, "127.0.0.1", addr), addr, "/ws/chat?name=late")
	expectRefused(t, refused, http.StatusServiceUnavailable, "the server is shutting down")
	scrapeUntil(t, s, map[string]float64{`wschat_refused_total{reason="shutting_down"}`: 1})
}

func TestMaxConnsRefusesWith503BeforeTheUpgrade(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConns = 2
	srv, addr := startHTTP(t, cfg)
	first := dial(t, addr, "/ws/echo")
	dial(t, addr, "/ws/chat?name=alice")
	_, resp, err := tryDial(addr, "/ws/chat?name=bob", nil)
	if err != nil {
		t.Fatal(err)
	}
	const full = "the server is full: it takes at most 2 connections; try again later"
	expectRefused(t, resp, http.StatusServiceUnavailable, full)
	scrapeUntil(t, srv, map[string]float64{`wschat_refused_total{reason="max_conns"}`: 1, "wschat_connections": 2})

	// Room again once one leaves.
	first.nc.Close()
	scrapeUntil(t, srv, map[string]float64{"wschat_connections": 1})
	dialUntilAdmitted(t, addr)
}

// dialUntilAdmitted dials /ws/echo until the server lets the connection
// in: the slot a closed connection held is freed just after its socket.
func dialUntilAdmitted(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for range 10000 {
		c, resp, err := tryDial(addr, "/ws/echo", nil)
		if err != nil {
			t.Fatal(err)
		}
		if c != nil {
			c.nc.Close()
			return
		}
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("got %s, want to be let in", resp.Status)
		}
	}
	t.Fatal("never let in")
}

func TestMaxConnsPerIPRefusesWith429BeforeTheUpgrade(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnsPerIP = 2
	srv, addr := startHTTP(t, cfg)
	for range 2 {
		if c, resp := handshakeOn(t, dialFrom(t, "127.0.0.1", addr), addr, "/ws/echo"); c == nil {
			t.Fatalf("got %s, want 101", resp.Status)
		}
	}
	_, resp := handshakeOn(t, dialFrom(t, "127.0.0.1", addr), addr, "/ws/echo")
	expectRefused(t, resp, http.StatusTooManyRequests, "too many connections from 127.0.0.1: at most 2 from one address")
	// Another address has a share of its own.
	if c, resp := handshakeOn(t, dialFrom(t, "127.0.0.2", addr), addr, "/ws/echo"); c == nil {
		t.Fatalf("from 127.0.0.2: got %s, want 101", resp.Status)
	}
	scrapeUntil(t, srv, map[string]float64{`wschat_refused_total{reason="max_conns_per_ip"}`: 1, "wschat_connections": 3})
}

func TestRateLimitWarnsThenCloses(t *testing.T) {
	cfg := testConfig()
	// A rate this low adds no token while the test runs: the burst is all
	// there is.
	cfg.Rate, cfg.Burst = 0.001, 3
	srv, addr := startHTTP(t, cfg)
	alice := join(t, addr, "alice")
	// Bob comes from an address of his own: the rate is a participant's.
	bob := listen(dialFromAddr(t, "127.0.0.2", addr, "/ws/chat?name=bob&format=json"))
	bob.next(t) // welcome
	alice.expect(t, "* bob joined")

	for i := range 3 {
		alice.c.sendText(fmt.Sprint("m", i))
		alice.expect(t, fmt.Sprint("alice: m", i))
		bob.expectMessage(t, "alice", fmt.Sprint("m", i))
	}
	const slowDown = "slow down: the limit is 0.001 messages a second, 3 at once; this message was not sent"
	const closedAfter = 10 // messages in a row over the rate
	for range closedAfter - 1 {
		alice.c.sendText("too many")
		alice.expect(t, "* "+slowDown)
	}
	bob.c.sendText("b0")
	bob.expectMessage(t, "bob", "b0")
	bob.c.sendText("b1")
	bob.c.sendText("b2")
	bob.expectMessage(t, "bob", "b1")
	bob.expectMessage(t, "bob", "b2")
	bob.c.sendText("b3")
	bob.expect(t, `{"type":"notice","code":"slow-down","text":"`+slowDown+`"}`)

	alice.c.sendText("one too many")
	alice.expect(t, "bob: b0")
	alice.expect(t, "bob: b1")
	alice.expect(t, "bob: b2")
	alice.expect(t, "CLOSE 1008 too-fast: sending too fast: 10 messages in a row over the limit of 0.001 messages a second, 3 at once")
	bob.expect(t, `{"type":"leave","room":"lobby","name":"alice"}`) // and nothing alice sent over the limit
	scrapeUntil(t, srv, map[string]float64{
		`wschat_drops_total{reason="rate_limit"}`: 1,
		"wschat_messages_limited_total":           closedAfter + 1,
	})
}

func TestUnfinishedRequestHeaderIsCutAtTheHandshakeTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.HandshakeTimeout = 100 * time.Millisecond
	_, addr := startHTTP(t, cfg)
	nc := dialFrom(t, "127.0.0.1", addr)
	defer nc.Close()
	// Everything but the blank line that ends the header.
	partial := strings.TrimSuffix(upgradeRequest(addr, "/ws/chat?name=stuck", nil), "\r\n")
	if _, err := io.WriteString(nc, partial); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(testTimeout))
	if n, err := nc.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("got %d bytes, %v; want the server to hang up (EOF)", n, err)
	}
}

func TestJoinedClientOutlivesTheHandshakeTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.HandshakeTimeout = 200 * time.Millisecond
	_, addr := startHTTP(t, cfg)
	c := dial(t, addr, "/ws/chat?name=alice")
	c.next() // welcome
	// Quiet for several handshake timeouts: the read deadline is the only
	// thing that may end this read.
	c.nc.SetReadDeadline(time.Now().Add(3 * cfg.HandshakeTimeout))
	if _, err := c.br.ReadByte(); !isTimeout(err) {
		t.Fatalf("while quiet: got %v, want nothing at all", err)
	}
	c.sendText("still here")
	if got := c.next(); got != "alice: still here" {
		t.Fatalf("got %q", got)
	}
}

func TestOversizedRequestHeaderIsRefusedWith431(t *testing.T) {
	_, addr := startHTTP(t, testConfig())
	_, resp, err := tryDial(addr, "/ws/chat?name=alice", http.Header{"X-Padding": {strings.Repeat("a", 4*maxHeaderBytes)}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("got %s, want 431", resp.Status)
	}
}

func TestSlowHandshakesDoNotHoldUpOthers(t *testing.T) {
	_, addr := startHTTP(t, testConfig())
	const slow = 200
	req := upgradeRequest(addr, "/ws/echo", nil)
	started := make(chan struct{}, slow)
	errs := make(chan error, slow)
	var wg sync.WaitGroup
	for range slow {
		nc := dialFrom(t, "127.0.0.1", addr)
		t.Cleanup(func() { nc.Close() })
		wg.Go(func() { errs <- trickle(nc, req, started) })
	}
	for range slow {
		<-started
	}

	// All 200 are part-way through their handshakes; others are served.
	alice := join(t, addr, "alice")
	bob := join(t, addr, "bob")
	alice.expect(t, "* bob joined")
	bob.c.sendText("hello")
	alice.expect(t, "bob: hello")
	bob.expect(t, "bob: hello")
	if resp, _ := get(t, addr, "/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the page: got %s", resp.Status)
	}

	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// trickle sends req on nc one byte at a time, a millisecond apart,
// signals started after the first, and checks the server switches
// protocols at the end of it.
func trickle(nc net.Conn, req string, started chan<- struct{}) error {
	nc.SetDeadline(time.Now().Add(testTimeout))
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for i := range len(req) {
		if _, err := nc.Write([]byte{req[i]}); err != nil {
			return fmt.Errorf("byte %d: %w", i, err)
		}
		if i == 0 {
			started <- struct{}{}
		}
		<-tick.C
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("after a slow handshake: got %s, want 101", resp.Status)
	}
	return nil
}

func TestMetricsCountWhatClientsDo(t *testing.T) {
	srv, addr := startHTTP(t, testConfig())
	alice := join(t, addr, "alice")
	bob := join(t, addr, "bob")
	alice.expect(t, "* bob joined")
	for i := range 3 {
		alice.c.sendText(fmt.Sprint("m", i))
		alice.expect(t, fmt.Sprint("alice: m", i))
		bob.expect(t, fmt.Sprint("alice: m", i))
	}
	bob.c.writeRaw(clientFrame(true, opText, false, bob.c.key, []byte("unmasked")))
	bob.expect(t, "CLOSE 1002 client frames must be masked (RFC 6455 §5.1)")
	alice.expect(t, "* bob left")

	taken := dial(t, addr, "/ws/chat?name=ALICE")
	taken.expectClose()
	if _, _, err := tryDial(addr, "/ws/chat?name=carol", http.Header{"Sec-WebSocket-Version": {"8"}}); err != nil {
		t.Fatal(err)
	}
	get(t, addr, "/ws/chat") // a plain GET

	m := scrapeUntil(t, srv, map[string]float64{
		"wschat_connections":                                      1,
		"wschat_joins_total":                                      2,
		"wschat_leaves_total":                                     1,
		"wschat_messages_received_total":                          3,
		"wschat_messages_delivered_total":                         6,
		"wschat_messages_limited_total":                           0,
		`wschat_drops_total{reason="protocol_error",code="1002"}`: 1,
		`wschat_drops_total{reason="protocol_error",code="1009"}`: 0,
		`wschat_drops_total{reason="too_slow"}`:                   0,
		`wschat_refused_total{reason="name-taken"}`:               1,
		`wschat_refused_total{reason="version"}`:                  1,
		`wschat_refused_total{reason="not_websocket"}`:            1,
		`wschat_refused_total{reason="origin"}`:                   0, // any origin may connect
		"wschat_broadcast_seconds_count":                          3,
		`wschat_broadcast_seconds_bucket{le="+Inf"}`:              3,
	})
	if m["wschat_received_bytes_total"] == 0 || m["wschat_sent_bytes_total"] == 0 {
		t.Errorf("bytes did not move: %v in, %v out", m["wschat_received_bytes_total"], m["wschat_sent_bytes_total"])
	}
	if m["wschat_broadcast_seconds_sum"] <= 0 {
		t.Errorf("broadcast_seconds_sum = %v, want more than 0", m["wschat_broadcast_seconds_sum"])
	}
}

func TestMetricsCountFrameBytes(t *testing.T) {
	srv, addr := startHTTP(t, testConfig())
	c := dial(t, addr, "/ws/echo")
	c.sendText("hello") // 2 + 4 (mask) + 5 bytes in
	if got := c.next(); got != "hello" {
		t.Fatalf("echo: got %q", got)
	}
	scrapeUntil(t, srv, map[string]float64{
		"wschat_received_bytes_total": 11,
		"wschat_sent_bytes_total":     7, // 2 + 5
	})
}
