package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// The engines the contract suite (contract_test.go) runs its cases
// against, and what a case sees of them: a chat served by one node or
// several, and clients as a user's.

// contractEngine is one way of running the chat.
type contractEngine struct {
	name string
	// start runs the chat with cfg, for as long as the test runs.
	start func(t *testing.T, cfg Config) *deployment
	// exactKeep: a room keeps exactly -history-keep messages. Redis trims
	// a room's stream with XADD MAXLEN ~, whole blocks at a time, so it
	// keeps at least that many, and may keep more.
	exactKeep bool
}

// contractEngines is every engine the chat has, each as a user runs it.
var contractEngines = []contractEngine{
	{
		name:      "memory",
		start:     startSingleNode,
		exactKeep: true,
	},
	{
		name: "data",
		start: func(t *testing.T, cfg Config) *deployment {
			cfg.DataDir = t.TempDir()
			return startSingleNode(t, cfg)
		},
		exactKeep: true,
	},
	{
		// Two nodes on one redis-server; clients are spread over both.
		name: "redis",
		start: func(t *testing.T, cfg Config) *deployment {
			r := resptest.Start(t)
			cfg.Redis, cfg.RedisTTL = r.URL("", ""), 3*time.Second
			d := &deployment{}
			for range 2 {
				n := startNode(t, cfg)
				d.addrs, d.servers = append(d.addrs, n.addr), append(d.servers, n.s)
			}
			return d
		},
	},
}

// deployment is a running chat: its nodes and their addresses.
type deployment struct {
	addrs   []string
	servers []*Server
	// restart stops the chat as SIGTERM does and starts it again on the
	// same data; nil where the chat keeps nothing across a restart.
	restart func(t *testing.T)
}

// node returns the address the i-th client connects to: clients are
// spread over the nodes in turn.
func (d *deployment) node(i int) string { return d.addrs[i%len(d.addrs)] }

// startSingleNode runs one server for cfg; with a data directory it can
// be restarted on it.
func startSingleNode(t *testing.T, cfg Config) *deployment {
	d := &deployment{}
	var stop func()
	run := func() {
		s := newTestServer(t, cfg, slog.New(slog.DiscardHandler))
		hs := httptest.NewServer(s)
		d.addrs, d.servers = []string{strings.TrimPrefix(hs.URL, "http://")}, []*Server{s}
		stop = func() {
			hs.Close()
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			if err := s.Shutdown(ctx); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		}
	}
	run()
	t.Cleanup(func() { stop() })
	if cfg.DataDir != "" {
		d.restart = func(t *testing.T) {
			stop()
			run()
		}
	}
	return d
}

// isPresenceNotice reports whether m tells that someone joined or left a
// room, in either format. On several nodes such a notice from another
// node comes when that node's announcement arrives, so cases about
// something else skip them.
func isPresenceNotice(m string) bool {
	if rest, ok := strings.CutPrefix(m, "* "); ok {
		return strings.HasSuffix(rest, " joined") || strings.HasSuffix(rest, " left")
	}
	return strings.HasPrefix(m, `{"type":"join",`) || strings.HasPrefix(m, `{"type":"leave",`)
}

// nextNotPresence waits for the next message that is not a presence
// notice.
func (in *inbox) nextNotPresence(t testing.TB) string {
	t.Helper()
	for {
		if m := in.next(t); !isPresenceNotice(m) {
			return m
		}
	}
}

// expectNotPresence waits for the next message that is not a presence
// notice and checks it is want.
func (in *inbox) expectNotPresence(t testing.TB, want string) {
	t.Helper()
	if got := in.nextNotPresence(t); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// nothingMore checks that in, whose name is name, has been sent nothing
// but presence notices: a private message to itself, which reaches no one
// else, must be the next thing it hears. In the JSON format the marker
// comes back as a private event.
func (in *inbox) nothingMore(t testing.TB, name string) {
	t.Helper()
	marker := "marker " + strconv.FormatInt(time.Now().UnixNano(), 36)
	in.c.sendText("/msg " + name + " " + marker)
	m := in.nextNotPresence(t)
	if m != name+" → "+name+": "+marker && !(strings.HasPrefix(m, `{"type":"private",`) && strings.Contains(m, `"text":"`+marker+`"`)) {
		t.Fatalf("got %q, want nothing before the marker %q", m, marker)
	}
}

// closeAndWait closes in's connection with 1000 and waits until the
// server has hung up. The chat takes the participant out as the
// connection ends, just after: what follows from that (a name free
// again, a room emptier) is polled for with answersUntil or eventually.
func (in *inbox) closeAndWait(t testing.TB) {
	t.Helper()
	in.c.writeFrame(true, opClose, closePayload(closeNormal, ""))
	for {
		if m := in.next(t); m == "EOF" {
			return
		}
	}
}

// answersUntil sends cmd from in until the answer, the next message that
// is not a presence notice, is want; it fails the test if that never
// happens within testTimeout.
func (in *inbox) answersUntil(t testing.TB, cmd, want string) {
	t.Helper()
	var got string
	if !eventually(func() bool {
		in.c.sendText(cmd)
		got = in.nextNotPresence(t)
		return got == want
	}) {
		t.Fatalf("%s: got %q, want %q", cmd, got, want)
	}
}

// roomList reads a /who answer, "* in ROOM (N): a, b", as the room, the
// count and the names sorted: the order of names is each node's own
// (its members first), the set and the count are everyone's.
func roomList(t testing.TB, line string) (room string, count int, names []string) {
	t.Helper()
	rest, ok := strings.CutPrefix(line, "* in ")
	head, list, ok2 := strings.Cut(rest, "): ")
	room, n, ok3 := strings.Cut(head, " (")
	count, err := strconv.Atoi(n)
	if !ok || !ok2 || !ok3 || err != nil {
		t.Fatalf("got %q, want a /who answer", line)
	}
	names = strings.Split(list, ", ")
	slices.Sort(names)
	return room, count, names
}
