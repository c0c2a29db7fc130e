package main

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// This file tests what bounds the memory and the goroutines one client
// can make the server hold: the outbox counted as memory, pongs, partial
// messages, and parking.

func TestOutboxCountsEveryFrameAsMemory(t *testing.T) {
	const maxQueue = 64 << 10
	for _, tt := range []struct {
		name  string
		frame int // bytes of each frame
	}{
		{"one-byte frames", 1},
		{"empty pong-sized frames", 2},
		{"chat lines", 100},
		{"large frames", 8 << 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// No flusher: nothing is written, so everything stays queued.
			c := newConn(nopConn{}, nil, connConfig{maxQueue: maxQueue, writeTimeout: time.Second, closeTimeout: time.Second}, nil, nil)
			c.scheduled = true // the outbox is in hand: no writer starts
			frame := make([]byte, tt.frame)
			taken, behindAt := 0, -1
			for taken < 1<<20 {
				ok, behind := c.queueFrame(frame)
				if !ok {
					break
				}
				if behind && behindAt < 0 {
					behindAt = taken
				}
				taken++
			}
			cost := tt.frame + entryOverhead
			if want := maxQueue / cost; behindAt != want {
				t.Errorf("senders told to wait after %d frames, want %d (-max-queue / (frame + %d))", behindAt, want, entryOverhead)
			}
			if want := hardQueueFactor * maxQueue / cost; taken != want {
				t.Errorf("%d frames taken before the drop, want %d (the hard cap / (frame + %d))", taken, want, entryOverhead)
			}
			if code, reason := closeOf(c); code != closePolicyViolation || reason != tooSlowReason {
				t.Errorf("closed with %d %q, want 1008 %q", code, reason, tooSlowReason)
			}
		})
	}
}

// closeOf returns the close a connection was given.
func closeOf(c *Conn) (closeCode, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ce, ok := c.cause.(*CloseError); ok {
		return ce.Code, ce.Reason
	}
	return 0, ""
}

func TestPingFloodGrowsNothing(t *testing.T) {
	s, addr := startServer(t, testConfig())
	c := dial(t, addr, "/ws/echo")
	// A client that floods pings and never reads: the server answers
	// each, and its socket soon fills.
	pings := bytes.Repeat(clientFrame(true, opPing, true, c.key, []byte("ping")), 1000)
	for range 100 {
		c.writeRaw(pings)
	}
	conn := onlyConn(t, s)
	conn.mu.Lock()
	queued, pongs := conn.queued, len(conn.queue)
	conn.mu.Unlock()
	if bound := (maxPendingPongs + 1) * (2 + maxControlPayload + entryOverhead); queued > bound {
		t.Fatalf("after 100,000 pings the outbox costs %d bytes (%d frames), want at most %d", queued, pongs, bound)
	}
	// Reading again, the client gets pongs, the last one last.
	c.writeFrame(true, opPing, []byte("last"))
	for {
		h, p, err := c.readFrame()
		if err != nil {
			t.Fatal(err)
		}
		if h.opcode == opPong && string(p) == "last" {
			break
		}
	}
}

// onlyConn returns the server's one connection, once it has it: the
// client may see the 101 before the server counts the connection in.
func onlyConn(t *testing.T, s *Server) *Conn {
	t.Helper()
	var conn *Conn
	if !eventually(func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for c := range s.conns {
			conn = c
		}
		return conn != nil
	}) {
		t.Fatal("no connection")
	}
	return conn
}

func TestPartialMessageMustCompleteInTime(t *testing.T) {
	cfg := testConfig()
	cfg.MessageTimeout = 200 * time.Millisecond
	_, addr := startServer(t, cfg)
	for _, tt := range []struct {
		name string
		send func(c *wsClient)
	}{
		{"a fragment and no more", func(c *wsClient) { c.writeFrame(false, opText, []byte("hel")) }},
		{"a frame cut short", func(c *wsClient) {
			c.writeRaw(clientFrame(true, opBinary, true, c.key, make([]byte, 1000))[:500])
		}},
		{"fragments kept coming, pings between", func(c *wsClient) {
			c.writeFrame(false, opText, []byte("a"))
			for range 3 {
				c.writeFrame(true, opPing, nil)
				c.writeFrame(false, opContinuation, []byte("b"))
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, addr, "/ws/echo")
			start := time.Now()
			tt.send(c)
			code, reason := c.expectClose()
			if want := "message not completed within 200ms"; code != closePolicyViolation || reason != want {
				t.Fatalf("got %d %q, want 1008 %q", code, reason, want)
			}
			if took := time.Since(start); took > 10*cfg.MessageTimeout {
				t.Errorf("closed after %v, want about %v", took, cfg.MessageTimeout)
			}
		})
	}
	// A whole message is not affected, however long it waits.
	c := dial(t, addr, "/ws/echo")
	c.nc.SetReadDeadline(time.Now().Add(3 * cfg.MessageTimeout))
	if _, err := c.br.ReadByte(); !isTimeout(err) {
		t.Fatalf("while quiet: got %v, want nothing", err)
	}
	c.sendText("still here")
	if got := c.next(); got != "still here" {
		t.Fatalf("got %q", got)
	}
}

func TestPartialMessagesShareOneBudget(t *testing.T) {
	cfg := testConfig()
	cfg.MaxReassembly = 64 << 10
	s, addr := startServer(t, cfg)
	half := bytes.Repeat([]byte("a"), 40<<10)
	first := dial(t, addr, "/ws/echo")
	first.writeFrame(false, opText, half)
	if !eventually(func() bool { return s.partial.used.Load() >= int64(len(half)) }) {
		t.Fatal("the first message was never counted")
	}
	// A second partial message would take the server past its budget.
	second := dial(t, addr, "/ws/echo")
	second.writeFrame(false, opText, half)
	code, reason := second.expectClose()
	if code != closeMessageTooBig || !strings.Contains(reason, "partial messages") {
		t.Fatalf("got %d %q, want 1009 and a reason about partial messages", code, reason)
	}
	// The first completes, and gives its share back.
	first.writeFrame(true, opContinuation, []byte("!"))
	if got := first.next(); got != string(half)+"!" {
		t.Fatalf("echo of %d bytes, want %d", len(got), len(half)+1)
	}
	if !eventually(func() bool { return s.partial.used.Load() == 0 }) {
		t.Fatalf("%d bytes still counted after the message completed", s.partial.used.Load())
	}
	third := dial(t, addr, "/ws/echo")
	third.writeFrame(false, opText, half)
	third.writeFrame(true, opContinuation, nil)
	if got := third.next(); got != string(half) {
		t.Fatalf("after the budget was given back: echo of %d bytes, want %d", len(got), len(half))
	}
}

func TestEchoCanBeTurnedOff(t *testing.T) {
	cfg := opsConfig()
	cfg.Echo = false
	_, addr := startHTTP(t, cfg)
	_, resp, err := tryDial(addr, "/ws/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	expectRefused(t, resp, http.StatusNotFound, "/ws/echo is turned off on this server (-echo=false)")
	join(t, addr, "alice") // the chat is on
}

func TestQuietConnectionParksWithoutANextFrame(t *testing.T) {
	s, addr := startServer(t, testConfig())
	if s.poller == nil {
		t.Skip("no poller on this system")
	}
	for _, tt := range []struct {
		name string
		dial func(t *testing.T) *wsClient
	}{
		{"after a message", func(t *testing.T) *wsClient {
			c := dial(t, addr, "/ws/chat?name=talker")
			c.next() // welcome
			c.sendText("hello")
			if got := c.next(); got != "talker: hello" {
				t.Fatalf("got %q", got)
			}
			return c
		}},
		{"after a message sent right behind the handshake", func(t *testing.T) *wsClient {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			key := [4]byte{1, 2, 3, 4}
			req := upgradeRequest(addr, "/ws/chat?name=eager", nil)
			nc.Write(append([]byte(req), clientFrame(true, opText, true, key, []byte("hi"))...))
			br := bufio.NewReader(nc)
			if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("handshake: %v %v", resp, err)
			}
			c := &wsClient{t: t, nc: nc, br: br, key: key}
			for c.next() != "eager: hi" {
			}
			return c
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.dial(t)
			defer c.nc.Close()
			// Quiet from now on: the connection parks parkAfter after its
			// message, with no frame to wake it first.
			start := time.Now()
			if !eventually(func() bool { return parkedCount(s) == 1 }) {
				t.Fatal("the connection did not park")
			}
			if took := time.Since(start); took < parkAfter/2 {
				t.Errorf("parked after %v, want about %v after the message", took, parkAfter)
			}
			c.sendText("again")
			c.next()
		})
	}
}

// parkedCount is how many of the server's connections are parked.
func parkedCount(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		c.mu.Lock()
		if c.parked {
			n++
		}
		c.mu.Unlock()
	}
	return n
}

func TestRequestHeaderLimitIs8KiB(t *testing.T) {
	_, addr := startHTTP(t, opsConfig())
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
	s := NewServer(cfg, nil)
	defer s.Shutdown(t.Context())
	r1 := &http.Request{RemoteAddr: "[2001:db8::1]:1000"}
	r2 := &http.Request{RemoteAddr: "[2001:db8::2]:1000"}
	if _, e := s.admit(clientIP(r1)); e != nil {
		t.Fatal(e.reason)
	}
	if _, e := s.admit(clientIP(r2)); e == nil || e.status != http.StatusTooManyRequests {
		t.Fatalf("a second address of the same /64: got %v, want 429", e)
	}
	s.release(clientIP(r1))
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
	cfg := opsConfig()
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
	// The oldest were closed; what is left is within the limits.
	if !eventually(func() bool {
		s.gate.mu.Lock()
		defer s.gate.mu.Unlock()
		return s.gate.waiting.Len() <= cfg.MaxHandshakes && s.gate.perAddr["127.0.0.1"] <= cfg.MaxHandshakesPerIP
	}) {
		t.Fatal("more connections waiting than the limits allow")
	}
	closed := 0
	for _, nc := range stuck {
		nc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := nc.Read(make([]byte, 1)); !isTimeout(err) {
			closed++
		}
	}
	if closed < 100-cfg.MaxHandshakes {
		t.Errorf("%d of the 100 stuck connections closed, want at least %d", closed, 100-cfg.MaxHandshakes)
	}
	scrapeUntil(t, addr, map[string]float64{"wschat_unfinished_requests_closed_total": float64(closed)})
}
