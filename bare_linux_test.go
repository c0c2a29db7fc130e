package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
)

// TestParkedConnectionsKeepABareSocket checks what a parked connection
// without its net.Conn still does as a person expects: it hears the room
// without waking, wakes to talk, is counted out when the peer hangs up,
// is closed by a shutdown, and a peer that stops reading still gets every
// message, in order, once it reads again. Each case starts with two
// participants parked, and checks that they hold one descriptor each.
func TestParkedConnectionsKeepABareSocket(t *testing.T) {
	for _, tc := range []struct {
		name string
		// deaf: a reads nothing until the case listens, with a receive
		// buffer of 256 KiB, so that the server's writes to it fill up.
		deaf bool
		run  func(t *testing.T, s *Server, a, b *inbox, ca *Conn)
	}{
		{"a broadcast reaches it without waking it", false, func(t *testing.T, s *Server, a, b *inbox, ca *Conn) {
			id := pollIDOf(ca)
			b.c.sendText("hi")
			a.expect(t, "b: hi")
			b.await(t, "b: hi")
			if !eventually(func() bool { return bareParked(ca) }) || pollIDOf(ca) != id {
				t.Error("hearing a message woke the parked connection")
			}
		}},
		{"it wakes to talk, and hears after", false, func(t *testing.T, s *Server, a, b *inbox, ca *Conn) {
			a.c.sendText("hello")
			a.expect(t, "a: hello")
			b.await(t, "a: hello")
			b.c.sendText("back")
			a.expect(t, "b: back")
		}},
		{"a peer that hangs up is counted out", false, func(t *testing.T, s *Server, a, b *inbox, ca *Conn) {
			before := openFDs(t)
			a.c.nc.Close()
			if !eventually(func() bool { return s.metrics.connections.Load() == 1 && openFDs(t) == before-2 }) {
				t.Errorf("%d connections and %d more descriptors than the open ones after a peer hung up",
					s.metrics.connections.Load(), openFDs(t)-(before-2))
			}
			b.await(t, "* a left")
		}},
		{"a shutdown closes it", false, func(t *testing.T, s *Server, a, b *inbox, ca *Conn) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			if err := s.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			a.await(t, "CLOSE 1001 server shutting down")
			b.await(t, "CLOSE 1001 server shutting down")
		}},
		{"a peer that stops reading gets everything once it reads", true, func(t *testing.T, s *Server, a, b *inbox, ca *Conn) {
			// More than the loopback socket's buffers take, which grow
			// to 4 MiB.
			const n = 100
			big := strings.Repeat("x", 60<<10)
			for i := range n {
				b.c.sendText(fmt.Sprint(i, big))
				b.await(t, fmt.Sprint("b: ", i, big))
			}
			// The socket is full: a writer goroutine waits on it, with the
			// connection's net.Conn back.
			if !eventually(func() bool {
				ca.mu.Lock()
				defer ca.mu.Unlock()
				return ca.nc != nil && ca.scheduled
			}) {
				t.Fatal("the peer's socket never filled: the case tests nothing")
			}
			a = listen(a.c)
			a.await(t, fmt.Sprint("b: ", 0, big))
			for i := 1; i < n; i++ {
				if m := a.next(t); m != fmt.Sprint("b: ", i, big) {
					t.Fatalf("message %d: got %.20q…, want it whole and in order", i, m)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			if tc.deaf {
				cfg.MaxQueue = 64 << 20            // the sender must not wait for a
				cfg.WriteTimeout = 3 * testTimeout // nor drop it while it is deaf
			}
			s, addr := startServer(t, cfg)
			if s.poller == nil {
				skip(t, "no poller on this system")
			}
			base := openFDs(t)
			a := &inbox{c: dial(t, addr, "/ws/chat?name=a")}
			if tc.deaf {
				a.c.nc.(*net.TCPConn).SetReadBuffer(256 << 10)
			} else {
				a = listen(a.c)
				if w := a.next(t); !strings.HasPrefix(w, "* welcome, a!") {
					t.Fatalf("got %q, want a welcome", w)
				}
			}
			if !eventually(func() bool { return s.metrics.connections.Load() == 1 }) {
				t.Fatal("a's connection is not counted")
			}
			b := join(t, addr, "b")
			if !tc.deaf {
				a.expect(t, "* b joined")
			}
			ca, cb := connOf(t, s, 0), connOf(t, s, 1)
			if !eventually(func() bool { return bareParked(ca) && bareParked(cb) }) {
				t.Fatal("the connections did not park without their net.Conn")
			}
			// Each side of each connection: one descriptor, none for the
			// runtime's poller.
			if got := openFDs(t) - base; got != 4 {
				t.Errorf("%d descriptors for two parked connections and their clients, want 4", got)
			}
			tc.run(t, s, a, b, ca)
		})
	}
}

// bareParked reports whether c is parked without its net.Conn, and not
// writing.
func bareParked(c *Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.parked && c.nc == nil && !c.scheduled
}

// pollIDOf is the id c is parked under: a new one each time it parks.
func pollIDOf(c *Conn) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pollID
}

// connOf is the i-th connection s tracks.
func connOf(t *testing.T, s *Server, i int) *Conn {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= len(s.conns) {
		t.Fatalf("the server has %d connections, not %d", len(s.conns), i+1)
	}
	return s.conns[i]
}

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds) - 1 // the directory read itself
}

// BenchmarkDetachAttach measures what parking without the net.Conn adds
// to a park and a wake: duplicating the descriptor and closing the
// net.Conn, then making a net.Conn of the descriptor again.
//
//	go test -run '^$' -bench DetachAttach
func BenchmarkDetachAttach(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer peer.Close()
	nc, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	c := &Conn{nc: nc, raw: rawConn(nc)}
	defer func() { c.nc.Close() }()
	for b.Loop() {
		if !c.detachLocked() {
			b.Fatal("could not detach")
		}
		c.attachLocked()
	}
	if _, ok := c.nc.(*net.TCPConn); !ok {
		b.Fatalf("attached as %T", c.nc)
	}
}
