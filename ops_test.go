package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file tests running the server for real: the HTTP server main
// builds, and slow or stuck handshakes.

// opsConfig is testConfig with the settings newHTTPServer needs.
func opsConfig() Config {
	cfg := testConfig()
	cfg.HandshakeTimeout = testTimeout
	return cfg
}

// startHTTP runs a server on loopback behind the same HTTP server main
// runs, until the test ends.
func startHTTP(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	s := NewServer(cfg, slog.New(slog.DiscardHandler))
	hs := newHTTPServer(s, cfg, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serve(hs, ln, cfg) }()
	t.Cleanup(func() {
		hs.Close()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s, ln.Addr().String()
}

// handshakeRequest is a client's opening handshake for path on host.
func handshakeRequest(host, path string) string {
	return fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", path, host)
}

// handshakeOn sends the opening handshake on nc and reads the answer. It
// returns a client when the server switched protocols, and the response
// with its body read otherwise.
func handshakeOn(t testing.TB, nc net.Conn, host, path string) (*wsClient, *http.Response) {
	t.Helper()
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(nc, handshakeRequest(host, path)); err != nil {
		t.Fatalf("send handshake: %v", err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read handshake response: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		return nil, resp
	}
	return &wsClient{t: t, nc: nc, br: br, key: [4]byte{1, 2, 3, 4}}, resp
}

// dialFrom opens a TCP connection to addr from the local IP from.
func dialFrom(t testing.TB, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: testTimeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	return nc
}

// get fetches path from the server at addr.
func get(t testing.TB, addr, path string) (*http.Response, string) {
	t.Helper()
	client := &http.Client{Timeout: testTimeout}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp, string(body)
}

func TestUnfinishedRequestHeaderIsCutAtTheHandshakeTimeout(t *testing.T) {
	cfg := opsConfig()
	cfg.HandshakeTimeout = 100 * time.Millisecond
	_, addr := startHTTP(t, cfg)
	nc := dialFrom(t, "127.0.0.1", addr)
	defer nc.Close()
	// Everything but the blank line that ends the header.
	partial := strings.TrimSuffix(handshakeRequest(addr, "/ws/chat?name=stuck"), "\r\n")
	if _, err := io.WriteString(nc, partial); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(testTimeout))
	if n, err := nc.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("got %d bytes, %v; want the server to hang up (EOF)", n, err)
	}
}

func TestJoinedClientOutlivesTheHandshakeTimeout(t *testing.T) {
	cfg := opsConfig()
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

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestOversizedRequestHeaderIsRefusedWith431(t *testing.T) {
	_, addr := startHTTP(t, opsConfig())
	_, resp, err := tryDial(addr, "/ws/chat?name=alice", http.Header{"X-Padding": {strings.Repeat("a", 4*maxHeaderBytes)}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("got %s, want 431", resp.Status)
	}
}

func TestSlowHandshakesDoNotHoldUpOthers(t *testing.T) {
	_, addr := startHTTP(t, opsConfig())
	const slow = 200
	req := handshakeRequest(addr, "/ws/echo")
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
