package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestChatFanOutSameOrderEverywhere(t *testing.T) {
	_, addr := startServer(t, testConfig())
	const clients, perClient = 8, 50
	var ins []*inbox
	for i := range clients {
		ins = append(ins, join(t, addr, fmt.Sprintf("user%d", i)))
		for _, earlier := range ins[:i] {
			earlier.expect(t, fmt.Sprintf("* user%d joined", i))
		}
	}
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			for j := range perClient {
				in.c.nc.Write(clientFrame(true, opText, true, in.c.key, fmt.Appendf(nil, "m%d", j)))
			}
		})
		_ = i
	}
	wg.Wait()

	// Every client, senders included, sees all messages; the sequence is
	// the same for all, and each sender's own order is kept.
	var first []string
	for i, in := range ins {
		var got []string
		lastFrom := map[string]int{}
		for range clients * perClient {
			m := in.next(t)
			name, text, ok := strings.Cut(m, ": ")
			if !ok {
				t.Fatalf("client %d: got %q, want name: text", i, m)
			}
			var n int
			fmt.Sscanf(text, "m%d", &n)
			if prev, seen := lastFrom[name]; seen && n != prev+1 {
				t.Fatalf("client %d: %s's m%d came after m%d", i, name, n, prev)
			}
			lastFrom[name] = n
			got = append(got, m)
		}
		if i == 0 {
			first = got
			continue
		}
		for k := range got {
			if got[k] != first[k] {
				t.Fatalf("client %d saw %q at position %d where client 0 saw %q", i, got[k], k, first[k])
			}
		}
	}
}

func TestChatHelloReachesEveryoneSenderIncluded(t *testing.T) {
	_, addr := startServer(t, testConfig())
	alice := join(t, addr, "Alice")
	bob := join(t, addr, "Bob")
	alice.expect(t, "* Bob joined")
	alice.c.sendText("Hello!")
	alice.expect(t, "Alice: Hello!")
	bob.expect(t, "Alice: Hello!")
}

func TestChatWelcomeListsWhoIsOnline(t *testing.T) {
	_, addr := startServer(t, testConfig())
	join(t, addr, "alice")
	bob := listen(dial(t, addr, "/ws/chat?name=bob"))
	bob.expect(t, "* welcome, bob! 2 online: alice, bob")
	carol := listen(dial(t, addr, "/ws/chat?name=carol&format=json"))
	carol.expectWelcome(t, `{"type":"welcome","room":"lobby","name":"carol","online":["alice","bob","carol"],"count":3}`)
}

func TestChatJSONFormat(t *testing.T) {
	_, addr := startServer(t, testConfig())
	alice := listen(dial(t, addr, "/ws/chat?name=alice&format=json"))
	alice.expectWelcome(t, `{"type":"welcome","room":"lobby","name":"alice","online":["alice"],"count":1}`)
	bob := join(t, addr, "bob")
	alice.expect(t, `{"type":"join","room":"lobby","name":"bob"}`)
	before := time.Now().UTC().Truncate(time.Millisecond)
	bob.c.sendText(`say "hi" <b>`)
	bob.expect(t, `bob: say "hi" <b>`)
	m := alice.event(t)
	after := time.Now().UTC()
	at, err := time.Parse(time.RFC3339, m.Time)
	if err != nil || at.Before(before) || at.After(after) || !strings.HasSuffix(m.Time, "Z") {
		t.Errorf("time %q: want RFC 3339 in UTC between %v and %v (%v)", m.Time, before, after, err)
	}
	if want := fmt.Sprintf("%d-0", at.UnixMilli()); m.ID != want {
		t.Errorf("id %q, want %q: the millisecond of its time, then a count", m.ID, want)
	}
	m.ID, m.Time = "", ""
	if want := (event{Type: "message", Room: "lobby", Name: "bob", Text: `say "hi" <b>`}); !reflect.DeepEqual(m, want) {
		t.Errorf("got %+v, want %+v", m, want)
	}
	bob.c.writeFrame(true, opClose, closePayload(closeNormal, ""))
	alice.expect(t, `{"type":"leave","room":"lobby","name":"bob"}`)
}

func TestChatJoinAndLeaveNoticesExactlyOnce(t *testing.T) {
	tests := []struct {
		name  string
		leave func(c *wsClient)
	}{
		{"close frame", func(c *wsClient) { c.writeFrame(true, opClose, closePayload(closeNormal, "bye")) }},
		{"TCP closed without a close frame", func(c *wsClient) { c.nc.Close() }},
		{"protocol error", func(c *wsClient) { c.writeRaw(clientFrame(true, opText, false, c.key, []byte("x"))) }},
		{"binary message", func(c *wsClient) { c.writeFrame(true, opBinary, []byte{1}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, addr := startServer(t, testConfig())
			alice := join(t, addr, "alice")
			bob := join(t, addr, "bob")
			alice.expect(t, "* bob joined")
			tt.leave(bob.c)
			alice.expect(t, "* bob left")
			// Nothing about bob follows: the next thing alice hears is her own message.
			alice.c.sendText("still here")
			alice.expect(t, "alice: still here")
		})
	}
}

func TestChatRefusesBadNames(t *testing.T) {
	tests := []struct {
		name, query, reason string
	}{
		{"missing", "", "bad-name: name is required: connect to /ws/chat?name=yourname"},
		{"empty", "?name=", "bad-name: name is required: connect to /ws/chat?name=yourname"},
		{"only spaces", "?name=%20%20", "bad-name: name is required: connect to /ws/chat?name=yourname"},
		{"too long", "?name=" + strings.Repeat("a", 33), "bad-name: name is too long: at most 32 characters"},
		{"space inside", "?name=a%20b", `bad-name: name may use only letters, digits, "_", "-" and "."`},
		{"star", "?name=*alice", `bad-name: name may use only letters, digits, "_", "-" and "."`},
		{"colon", "?name=a:b", `bad-name: name may use only letters, digits, "_", "-" and "."`},
		{"newline", "?name=a%0Ab", `bad-name: name may use only letters, digits, "_", "-" and "."`},
		{"taken", "?name=alice", `name-taken: name "alice" is taken: choose another`},
		{"taken, other case", "?name=ALICE", `name-taken: name "ALICE" is taken: choose another`},
		{"taken, trimmed", "?name=%20alice%20", `name-taken: name "alice" is taken: choose another`},
		{"unknown format", "?name=zed&format=xml", `bad-request: format must be "text" (the default) or "json"`},
	}
	_, addr := startServer(t, testConfig())
	join(t, addr, "alice")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, addr, "/ws/chat"+tt.query)
			code, reason := c.expectClose()
			if code != closePolicyViolation || reason != tt.reason {
				t.Errorf("got close %d %q, want %d %q", code, reason, closePolicyViolation, tt.reason)
			}
		})
	}
}

func TestChatAcceptsUnicodeNames(t *testing.T) {
	_, addr := startServer(t, testConfig())
	for _, name := range []string{"Zoë", "李小龙", "a_b-c.d", strings.Repeat("é", 32)} {
		join(t, addr, name)
	}
	c := dial(t, addr, "/ws/chat?name=ZOË")
	if code, _ := c.expectClose(); code != closePolicyViolation {
		t.Errorf("ZOË after Zoë: got %d, want %d", code, closePolicyViolation)
	}
}

func TestChatClosesOnBinaryAndOversizedMessages(t *testing.T) {
	tests := []struct {
		name    string
		op      opcode
		payload []byte
		code    closeCode
		reason  string
	}{
		{"binary", opBinary, []byte("hi"), closeUnsupportedData, "binary messages are not supported: the chat takes text"},
		{"over the limit", opText, bytes.Repeat([]byte("a"), 64<<10+1), closeMessageTooBig, "message too big: the limit is 65536 bytes"},
		{"invalid UTF-8", opText, []byte{'a', 0xff}, closeInvalidPayload, "text message is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, addr := startServer(t, testConfig())
			c := dial(t, addr, "/ws/chat?name=alice")
			c.next() // welcome
			c.writeFrame(true, tt.op, tt.payload)
			if code, reason := c.expectClose(); code != tt.code || reason != tt.reason {
				t.Errorf("got close %d %q, want %d %q", code, reason, tt.code, tt.reason)
			}
		})
	}
}

func TestChatIgnoresBlankMessages(t *testing.T) {
	_, addr := startServer(t, testConfig())
	alice := join(t, addr, "alice")
	for _, blank := range []string{"", " ", "\t\n", "\u00a0\u2003"} {
		alice.c.sendText(blank)
	}
	alice.c.sendText("x")
	alice.expect(t, "alice: x")
}

func TestChatTextCannotPoseAsSomeoneElse(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"newline", "hi\nbob: I owe alice 100", "mallory: hi bob: I owe alice 100"},
		{"CRLF notice", "hi\r\n* bob left", "mallory: hi * bob left"},
		{"leading newline", "\n* server restarting", "mallory: * server restarting"},
		{"line separator", "hi\u2028bob: x", "mallory: hi bob: x"},
		{"paragraph separator", "hi\u2029bob: x", "mallory: hi bob: x"},
		{"right-to-left override", "\u202exob :olleh", "mallory: xob :olleh"},
		{"escape sequence", "\x1b[2K\rbob: x", "mallory: [2K bob: x"},
		{"next line (C1)", "hi\u0085bob: x", "mallory: hi bob: x"},
	}
	_, addr := startServer(t, testConfig())
	alice := join(t, addr, "alice")
	mallory := join(t, addr, "mallory")
	alice.expect(t, "* mallory joined")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mallory.c.sendText(tt.text)
			mallory.expect(t, tt.want)
			alice.expect(t, tt.want)
		})
	}
}

func TestChatDropsStalledReaderOnly(t *testing.T) {
	_, addr := startServer(t, testConfig())
	sender := join(t, addr, "sender")
	var readers []*inbox
	for i := range 3 {
		readers = append(readers, join(t, addr, fmt.Sprintf("reader%d", i)))
	}
	// The stalled client joins, then never reads again: its socket and
	// then its outbox fill up.
	stalled := dial(t, addr, "/ws/chat?name=stalled")
	stalled.next()
	everyone := append([]*inbox{sender}, readers...)
	for _, in := range everyone {
		for in.next(t) != "* stalled joined" {
		}
	}

	// Far more than the outbox (4 MiB) and the kernel's socket buffers on
	// both sides hold, but readers that keep up never fall that far behind.
	const n = 20000
	text := strings.Repeat("x", 1000)
	sender.c.nc.SetWriteDeadline(time.Time{}) // 20 MB may take longer than dial's deadline under -race
	go func() {
		for i := range n {
			if _, err := sender.c.nc.Write(clientFrame(true, opText, true, sender.c.key, fmt.Appendf(nil, "%d %s", i, text))); err != nil {
				t.Errorf("sender: write %d: %v", i, err)
				return
			}
		}
	}()
	var dropped *inbox // the stalled client, reading again once it is dropped
	for _, in := range everyone {
		next, left := 0, false
		for next < n {
			m := in.next(t)
			if m == "* stalled left" {
				left = true
				if dropped == nil {
					dropped = listen(stalled)
				}
				continue
			}
			if want := fmt.Sprintf("sender: %d %s", next, text); m != want {
				t.Fatalf("got %.30q, want %.30q", m, want)
			}
			next++
		}
		if !left {
			if m := in.next(t); m != "* stalled left" {
				t.Fatalf("after all messages: got %.30q, want the stalled client to leave", m)
			}
			if dropped == nil {
				dropped = listen(stalled)
			}
		}
	}
	// What it had been sent before the drop, then the reason.
	for {
		m := dropped.next(t)
		if strings.HasPrefix(m, "sender: ") || strings.HasPrefix(m, "* ") {
			continue
		}
		if want := "CLOSE 1008 too slow: messages piled up faster than the client read them"; m != want {
			t.Fatalf("the stalled client got %.40q, want %q", m, want)
		}
		return
	}
}

func TestChatDropsPeerThatStopsAnsweringPings(t *testing.T) {
	cfg := testConfig()
	// A peer is pinged after a whole interval of silence and dropped if
	// it sends nothing for another: alice, who answers from a goroutine
	// of her own, has an interval to do it, which she has on a busy
	// machine when it is a second, not when it is a fraction of one.
	cfg.PingInterval = time.Second
	_, addr := startServer(t, cfg)
	alice := join(t, addr, "alice") // answers pings
	mute := dial(t, addr, "/ws/chat?name=mute")
	mute.next() // welcome; from now on it reads nothing and answers nothing
	alice.expect(t, "* mute joined")
	alice.expect(t, "* mute left")
	alice.c.sendText("still here")
	alice.expect(t, "alice: still here")
}

func TestChatKeepsPeerThatAnswersPings(t *testing.T) {
	cfg := testConfig()
	// The client has an interval to answer each ping (see the test
	// above): a second, which it has on a busy machine.
	cfg.PingInterval = time.Second
	_, addr := startServer(t, cfg)
	c := dial(t, addr, "/ws/chat?name=alice")
	c.next() // welcome
	// Two pings answered span four intervals of the client's own silence
	// but for its pongs: had the server not counted the first pong, it
	// would have dropped the client instead of pinging it again.
	for range 2 {
		h, p, err := c.readFrame()
		if err != nil || h.opcode != opPing {
			t.Fatalf("got %v %v, want a ping", h.opcode, err)
		}
		c.writeFrame(true, opPong, p)
	}
	c.sendText("alive")
	for {
		h, p, err := c.readFrame()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if h.opcode == opText {
			if string(p) != "alice: alive" {
				t.Fatalf("got %q", p)
			}
			return
		}
	}
}

func TestShutdownClosesEveryPeerWith1001AndLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	for round := range 3 {
		s := newTestServer(t, testConfig(), slog.New(slog.DiscardHandler))
		hs := httptest.NewServer(s)
		addr := strings.TrimPrefix(hs.URL, "http://")
		var ins []*inbox
		for i := range 5 {
			ins = append(ins, listen(dial(t, addr, fmt.Sprintf("/ws/chat?name=u%d", i))))
		}
		ins = append(ins, listen(dial(t, addr, "/ws/echo")))
		for _, in := range ins[:5] {
			in.next(t) // welcome, so every peer has joined
		}
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		if err := s.Shutdown(ctx); err != nil {
			t.Fatalf("round %d: shutdown: %v", round, err)
		}
		cancel()
		for i, in := range ins {
			for {
				m := in.next(t)
				if strings.HasPrefix(m, "CLOSE") {
					if m != "CLOSE 1001 server shutting down" {
						t.Fatalf("round %d client %d: got %q, want 1001", round, i, m)
					}
					break
				}
			}
			in.expect(t, "EOF")
			in.c.nc.Close()
		}
	}
	if !eventually(func() bool { return runtime.NumGoroutine() <= before }) {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
	}
}

func TestChatLogsJoinAndLeaveButNoMessages(t *testing.T) {
	var logs syncBuffer
	s := newTestServer(t, testConfig(), slog.New(slog.NewTextHandler(&logs, nil)))
	hs := httptest.NewServer(s)
	defer hs.Close()
	addr := strings.TrimPrefix(hs.URL, "http://")
	alice := join(t, addr, "alice")
	bob := join(t, addr, "bob")
	alice.expect(t, "* bob joined")
	bob.c.sendText("a secret")
	alice.expect(t, "bob: a secret")
	bob.c.writeFrame(true, opClose, closePayload(closeNormal, ""))
	alice.expect(t, "* bob left")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s.Shutdown(ctx)

	out := logs.String()
	for _, want := range []string{
		"msg=join name=alice room=lobby remote=127.0.0.1:",
		"msg=join name=bob room=lobby remote=127.0.0.1:",
		`msg=leave name=bob remote=127.0.0.1:`,
		`reason="websocket closed: 1000"`,
		`msg=leave name=alice`,
		`reason="websocket closed: 1001 server shutting down"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret") {
		t.Errorf("log shows message contents:\n%s", out)
	}
}
