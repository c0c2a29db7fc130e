package resp

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// do runs a command that must succeed.
func do(t *testing.T, c *Client, args ...string) Value {
	t.Helper()
	v, err := c.Do(ctxT(t), args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

// TestCommands runs each kind of command a chat node needs, in RESP3 and
// in RESP2 (a server without HELLO), and checks what comes back.
func TestCommands(t *testing.T) {
	for _, proto := range []int{3, 2} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			var extra []string
			if proto == 2 {
				extra = []string{"--rename-command", "HELLO", ""}
			}
			srv := resptest.Start(t, extra...)
			c := dial(t, srv.URL("", ""), Options{})
			if got := c.State().Protocol; got != proto {
				t.Fatalf("protocol %d, want %d", got, proto)
			}
			hashKind := map[int]Kind{3: Map, 2: Array}[proto]
			tests := []struct {
				name  string
				args  []string
				check func(Value) error
			}{
				{"SET", []string{"SET", "k", "v\r\n\x00"}, str("OK")},
				{"GET", []string{"GET", "k"}, str("v\r\n\x00")},
				{"GET missing", []string{"GET", "nokey"}, isNull},
				{"SET with expiry", []string{"SET", "name:alice", "node1", "NX", "PX", "60000"}, str("OK")},
				{"SET NX taken", []string{"SET", "name:alice", "node2", "NX"}, isNull},
				{"INCR", []string{"INCR", "n"}, integer(1)},
				{"INCR again", []string{"INCR", "n"}, integer(2)},
				{"XADD", []string{"XADD", "room:1", "MAXLEN", "~", "100", "1-1", "text", "hi"}, str("1-1")},
				{"XRANGE", []string{"XRANGE", "room:1", "-", "+"}, xrange("1-1", "text", "hi")},
				{"HSET", []string{"HSET", "h", "a", "1", "b", "2"}, integer(2)},
				{"HGETALL", []string{"HGETALL", "h"}, hash(hashKind, map[string]string{"a": "1", "b": "2"})},
				{"DEL", []string{"DEL", "k", "n", "h"}, integer(3)},
				{"GET deleted", []string{"GET", "k"}, isNull},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if err := tt.check(do(t, c, tt.args...)); err != nil {
						t.Errorf("%q: %v", tt.args, err)
					}
				})
			}
		})
	}
}

func str(want string) func(Value) error {
	return func(v Value) error {
		if (v.Kind() != SimpleString && v.Kind() != BulkString) || v.Str() != want {
			return fmt.Errorf("got %s %q, want %q", v.Kind(), v.Str(), want)
		}
		return nil
	}
}

func integer(want int64) func(Value) error {
	return func(v Value) error {
		if v.Kind() != Integer || v.Int() != want {
			return fmt.Errorf("got %s %d, want integer %d", v.Kind(), v.Int(), want)
		}
		return nil
	}
}

func isNull(v Value) error {
	if !v.IsNull() {
		return fmt.Errorf("got %s %q, want null", v.Kind(), v.Str())
	}
	return nil
}

// xrange checks a stream of one entry: [[id, [field, value]]].
func xrange(id, field, value string) func(Value) error {
	return func(v Value) error {
		if v.Len() != 1 || v.Elems()[0].Len() != 2 {
			return fmt.Errorf("got %s of %d, want one entry", v.Kind(), v.Len())
		}
		e := v.Elems()[0].Elems()
		fv := e[1].Elems()
		if e[0].Str() != id || len(fv) != 2 || fv[0].Str() != field || fv[1].Str() != value {
			return fmt.Errorf("got entry %q %v", e[0].Str(), fv)
		}
		return nil
	}
}

func hash(kind Kind, want map[string]string) func(Value) error {
	return func(v Value) error {
		m, ok := v.StringMap()
		if v.Kind() != kind || !ok || len(m) != len(want) {
			return fmt.Errorf("got %s of %d, want %s of %d", v.Kind(), v.Len(), kind, len(want))
		}
		for k, w := range want {
			if m[k].Str() != w {
				return fmt.Errorf("%s = %q, want %q", k, m[k].Str(), w)
			}
		}
		return nil
	}
}

// TestErrorReply checks that an error reply is an *Error the caller can
// inspect, not a network error, and that the connection goes on.
func TestErrorReply(t *testing.T) {
	srv := resptest.Start(t)
	c := dial(t, srv.URL("", ""), Options{})
	do(t, c, "SET", "s", "x")
	tests := []struct {
		name   string
		args   []string
		prefix string
	}{
		{"wrong type", []string{"LPUSH", "s", "y"}, "WRONGTYPE"},
		{"unknown command", []string{"NOSUCHCOMMAND"}, "ERR"},
		{"wrong arity", []string{"GET"}, "ERR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := c.Do(ctxT(t), tt.args...)
			var rerr *Error
			if !errors.As(err, &rerr) || rerr.Prefix() != tt.prefix {
				t.Fatalf("got %v, want an *Error %s", err, tt.prefix)
			}
			if errors.Is(err, ErrDisconnected) || v.Kind() != SimpleError {
				t.Errorf("error reply looks like a network failure: %v, value %s", err, v.Kind())
			}
			if got := do(t, c, "GET", "s").Str(); got != "x" {
				t.Errorf("after the error, GET gives %q", got)
			}
		})
	}
}

// TestSelect checks that the URL's database number selects it.
func TestSelect(t *testing.T) {
	srv := resptest.Start(t)
	db3 := dial(t, srv.URL("", "/3"), Options{})
	db0 := dial(t, srv.URL("", ""), Options{})
	do(t, db3, "SET", "k", "in 3")
	if v := do(t, db0, "GET", "k"); !v.IsNull() {
		t.Errorf("db 0 sees %q", v.Str())
	}
	if got := do(t, db3, "GET", "k").Str(); got != "in 3" {
		t.Errorf("db 3 gives %q", got)
	}
}

// TestPipelining runs many goroutines on one client and checks every
// reply reaches its own caller.
func TestPipelining(t *testing.T) {
	srv := resptest.Start(t)
	c := dial(t, srv.URL("", ""), Options{})
	const workers, calls = 50, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				want := fmt.Sprintf("w%d-%d", w, i)
				v, err := c.Do(context.Background(), "ECHO", want)
				if err != nil || v.Str() != want {
					errs <- fmt.Errorf("ECHO %s: got %q, %v", want, v.Str(), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestStartPipelines sends commands one after another without waiting
// for replies: they run in the order they were started, each reply goes
// to its own command, and a Start that cannot send says why when waited on.
func TestStartPipelines(t *testing.T) {
	srv := resptest.Start(t)
	c := dial(t, srv.URL("", ""), Options{})
	const n = 500
	waits := make([]func(context.Context) (Value, error), n)
	for i := range waits {
		waits[i] = c.Start(ctxT(t), "RPUSH", "list", strconv.Itoa(i))
	}
	for i, wait := range waits {
		if v, err := wait(ctxT(t)); err != nil || v.Int() != int64(i+1) {
			t.Fatalf("RPUSH %d: got %v, %v; want the list's length %d", i, v.Format(), err, i+1)
		}
	}
	got := do(t, c, "LRANGE", "list", "0", "-1").Elems()
	for i, v := range got {
		if v.Str() != strconv.Itoa(i) {
			t.Fatalf("element %d is %q: the commands ran out of order", i, v.Str())
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command"},
		{"push mode", []string{"SUBSCRIBE", "x"}, "not for Do"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.Start(ctxT(t), tc.args...)(ctxT(t)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	t.Run("ended context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := c.Start(ctx, "PING")(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})
	t.Run("closed client", func(t *testing.T) {
		c.Close()
		if _, err := c.Start(ctxT(t), "PING")(ctxT(t)); !errors.Is(err, ErrClosed) {
			t.Fatalf("got %v, want ErrClosed", err)
		}
	})
}

// TestRestart kills redis under a client and a subscription: the call in
// flight fails, the client reconnects by itself and reports its state, and
// the subscription resumes and reports the gap.
func TestRestart(t *testing.T) {
	srv := resptest.Start(t)
	states, onState := recordStates()
	c := dial(t, srv.URL("", ""), Options{OnState: onState})
	expectState(t, states, true)
	sub, err := c.Subscribe(ctxT(t), "room")
	if err != nil {
		t.Fatal(err)
	}
	inFlight := make(chan error)
	go func() {
		_, err := c.Do(context.Background(), "BLPOP", "nothing", "0")
		inFlight <- err
	}()
	// BLPOP holds the shared connection: look from another one.
	watcher := dial(t, srv.URL("", ""), Options{})
	waitFor(t, 5*time.Second, "blocked in BLPOP", func() bool {
		v, err := watcher.Do(ctxT(t), "INFO", "clients")
		return err == nil && strings.Contains(v.Str(), "blocked_clients:1")
	})

	srv.Stop()
	if err := <-inFlight; !errors.Is(err, ErrDisconnected) {
		t.Errorf("call in flight: got %v, want ErrDisconnected", err)
	}
	expectState(t, states, false)
	if c.Connected() {
		t.Error("Connected() with the server down")
	}
	srv.Start()
	expectState(t, states, true)
	if got := do(t, c, "PING").Str(); got != "PONG" {
		t.Errorf("PING after restart: %q", got)
	}
	expectEvent(t, sub, Event{Kind: EventReconnected})
	do(t, c, "PUBLISH", "room", "after")
	expectEvent(t, sub, Event{Kind: EventMessage, Channel: "room", Payload: []byte("after")})
}

// recordStates returns a channel of the states a client reports, for
// Options.OnState, which must not block: past 1000 states it drops them.
func recordStates() (<-chan State, func(State)) {
	states := make(chan State, 1000)
	return states, func(s State) {
		select {
		case states <- s:
		default:
		}
	}
}

// expectState waits for the next state with the given Connected, skipping
// repeated failures of reconnection attempts.
func expectState(t *testing.T, states <-chan State, connected bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-states:
			if s.Connected == connected {
				return
			}
		case <-deadline:
			t.Fatalf("no state Connected=%v within 10 s", connected)
		}
	}
}

// TestCloseLeavesNothing checks that Close ends every goroutine of the
// client and its subscriptions, and that later calls fail.
func TestCloseLeavesNothing(t *testing.T) {
	srv := resptest.Start(t)
	before := runtime.NumGoroutine()
	c, err := Dial(ctxT(t), srv.URL("", ""), Options{})
	if err != nil {
		t.Fatal(err)
	}
	do(t, c, "SET", "a", "b")
	s1, err := c.Subscribe(ctxT(t), "x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subscribe(ctxT(t), "y", "z"); err != nil {
		t.Fatal(err)
	}
	s1.Close()
	c.Close()
	goroutinesBack(t, before)
	if _, err := c.Do(ctxT(t), "PING"); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close: %v, want ErrClosed", err)
	}
	if _, err := c.Subscribe(ctxT(t), "x"); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want ErrClosed", err)
	}
}

// TestPushModeRefused checks that Do refuses commands whose replies would
// no longer match commands one to one, and that the client goes on.
func TestPushModeRefused(t *testing.T) {
	fake := startFake(t, okServer)
	c := dial(t, fake.url(), Options{})
	for _, cmd := range []string{"SUBSCRIBE", "psubscribe", "Monitor"} {
		t.Run(cmd, func(t *testing.T) {
			if _, err := c.Do(ctxT(t), cmd, "x"); err == nil || !strings.Contains(err.Error(), "not for Do") {
				t.Errorf("got %v, want a refusal", err)
			}
			if got := do(t, c, "SET", "k", "v").Str(); got != "OK" {
				t.Errorf("SET after the refusal: %q", got)
			}
		})
	}
}
