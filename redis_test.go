package main

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testRedis is a redis-server of the test's own on a free loopback port,
// without persistence: a restart loses everything, as a crash would.
type testRedis struct {
	t    testing.TB
	path string
	port int
	dir  string
	cmd  *exec.Cmd
	exit chan struct{} // closed once cmd has been waited for
}

// startTestRedis starts a redis-server that stops when the test ends.
// Without redis-server it skips the test, or fails it when CI=true.
func startTestRedis(t testing.TB) *testRedis {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server is required in CI: %v", err)
		}
		t.Skipf("redis-server is not installed (apt-get install redis-server): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	r := &testRedis{t: t, path: path, port: port, dir: t.TempDir()}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *testRedis) url() string { return "redis://127.0.0.1:" + strconv.Itoa(r.port) }

// start runs the server and waits until it is ready.
func (r *testRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.path, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir)
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	ready, exit := make(chan struct{}), make(chan struct{})
	r.exit = exit
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				close(ready)
			}
		}
		r.cmd.Wait()
		close(exit)
	}()
	select {
	case <-ready:
	case <-exit:
		r.t.Fatal("redis-server exited before it was ready")
	case <-time.After(testTimeout):
		r.stop()
		r.t.Fatal("redis-server not ready in time")
	}
}

// stop kills the server, as a crash would, and waits for it to exit.
func (r *testRedis) stop() {
	select {
	case <-r.exit:
		return
	default:
	}
	r.cmd.Process.Kill()
	<-r.exit
}

// node is one wschat server of a chat behind Redis.
type node struct {
	s    *Server
	hs   *httptest.Server
	addr string
}

// redisConfig is the configuration of a node behind r, whose claims
// outlive it by ttl.
func redisConfig(r *testRedis, ttl time.Duration) Config {
	cfg := testConfig()
	cfg.Redis = r.url()
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
func startNodes(t testing.TB, r *testRedis, n int, ttl time.Duration) []*node {
	var nodes []*node
	for range n {
		nodes = append(nodes, startNode(t, redisConfig(r, ttl)))
	}
	return nodes
}
