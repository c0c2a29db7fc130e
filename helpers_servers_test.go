package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// This file holds the servers a test runs in its own process, and the
// configurations they start from: startServer (httptest), startHTTP (the
// HTTP server main builds), startLiveServer (stopped and started again on
// one address, for the browser tests) and startNode(s) (behind Redis).
// See helpers_test.go for where the other helpers are.

// testConfig is the server configuration the tests start from: valid for
// startServer and for startHTTP, whose HTTP server main builds checks it
// as the command checks its flags.
func testConfig() Config {
	return Config{
		MaxMessage:       64 << 10,
		MaxEchoMessage:   1 << 20,
		PingInterval:     30 * time.Second,
		WriteTimeout:     5 * time.Second,
		HandshakeTimeout: testTimeout,
		MaxQueue:         4 << 20,
		HistoryKeep:      1000,
		HistoryReplay:    50,
		MaxFile:          1 << 20,
		Echo:             true,
		Compress:         true,
	}
}

// newTestServer returns a server for cfg, or ends the test.
func newTestServer(t testing.TB, cfg Config, log *slog.Logger) *Server {
	t.Helper()
	s, err := NewServer(cfg, log)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	return s
}

// startServer runs a server on loopback until the test ends.
func startServer(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	s := newTestServer(t, cfg, slog.New(slog.DiscardHandler))
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s, strings.TrimPrefix(hs.URL, "http://")
}

// startHTTP runs a server on loopback behind the same HTTP server main
// runs, until the test ends.
func startHTTP(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	s := newTestServer(t, cfg, slog.New(slog.DiscardHandler))
	hs, err := newHTTPServer(s, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serve(hs, ln) }()
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

// accountsConfig is a test server with built-in accounts in a data
// directory of its own.
func accountsConfig(t testing.TB) Config {
	cfg := testConfig()
	cfg.DataDir, cfg.Accounts, cfg.Signup = t.TempDir(), true, true
	return cfg
}

// shutdown stops s and waits for it.
func shutdown(t testing.TB, s *Server) {
	t.Helper()
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// benchConfig is the configuration of a server under a benchmark.
func benchConfig() Config {
	cfg := testConfig()
	cfg.MaxQueue = 64 << 20 // saturation piles up; losing receivers is not what is measured
	return cfg
}

// node is one wschat server of a chat behind Redis.
type node struct {
	s    *Server
	hs   *httptest.Server
	addr string
}

// redisConfig is the configuration of a node behind r, whose claims
// outlive it by ttl.
func redisConfig(r *resptest.Server, ttl time.Duration) Config {
	cfg := testConfig()
	cfg.Redis = r.URL("", "")
	cfg.RedisTTL = ttl
	return cfg
}

// startNode runs a node for cfg on loopback until the test ends or it is
// stopped.
func startNode(t testing.TB, cfg Config) *node {
	t.Helper()
	s := newTestServer(t, cfg, slog.New(slog.DiscardHandler))
	n := &node{s: s, hs: httptest.NewServer(s)}
	n.addr = strings.TrimPrefix(n.hs.URL, "http://")
	t.Cleanup(func() { n.shutdown(t) })
	return n
}

// shutdown stops the node as SIGTERM does: every member is closed with
// 1001, and leaves.
func (n *node) shutdown(t testing.TB) {
	n.hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := n.s.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// startNodes runs n nodes behind r.
func startNodes(t testing.TB, r *resptest.Server, n int, ttl time.Duration) []*node {
	var nodes []*node
	for range n {
		nodes = append(nodes, startNode(t, redisConfig(r, ttl)))
	}
	return nodes
}

// liveServer is a chat server on a loopback address that the test can
// stop, and start again on the same address, as a restart would.
type liveServer struct {
	t      testing.TB
	addr   string
	cfg    Config
	logTo  io.Writer // where the server logs; nil: the test's output
	srv    *Server
	hs     *http.Server
	served chan error // what hs.Serve returned
}

// startLiveServer starts a server on a free loopback port; it is stopped
// when the test ends.
func startLiveServer(t testing.TB, cfg Config) *liveServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &liveServer{t: t, addr: ln.Addr().String(), cfg: cfg}
	l.serve(ln)
	t.Cleanup(func() {
		if err := l.stop(); err != nil {
			t.Errorf("stop the server: %v", err)
		}
	})
	return l
}

// start listens again on the server's address and serves.
func (l *liveServer) start() error {
	if l.hs != nil {
		return errors.New("the server is already running")
	}
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return err
	}
	l.serve(ln)
	return nil
}

// serve runs a new server on ln.
func (l *liveServer) serve(ln net.Listener) {
	out := l.logTo
	if out == nil {
		out = l.t.Output()
	}
	l.srv = newTestServer(l.t, l.cfg, slog.New(slog.NewTextHandler(out, nil)))
	l.hs = &http.Server{Handler: l.srv, ReadHeaderTimeout: testTimeout}
	l.served = make(chan error, 1)
	go func() { l.served <- l.hs.Serve(ln) }()
}

// stop shuts the server down as the command does: no new connections,
// then every WebSocket closed with 1001. Stopping a stopped server does
// nothing.
func (l *liveServer) stop() error {
	if l.hs == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	err := l.hs.Shutdown(ctx)
	if serr := <-l.served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	err = errors.Join(err, l.srv.Shutdown(ctx))
	l.srv, l.hs, l.served = nil, nil, nil
	return err
}
