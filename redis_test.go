package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

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
