package main

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"wschat/internal/resp"
	"wschat/internal/resp/resptest"
)

func TestRedisNodesChatInOneOrderForEveryone(t *testing.T) {
	nodes := startNodes(t, resptest.Start(t), 3, 3*time.Second)
	const clients, perClient = 6, 30
	var ins []*inbox
	for i := range clients {
		ins = append(ins, join(t, nodes[i%len(nodes)].addr, fmt.Sprintf("u%d", i)))
	}
	var wg sync.WaitGroup
	for _, in := range ins {
		wg.Go(func() {
			for j := range perClient {
				in.c.sendText(fmt.Sprintf("m%d", j))
			}
		})
	}
	wg.Wait()
	var first []string
	for i, in := range ins {
		got := in.chatLines(t, clients*perClient)
		if i == 0 {
			first = got
			continue
		}
		if !slices.Equal(got, first) {
			t.Fatalf("u%d (node %d) saw another order than u0:\n%q\n%q", i, i%len(nodes), got, first)
		}
	}
	for i := range clients {
		var own []string
		for _, m := range first {
			if name, text, _ := strings.Cut(m, ": "); name == fmt.Sprintf("u%d", i) {
				own = append(own, text)
			}
		}
		if len(own) != perClient || own[0] != "m0" || own[perClient-1] != fmt.Sprintf("m%d", perClient-1) {
			t.Fatalf("u%d's messages arrived as %q, want m0..m%d in order", i, own, perClient-1)
		}
	}
}

func TestRedisNodesHistoryOnAnotherNode(t *testing.T) {
	nodes := startNodes(t, resptest.Start(t), 2, 3*time.Second)
	alice := join(t, nodes[0].addr, "alice")
	for _, m := range []string{"one", "two", "three"} {
		alice.c.sendText(m)
		alice.await(t, "alice: "+m)
	}
	bob := listen(dial(t, nodes[1].addr, "/ws/chat?name=bob&format=json"))
	if e := bob.event(t); e.Type != "welcome" {
		t.Fatalf("got %+v, want a welcome", e)
	}
	var ids []string
	for _, want := range []string{"one", "two", "three"} {
		e := bob.event(t)
		if e.Type != "message" || e.Text != want || !e.History {
			t.Fatalf("got %+v, want %q from history", e, want)
		}
		ids = append(ids, e.ID)
	}
	carol := listen(dial(t, nodes[1].addr, "/ws/chat?name=carol&format=json&since="+ids[0]))
	if e := carol.event(t); e.Type != "welcome" || e.Recovered != nil {
		t.Fatalf("got %+v, want a welcome with everything recovered", e)
	}
	for i, want := range []string{"two", "three"} {
		if e := carol.event(t); e.Text != want || e.ID != ids[i+1] {
			t.Fatalf("got %+v, want %q with id %s", e, want, ids[i+1])
		}
	}
	alice.c.sendText("four")
	if e := carol.event(t); e.Type != "message" || e.Text != "four" || e.History {
		t.Fatalf("got %+v, want four live", e)
	}
}

func TestRedisNodesNamesUniqueAcrossNodes(t *testing.T) {
	nodes := startNodes(t, resptest.Start(t), 2, 3*time.Second)
	alice := join(t, nodes[0].addr, "Alice")
	for _, name := range []string{"alice", "ALICE"} {
		if got, want := refusedWith(t, nodes[1].addr, "/ws/chat?name="+name), fmt.Sprintf("CLOSE 1008 name-taken: name %q is taken: choose another", name); got != want {
			t.Fatalf("%s on the other node: got %q, want %q", name, got, want)
		}
	}
	alice.c.nc.Close()
	if !eventually(func() bool {
		return !strings.HasPrefix(refusedWith(t, nodes[1].addr, "/ws/chat?name=alice"), "CLOSE 1008 name")
	}) {
		t.Fatal("alice's name never came free on the other node after she left")
	}
}

func TestRedisNodesPrivateMessageAcrossNodes(t *testing.T) {
	nodes := startNodes(t, resptest.Start(t), 2, 3*time.Second)
	alice := join(t, nodes[0].addr, "alice")
	bob := join(t, nodes[1].addr, "bob")
	alice.await(t, "* bob joined")
	alice.c.sendText("/msg Bob psst")
	alice.await(t, "alice → Bob: psst")
	bob.await(t, "alice → Bob: psst")
	alice.c.sendText("/msg nobody hello?")
	alice.await(t, "* nobody is not online")
}

func TestRedisNodesWhoAndRoomsCountEveryNode(t *testing.T) {
	nodes := startNodes(t, resptest.Start(t), 2, 3*time.Second)
	alice := join(t, nodes[0].addr, "alice")
	join(t, nodes[1].addr, "bob")
	listen(dial(t, nodes[1].addr, "/ws/chat?name=carol&room=go")).next(t)
	alice.c.sendText("/who")
	alice.await(t, "* in lobby (2): alice, bob")
	alice.c.sendText("/rooms")
	alice.await(t, "* 2 rooms: go (1), lobby (2)")
}

func TestRedisNodeLeavingOthersSeeItsMembersLeave(t *testing.T) {
	nodes := startNodes(t, resptest.Start(t), 2, 3*time.Second)
	alice := join(t, nodes[0].addr, "alice")
	bob := join(t, nodes[1].addr, "bob")
	alice.await(t, "* bob joined")
	nodes[0].shutdown(t)
	alice.await(t, "CLOSE 1001 server shutting down")
	bob.await(t, "* alice left")
	bob.c.sendText("/who")
	bob.await(t, "* in lobby (1): bob")
}

func TestRedisNodeKilledItsMembersLeaveAndNamesComeFreeWithinTheTTL(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	// Two nodes as an operator runs them, one Redis between them. A
	// node renews its claims every third of the TTL, so they outlive it
	// by two thirds of the TTL at least: long enough for the check right
	// after the kill. The waits below, testTimeout each, are shorter than
	// the 15 s default: the nodes must keep to -redis-ttl.
	const ttl = "4s"
	bin, r := buildBinary(t), resptest.Start(t)
	var addrs []string
	var procs []*exec.Cmd
	for range 2 {
		cmd, addr, _ := startBinary(t, bin, "-redis", r.URL("", ""), "-redis-ttl", ttl)
		procs, addrs = append(procs, cmd), append(addrs, addr)
	}
	alice := join(t, addrs[0], "alice")
	bob := join(t, addrs[1], "bob")
	alice.await(t, "* bob joined")
	// A node that dies says nothing: it stops renewing, and its members'
	// connections break.
	if err := procs[0].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	alice.await(t, "EOF")
	if got := refusedWith(t, addrs[1], "/ws/chat?name=alice"); got != `CLOSE 1008 name-taken: name "alice" is taken: choose another` {
		t.Fatalf("right after the kill: got %q, want the name still taken", got)
	}
	bob.await(t, "* alice left")
	if got := whoSays(t, bob); got != "* in lobby (1): bob" {
		t.Fatalf("/who once alice left: got %q, want bob alone", got)
	}
	if !eventually(func() bool {
		return !strings.HasPrefix(refusedWith(t, addrs[1], "/ws/chat?name=alice"), "CLOSE 1008 name")
	}) {
		t.Fatal("alice's name never came free")
	}
}

func TestRedisRestartedMidChatNodesRecover(t *testing.T) {
	before := runtime.NumGoroutine()
	r := resptest.Start(t)
	nodes := startNodes(t, r, 2, 3*time.Second)
	alice := join(t, nodes[0].addr, "alice")
	bob := join(t, nodes[1].addr, "bob")
	alice.c.sendText("before")
	bob.await(t, "alice: before")

	r.Stop()
	if !eventually(func() bool { return status(t, nodes[0].addr, "/healthz") == http.StatusServiceUnavailable }) {
		t.Fatal("/healthz still says ok without Redis")
	}
	scrapeUntil(t, nodes[0].s, map[string]float64{"wschat_redis_up": 0})
	alice.c.sendText("while away")
	const noRedis = "the chat cannot reach its other servers right now (Redis is unreachable): nothing was sent; try again shortly"
	alice.await(t, "* "+noRedis)
	if got := refusedWith(t, nodes[1].addr, "/ws/chat?name=carol"); got != "CLOSE 1008 unavailable: "+noRedis {
		t.Fatalf("a newcomer without Redis: got %q, want %q", got, noRedis)
	}

	r.Start()
	for _, n := range nodes {
		if !eventually(func() bool { return status(t, n.addr, "/healthz") == http.StatusOK }) {
			t.Fatal("/healthz never said ok again once Redis was back")
		}
	}
	scrapeUntil(t, nodes[0].s, map[string]float64{"wschat_redis_up": 1})
	bob.c.sendText("after")
	alice.await(t, "bob: after")
	bob.await(t, "bob: after")
	if got := refusedWith(t, nodes[1].addr, "/ws/chat?name=alice"); got != `CLOSE 1008 name-taken: name "alice" is taken: choose another` {
		t.Fatalf("alice's name once Redis is back: got %q, want it claimed again", got)
	}

	for _, n := range nodes {
		n.shutdown(t)
	}
	r.Stop()
	if !eventually(func() bool { return runtime.NumGoroutine() <= before }) {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
	}
}

func TestRedisNodesIgnoreMalformedAnnouncements(t *testing.T) {
	r := resptest.Start(t)
	nodes := startNodes(t, r, 1, 3*time.Second)
	alice := join(t, nodes[0].addr, "alice")
	c, err := resp.Dial(context.Background(), r.URL("", ""), resp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct{ name, event string }{
		{"empty", ""},
		{"no fields", "m"},
		{"too few fields", "m\nlobby\n1-0"},
		{"unknown kind", "x\nlobby\n1-0\n{}"},
		{"bad id", "m\nlobby\n01-0\n{\"type\":\"message\",\"name\":\"mallory\",\"text\":\"forged\"}"},
		{"bad json", "m\nlobby\n1-0\n{\"type\":"},
		{"bad private", "p\nalice\nnode\nnot json"},
		{"bad mail", "q\n@alice\n1-x\n{}"},
		{"binary", "m\x00\xff\n\n\n"},
	} {
		if _, err := c.Do(context.Background(), "PUBLISH", "wschat:events", tc.event); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	alice.c.sendText("still here")
	if got := alice.next(t); got != "alice: still here" {
		t.Fatalf("after malformed announcements: got %q, want alice's message alone", got)
	}
}

func TestRedisNodesShareAccountsTokensAndMail(t *testing.T) {
	r := resptest.Start(t)
	var nodes []*node
	for range 2 {
		cfg := accountsConfig(t)
		cfg.Redis, cfg.RedisTTL = r.URL("", ""), 3*time.Second
		nodes = append(nodes, startNode(t, cfg))
	}
	alice := register(t, nodes[0].addr, "alice")
	if status, answer, _ := apiCall(t, nodes[1].addr, "/api/register", `{"name":"Alice","password":"correct horse"}`); status != http.StatusConflict {
		t.Fatalf("alice again on the other node: %d %v, want 409", status, answer)
	}
	status, answer, _ := apiCall(t, nodes[1].addr, "/api/login", `{"name":"alice","password":"correct horse"}`)
	if status != http.StatusOK || answer["token"] == "" {
		t.Fatalf("alice's login on the other node: %d %v", status, answer)
	}
	if status, _, _ := apiCall(t, nodes[1].addr, "/api/login", `{"name":"alice","password":"wrong horse"}`); status != http.StatusUnauthorized {
		t.Fatalf("a wrong password on the other node: %d, want 401", status)
	}
	bob := register(t, nodes[1].addr, "bob")

	phone := joinWith(t, nodes[0].addr, alice, "")
	laptop := joinWith(t, nodes[1].addr, alice, "") // the first node's token, good on the second
	phone.c.sendText("/msg bob see you later")
	phone.await(t, "alice → bob: see you later")
	phone.await(t, "* bob is offline: they will get your message when they next connect")
	laptop.await(t, "alice → bob: see you later")

	b := joinWith(t, nodes[0].addr, bob, "")
	b.await(t, "alice → bob: see you later") // from his mailbox
	b.c.sendText("/msg alice got it")
	for _, in := range []*inbox{b, phone, laptop} {
		in.await(t, "bob → alice: got it")
	}
	laptop.c.sendText("/msg bob are you there?") // bob is on the other node
	b.await(t, "alice → bob: are you there?")
	laptop.c.sendText("/who")
	for {
		m := laptop.next(t)
		if strings.Contains(m, "offline") {
			t.Fatalf("got %q: bob is online on the other node", m)
		}
		if strings.HasPrefix(m, "* in lobby") {
			if m != "* in lobby (2): alice, bob" {
				t.Fatalf("/who: got %q", m)
			}
			break
		}
	}
}

func TestRedisNodesCatchUpAfterTheirSubscriptionsBreak(t *testing.T) {
	r := resptest.Start(t)
	nodes := startNodes(t, r, 2, 3*time.Second)
	alice := join(t, nodes[0].addr, "alice")
	bob := join(t, nodes[1].addr, "bob")
	alice.await(t, "* bob joined")
	c, err := resp.Dial(context.Background(), r.URL("", ""), resp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 40
	for i := range n {
		if i == 5 || i == 20 {
			// Every node's subscription breaks; messages announced
			// before it is back are read from the streams.
			if _, err := c.Do(context.Background(), "CLIENT", "KILL", "TYPE", "pubsub"); err != nil {
				t.Fatal(err)
			}
		}
		alice.c.sendText(fmt.Sprintf("m%d", i))
	}
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("alice: m%d", i)
	}
	for _, in := range []*inbox{alice, bob} {
		if got := in.chatLines(t, n); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}
