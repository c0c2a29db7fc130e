package main

import (
	"fmt"
	"strings"
	"testing"

	"wschat/internal/resp/resptest"
)

// isAppend reports whether a command is the script that keeps a message.
func isAppend(args []string) bool {
	return strings.EqualFold(args[0], "EVAL") && len(args) > 1 && strings.Contains(args[1], "XADD")
}

// A node hands a sender's messages to Redis one after another, without
// waiting for each to be kept: with Redis's answer to the first held
// back, the node still reads the next ones, and once it comes everyone
// gets them all, in the order sent. A message past the sender's share is
// refused to the sender alone, before the answer to anything it asks
// next but a message.
func TestRedisNodeReadsOnWhileRedisKeepsAMessage(t *testing.T) {
	r := resptest.Start(t)
	proxy := startRedisProxy(t, r.Addr(), testTimeout)
	cfg := redisConfig(r, 3*testTimeout)
	cfg.Redis = proxy.URL()
	cfg.HistoryShare = 32 << 10
	sender := startNode(t, cfg)
	other := startNode(t, redisConfig(r, 3*testTimeout))
	bob := join(t, other.addr, "bob")
	alice := join(t, sender.addr, "alice")
	alice.say(t, "alice", "hi")
	for bob.next(t) != "alice: hi" { // and what came before: who joined
	}

	received := scrape(t, sender.s.MetricsHandler())["wschat_messages_received_total"]
	proxy.holdWhere(isAppend)
	const n = 5
	for i := range n {
		alice.c.sendText(fmt.Sprint("m", i))
	}
	read := eventually(func() bool {
		return scrape(t, sender.s.MetricsHandler())["wschat_messages_received_total"] == received+n
	})
	held := proxy.holding.Load()
	proxy.release()
	if !read || held != 1 {
		t.Fatalf("with the first message's append held (%d held), the node read %v of %d messages, want all",
			held, scrape(t, sender.s.MetricsHandler())["wschat_messages_received_total"]-received, n)
	}
	for i := range n {
		bob.expect(t, fmt.Sprintf("alice: m%d", i))
		alice.expect(t, fmt.Sprintf("alice: m%d", i))
	}

	alice.c.sendText("past the share " + strings.Repeat("x", int(cfg.HistoryShare)))
	alice.c.sendText("after")
	alice.c.sendText("/who")
	// The refusal comes once Redis has answered for that message, which
	// may be after the next one, kept meanwhile, has come back.
	refusal := "* your message was not sent: the messages of yours the rooms keep have reached your share (32 KiB); it frees as rooms move on and as messages age out"
	alice.expectAll(t, refusal, "alice: after")
	if m := alice.next(t); !strings.HasPrefix(m, "* in ") {
		t.Fatalf("got %q, want the answer to /who after the messages before it", m)
	}
	bob.expect(t, "alice: after")
}
