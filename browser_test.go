package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// browserTimeout bounds the whole browser test, Chromium's start included.
const browserTimeout = 2 * time.Minute

// TestBrowserChat drives the built-in page in headless Chromium with the
// script e2e/chat.mjs: two people chat both ways, a taken name is refused
// on the page, and after the server restarts on the same address the
// pages reconnect by themselves. Screenshots go to test-output/.
func TestBrowserChat(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the browser test in -short mode")
	}
	node := needTool(t, "node")
	chromium := needTool(t, "chromium")
	needE2EModules(t)
	out, err := filepath.Abs("test-output")
	if err != nil {
		t.Fatal(err)
	}
	live := startLiveServer(t)

	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "chat.mjs")
	cmd.Dir = "e2e"
	cmd.Env = append(os.Environ(), "WSCHAT_URL=http://"+live.addr+"/", "CHROMIUM="+chromium, "OUT_DIR="+out)
	// Interrupted, the driver closes its browser before it exits.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the driver: %v", err)
	}
	passed, err := converse(t, stdout, stdin, live)
	stdin.Close()
	if err != nil {
		t.Errorf("server restart: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("driver: %v\n%s", err, stderr.String())
	}
	if !passed {
		t.Fatalf("the driver exited without PASS\n%s", stderr.String())
	}
}

// converse reads the driver's lines until it exits: it logs them, and
// stops and starts the server when the driver asks, answering once done.
// It reports whether the driver said PASS, and the first error in
// stopping or starting the server; after one it stops answering, so the
// driver fails too.
func converse(t *testing.T, stdout io.Reader, stdin io.Writer, live *liveServer) (bool, error) {
	passed := false
	var failed error
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		t.Log("driver:", line)
		var err error
		switch line {
		case "PASS":
			passed = true
			continue
		case "STOP":
			if err = live.stop(); err == nil {
				_, err = io.WriteString(stdin, "STOPPED\n")
			}
		case "START":
			if err = live.start(); err == nil {
				_, err = io.WriteString(stdin, "STARTED\n")
			}
		default:
			continue
		}
		if err != nil && failed == nil {
			failed = fmt.Errorf("%s: %w", strings.ToLower(line), err)
			if c, ok := stdin.(io.Closer); ok {
				c.Close()
			}
		}
	}
	return passed, errors.Join(failed, sc.Err())
}

// needE2EModules makes sure e2e/node_modules holds the driver's packages,
// installing them from the lock file with npm ci when they are missing.
// When that fails, the test skips on a developer's machine and fails
// under CI.
func needE2EModules(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("e2e/node_modules/playwright-core/package.json"); err == nil {
		return
	}
	npm := needTool(t, "npm")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = "e2e"
	if out, err := cmd.CombinedOutput(); err != nil {
		msg := fmt.Sprintf("npm ci in e2e/ failed: %v\n%s", err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// liveServer is a chat server on a loopback address that the test can
// stop, and start again on the same address, as a restart would.
type liveServer struct {
	t      testing.TB
	addr   string
	srv    *Server
	hs     *http.Server
	served chan error // what hs.Serve returned
}

// startLiveServer starts a server on a free loopback port; it is stopped
// when the test ends.
func startLiveServer(t testing.TB) *liveServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &liveServer{t: t, addr: ln.Addr().String()}
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
	l.srv = NewServer(testConfig(), slog.New(slog.NewTextHandler(l.t.Output(), nil)))
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
