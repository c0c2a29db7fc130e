package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// browserTimeout bounds the whole browser test, Chromium's start included.
const browserTimeout = 2 * time.Minute

// TestBrowserChat drives the built-in page in headless Chromium with the
// script e2e/chat.mjs: two people chat both ways, a taken name is refused
// on the page, and after the server restarts on the same address the
// pages reconnect by themselves. A page whose connection went half-open
// (gone for the page, still open on the server) keeps retrying while the
// server holds its name, gets back in once the server lets go of it, and
// gives up after a while if it does not. Screenshots go to test-output/.
func TestBrowserChat(t *testing.T) {
	live := startLiveServer(t, testConfig())
	proxy := startHalfOpenProxy(t, live.addr)
	runDriver(t, "chat.mjs", []string{"WSCHAT_URL=http://" + live.addr + "/", "WSCHAT_PROXY_URL=http://" + proxy.addr + "/"},
		map[string]request{
			"STOP":    {"STOPPED", live.stop},
			"START":   {"STARTED", live.start},
			"SEVER":   {"SEVERED", proxy.sever},
			"RELEASE": {"RELEASED", proxy.release},
		})
	// Chromium offers permessage-deflate on every WebSocket: the pages'
	// connections to the server running now must have taken it.
	if n := scrape(t, live.srv.MetricsHandler())["wschat_compressed_connections_total"]; n == 0 {
		t.Error("no connection of the pages negotiated permessage-deflate")
	}
}

// TestBrowserAccounts drives the page of a server with built-in accounts
// with the script e2e/accounts.mjs: a person registers, chats, reloads
// the page and is still in, logs out, fails to log in with a wrong
// password and logs in with the right one.
func TestBrowserAccounts(t *testing.T) {
	cfg := testConfig()
	cfg.DataDir, cfg.Accounts, cfg.Signup = t.TempDir(), true, true
	live := startLiveServer(t, cfg)
	runDriver(t, "accounts.mjs", []string{"WSCHAT_URL=http://" + live.addr + "/"}, nil)
}

// TestBrowserPage drives the page with the script e2e/page.mjs, at a
// desktop size and a phone's, with twelve people in the lobby besides:
// every name can be reached, a message over -max-message stays in the box
// unsent with the page saying by how much, the lists say they are offline
// while the server is away and what is typed meanwhile is sent once it is
// back, and the README's console snippet works on the page's own origin.
func TestBrowserPage(t *testing.T) {
	if testing.Short() {
		skip(t, "skipping the browser test in -short mode")
	}
	live := startLiveServer(t, testConfig())
	people := []string{"amara", "bruno", "chen", "dara", "emeka", "fatima", "goran", "hana", "ivo", "jun", "kemal", "lucia"}
	for _, name := range people {
		join(t, live.addr, name)
	}
	runDriver(t, "page.mjs", []string{"WSCHAT_URL=http://" + live.addr + "/", fmt.Sprint("PEOPLE=", len(people))},
		map[string]request{
			"STOP":  {"STOPPED", live.stop},
			"START": {"STARTED", live.start},
		})
}

// runDriver runs the Node.js script in e2e/ with the environment env, and
// answers its requests, until it exits; it fails the test unless the
// script said PASS.
func runDriver(t *testing.T, script string, env []string, requests map[string]request) {
	if testing.Short() {
		skip(t, "skipping the browser test in -short mode")
	}
	node := needTool(t, "node")
	chromium := needTool(t, "chromium")
	needE2EModules(t)
	out, err := filepath.Abs("test-output")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = "e2e"
	cmd.Env = append(append(os.Environ(), env...), "CHROMIUM="+chromium, "OUT_DIR="+out)
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
	passed, err := converse(t, stdout, stdin, requests)
	stdin.Close()
	if err != nil {
		t.Errorf("driver's request: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("driver: %v\n%s", err, stderr.String())
	}
	if !passed {
		t.Fatalf("the driver exited without PASS\n%s", stderr.String())
	}
}

// request is something the driver may ask of the test by printing its
// name: an action, and the line that answers once it is done.
type request struct {
	answer string
	do     func() error
}

// converse reads the driver's lines until it exits: it logs them, and
// carries out the requests the driver asks for, answering once each is
// done. It reports whether the driver said PASS, and the first error in
// carrying out a request; after one it stops answering, so the driver
// fails too.
func converse(t *testing.T, stdout io.Reader, stdin io.Writer, requests map[string]request) (bool, error) {
	passed := false
	var failed error
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		t.Log("driver:", line)
		if line == "PASS" {
			passed = true
			continue
		}
		req, ok := requests[line]
		if !ok || failed != nil {
			continue
		}
		err := req.do()
		if err == nil {
			_, err = io.WriteString(stdin, req.answer+"\n")
		}
		if err != nil {
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
		skip(t, "%s", msg)
	}
}

// halfOpenProxy forwards TCP connections to the server, and can leave
// those open through it half-open, as a phone that loses its network
// does: their browser side ends, while their server side stays open and
// silent, so the server keeps those connections, and their chat names,
// until the test releases them (or the keepalive drops them).
type halfOpenProxy struct {
	addr   string
	target string
	ln     net.Listener
	wg     sync.WaitGroup // the accept loop and the copying goroutines

	mu     sync.Mutex
	links  map[*proxyLink]bool // the connections forwarding both ways
	held   []net.Conn          // server sides of severed connections
	closed bool
}

// proxyLink is one connection through the proxy: the browser's side, and
// the proxy's own connection to the server.
type proxyLink struct {
	browser, server net.Conn
	severed         bool // guarded by the proxy's mu
}

// startHalfOpenProxy starts a proxy to target on a free loopback port; it
// is closed when the test ends.
func startHalfOpenProxy(t testing.TB, target string) *halfOpenProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &halfOpenProxy{addr: ln.Addr().String(), target: target, ln: ln, links: map[*proxyLink]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// accept forwards each connection to the server until the proxy closes.
// One the server does not take is closed at once, as a refusal would be.
func (p *halfOpenProxy) accept() {
	defer p.wg.Done()
	for {
		bc, err := p.ln.Accept()
		if err != nil {
			return
		}
		sc, err := net.DialTimeout("tcp", p.target, testTimeout)
		if err != nil {
			bc.Close()
			continue
		}
		l := &proxyLink{browser: bc, server: sc}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			bc.Close()
			sc.Close()
			return
		}
		p.links[l] = true
		p.wg.Add(2)
		p.mu.Unlock()
		go p.copy(l, sc, bc)
		go p.copy(l, bc, sc)
	}
}

// copy forwards what src sends to dst until either ends, then closes both
// sides; a severed link's server side is left to release instead.
func (p *halfOpenProxy) copy(l *proxyLink, dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(dst, src)
	p.mu.Lock()
	defer p.mu.Unlock()
	if l.severed {
		return
	}
	delete(p.links, l)
	l.browser.Close()
	l.server.Close()
}

// sever ends the browser side of every connection open through the proxy
// and holds their server side open, sending nothing.
func (p *halfOpenProxy) sever() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.links) == 0 {
		return errors.New("no connection is open through the proxy")
	}
	for l := range p.links {
		l.severed = true
		l.browser.Close()
		p.held = append(p.held, l.server)
	}
	clear(p.links)
	return nil
}

// release closes the server side of the severed connections, as the
// server's keepalive would once it gave up on them.
func (p *halfOpenProxy) release() error {
	p.mu.Lock()
	held := p.held
	p.held = nil
	p.mu.Unlock()
	if len(held) == 0 {
		return errors.New("no severed connection is held")
	}
	for _, c := range held {
		c.Close()
	}
	return nil
}

// close stops accepting, closes every connection, and waits for the
// proxy's goroutines.
func (p *halfOpenProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for l := range p.links {
		l.browser.Close()
		l.server.Close()
	}
	for _, c := range p.held {
		c.Close()
	}
	p.held = nil
	p.mu.Unlock()
	p.wg.Wait()
}
