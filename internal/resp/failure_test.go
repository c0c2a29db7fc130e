package resp

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// TestHostileServer checks that a server sending malformed or oversized
// replies fails the call with a protocol error, and that the client then
// reconnects and goes on.
func TestHostileServer(t *testing.T) {
	tests := []struct {
		name  string
		reply string
		want  string
	}{
		{"negative length", "$-5\r\n", "length"},
		{"bulk over the limit", "$2000000\r\n", "exceeds the limit"},
		{"array over the limit", "*5000\r\n", "elements"},
		{"missing CRLF", "+OK\n", "CRLF"},
		{"too deep", strings.Repeat("*1\r\n", 100), "deeper"},
		{"unknown type", "@x\r\n", "unknown type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := startFake(t, func(cmd []Value) string {
				if cmd[0].Str() == "GET" {
					return tt.reply
				}
				return okServer(cmd)
			})
			c := dial(t, fake.url(), Options{Limits: Limits{MaxBulk: 1 << 20, MaxElems: 1000}})
			_, err := c.Do(ctxT(t), "GET", "k")
			if !errors.Is(err, ErrProtocol) || !errors.Is(err, ErrDisconnected) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a protocol error about %q", err, tt.want)
			}
			if v, err := c.Do(ctxT(t), "SET", "k", "v"); err != nil || v.Str() != "OK" {
				t.Errorf("after reconnecting: %q, %v", v.Str(), err)
			}
		})
	}
}

// TestDoWhileDown checks that a call made while the server is down waits
// for its context and says why it could not run.
func TestDoWhileDown(t *testing.T) {
	fake := startFake(t, okServer)
	states, onState := recordStates()
	c := dial(t, fake.url(), Options{OnState: onState})
	expectState(t, states, true)
	fake.close()
	expectState(t, states, false)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Do(ctx, "PING")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "waiting for a connection") {
		t.Errorf("got %v, want a deadline while waiting for a connection", err)
	}
}

// TestCloseWhileReconnecting checks that Close ends a client whose server
// is gone, with its subscription, leaving no goroutine.
func TestCloseWhileReconnecting(t *testing.T) {
	srv := resptest.Start(t)
	before := runtime.NumGoroutine()
	states, onState := recordStates()
	c, err := Dial(ctxT(t), srv.URL("", ""), Options{OnState: onState})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.Subscribe(ctxT(t), "x")
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	expectState(t, states, false)
	c.Close()
	if _, ok := <-sub.Events(); ok {
		t.Error("events still open after Close")
	}
	goroutinesBack(t, before)
}

// TestAbandonedCall checks that a call whose context ends before its
// reply does not shift the replies of the calls after it.
func TestAbandonedCall(t *testing.T) {
	srv := resptest.Start(t)
	c := dial(t, srv.URL("", ""), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Do(ctx, "BLPOP", "nothing", "0.3"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("BLPOP: got %v, want the deadline", err)
	}
	if got := do(t, c, "ECHO", "mine").Str(); got != "mine" {
		t.Errorf("ECHO after an abandoned call got %q", got)
	}
}
