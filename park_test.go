package main

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

func TestQuietConnectionsParkAndWake(t *testing.T) {
	s, addr := startServer(t, testConfig())
	if s.poller == nil {
		skip(t, "no poller on this system")
	}
	const n = 50
	base := runtime.NumGoroutine()
	var ins []*inbox
	for i := range n {
		ins = append(ins, join(t, addr, fmt.Sprintf("u%d", i)))
	}
	// Every connection parks: the server holds no goroutine for any.
	allParked := eventually(func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.conns {
			c.mu.Lock()
			parked := c.parked
			c.mu.Unlock()
			if !parked {
				return false
			}
		}
		return len(s.conns) == n
	})
	if !allParked {
		t.Fatal("the connections did not all park")
	}
	// The clients' readers are goroutines of this process: one each.
	if extra := runtime.NumGoroutine() - base; extra > n+n/5 {
		t.Errorf("%d more goroutines for %d parked connections and their clients: the connections should hold none", extra, n)
	}

	// A message wakes its sender's connection, and reaches everyone.
	ins[0].c.sendText("hello")
	for _, in := range ins {
		for {
			if m := in.next(t); m == "u0: hello" {
				break
			}
		}
	}
	// Shutdown wakes every parked connection to close it.
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for i, in := range ins {
		for {
			m := in.next(t)
			if m == "CLOSE 1001 server shutting down" {
				break
			}
			if m == "EOF" {
				t.Fatalf("client %d: EOF without a close frame", i)
			}
		}
	}
}

func TestConnectionThatHasSaidNothingIsQuiet(t *testing.T) {
	// As in a process started a moment ago, where the clock that
	// lastMessage reads has barely begun.
	defer func(start time.Time) { processStart = start }(processStart)
	processStart = time.Now()
	c := newConn(nopConn{}, nil, &connConfig{}, nil)
	if !c.quiet() {
		t.Error("a connection whose peer has sent no message is not quiet: it would keep its goroutine for parkAfter")
	}
	c.lastMessage = now()
	if c.quiet() {
		t.Error("a connection whose peer has just spoken is quiet")
	}
}
