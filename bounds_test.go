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
			c := newConn(nopConn{}, nil, &connConfig{maxQueue: maxQueue, writeTimeout: time.Second, closeTimeout: time.Second}, nil)
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
	if c.rare == nil {
		return 0, ""
	}
	if ce, ok := c.rare.cause.(*CloseError); ok {
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
		for _, c := range s.conns {
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
	cfg := testConfig()
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
		skip(t, "no poller on this system")
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
	for _, c := range s.conns {
		c.mu.Lock()
		if c.parked {
			n++
		}
		c.mu.Unlock()
	}
	return n
}
