package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
	"wschat/internal/store"
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
		// Two nodes on one redis-server; clients are spread over both. A
		// restart stops both nodes and starts two new ones on the same
		// Redis.
		name: "redis",
		start: func(t *testing.T, cfg Config) *deployment {
			r := resptest.Start(t)
			cfg.Redis, cfg.RedisTTL = r.URL("", ""), 3*time.Second
			d := &deployment{}
			var nodes []*node
			run := func() {
				nodes, d.addrs, d.servers = nil, nil, nil
				for range 2 {
					n := startNode(t, cfg)
					nodes, d.addrs, d.servers = append(nodes, n), append(d.addrs, n.addr), append(d.servers, n.s)
				}
			}
			run()
			d.restart = func(t *testing.T) {
				for _, n := range nodes {
					n.shutdown(t)
				}
				run()
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
	// same data (-data, or Redis); nil where the chat keeps nothing
	// across a restart.
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
		return strings.HasSuffix(rest, " joined") || strings.HasSuffix(rest, " left") ||
			strings.HasSuffix(rest, " people here") || strings.HasSuffix(rest, " person here")
	}
	return strings.HasPrefix(m, `{"type":"join",`) || strings.HasPrefix(m, `{"type":"leave",`) || strings.HasPrefix(m, `{"type":"count",`)
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

// keepHistory sets how many messages a room keeps, and how many a
// newcomer is replayed.
func keepHistory(n, replay int) func(*testing.T, *Config) {
	return func(_ *testing.T, cfg *Config) { cfg.HistoryKeep, cfg.HistoryReplay = n, replay }
}

// contractSecret is the HS256 key of the tokens of tokensOn.
const contractSecret = "the contract suite's token key, 32 bytes or more"

// tokensOn turns tokens on with contractSecret (-jwt-key), which makes
// every name an account with a mailbox, on every engine: built-in
// accounts (-accounts) would need -data, which the memory engine is
// without.
func tokensOn(t *testing.T, cfg *Config) {
	cfg.JWTKey = filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(cfg.JWTKey, []byte(contractSecret), 0o600); err != nil {
		t.Fatal(err)
	}
}

// contractToken is a token for name, good for an hour.
func contractToken(t testing.TB, name string) string {
	return hs256(t, []byte(contractSecret), fmt.Sprintf(`{"sub":%q,"exp":%d}`, name, time.Now().Add(time.Hour).Unix()))
}

// withHistory is a live JSON message event as it is replayed: the same,
// marked as history.
func withHistory(live string) string {
	return strings.TrimSuffix(live, "}") + `,"history":true}`
}

// joinAsJSON connects to addr with query (name, since...) in the JSON
// format and returns the client with its first event, the welcome.
func joinAsJSON(t testing.TB, addr, query string) (*inbox, event) {
	t.Helper()
	in := listen(dial(t, addr, "/ws/chat?format=json&"+query))
	w := in.event(t)
	if w.Type != "welcome" {
		t.Fatalf("%s: got %+v, want a welcome", query, w)
	}
	return in, w
}

// sayLive sends each text from a JSON client, in a millisecond of its own
// so that no two ids share one, and returns each message's event as the
// room broadcast it, and its id.
func sayLive(t testing.TB, in *inbox, texts ...string) (events []string, ids []store.ID) {
	t.Helper()
	for _, text := range texts {
		if len(ids) > 0 {
			for last := ids[len(ids)-1].Ms; uint64(time.Now().UnixMilli()) <= last; {
				time.Sleep(100 * time.Microsecond)
			}
		}
		in.c.sendText(text)
		m := in.nextNotPresence(t)
		if !strings.HasPrefix(m, `{"type":"message",`) || !strings.Contains(m, `"text":"`+text+`"`) {
			t.Fatalf("got %q, want the message %q", m, text)
		}
		events = append(events, m)
		ids = append(ids, parseTestID(t, decodeEvent(t, m).ID))
	}
	return events, ids
}

// decodeEvent decodes a JSON event.
func decodeEvent(t testing.TB, m string) event {
	t.Helper()
	var e event
	if err := json.Unmarshal([]byte(m), &e); err != nil {
		t.Fatalf("got %q, want a JSON event: %v", m, err)
	}
	return e
}

// sameNames reports whether list, "a, b, c", names exactly want, in any
// order: each node lists its own members first.
func sameNames(list string, want ...string) bool {
	got := strings.Split(list, ", ")
	slices.Sort(got)
	return slices.Equal(got, slices.Sorted(slices.Values(want)))
}

// notRecoveredText is the notice to a text client whose since the room
// cannot answer in full.
const notRecoveredText = "some messages since you were last here could not be recovered: the room keeps only its latest"
