package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// TestBrowserActions drives the page with the script e2e/actions.mjs, at
// a desktop's size and a phone's: messages of two lines with links and
// mentions, edited, reacted to, answered and deleted; older messages and
// search; private messages and files; a cancelled upload; /join typed in
// the box; a reload that keeps the name and the private conversation.
// The room "old" has seeded messages, more than a newcomer is replayed.
// alice's page reaches the server over a slow uplink, so that her upload
// is still on its way when she cancels it; the test then waits until the
// server holds no upload in progress before bob's page is looked at.
func TestBrowserActions(t *testing.T) {
	if testing.Short() {
		skip(t, "skipping the browser test in -short mode")
	}
	live := startLiveServer(t, testConfig())
	const seeded = 60
	seeder := listen(dial(t, live.addr, "/ws/chat?name=seeder&room=old"))
	seeder.awaitLine(t, "* welcome to old")
	for i := range seeded {
		seeder.say(t, "seeder", fmt.Sprint("seed ", i))
	}
	seeder.c.nc.Close()
	slow := startSlowLink(t, live.addr, 32<<10)
	requests := map[string]request{
		"UPLOAD_SETTLED": {"UPLOAD_SETTLED", func() error {
			scrapeUntil(t, live.srv, map[string]float64{"wschat_files_pending_bytes": 0})
			return nil
		}},
	}
	env := []string{"WSCHAT_URL=http://" + live.addr + "/", "WSCHAT_SLOW_URL=http://" + slow + "/", fmt.Sprint("SEEDED=", seeded)}
	runDriver(t, "actions.mjs", env, requests)
}

// TestBrowserNodes drives the page with the script e2e/nodes.mjs on two
// nodes sharing Redis, at a desktop's size and a phone's: the people
// list counts who was in a room on the other node; while Redis is away a
// message waits on the page and goes once it is back; rooms count what
// is unread by message ids, after emptying and opening again, and from
// when they were first listed; a page at a host -origins does not list
// says so; the offline badge takes one line.
func TestBrowserNodes(t *testing.T) {
	if testing.Short() {
		skip(t, "skipping the browser test in -short mode")
	}
	r := resptest.Start(t)
	nodes := startNodes(t, r, 2, 3*time.Second)
	alice := listen(dial(t, nodes[0].addr, "/ws/chat?name=alice&room=go"))
	alice.awaitLine(t, "* welcome to go")
	cfg := testConfig()
	cfg.Origins = []string{"chat.example"}
	_, origins := startServer(t, cfg)

	daves := map[string]*inbox{}
	requests := map[string]request{
		"REDIS_STOP": {"REDIS_STOPPED", func() error { r.Stop(); return nil }},
		"REDIS_START": {"REDIS_STARTED", func() error {
			r.Start()
			// Both nodes are back, not only the one the pages tried: each
			// dials again after a backoff of up to 5 s, which a loaded
			// machine stretches.
			for i, n := range nodes {
				if !eventuallyWithin(time.Minute, func() bool { return scrape(t, n.s.MetricsHandler())["wschat_redis_up"] == 1 }) {
					return fmt.Errorf("node %d: Redis not back within a minute", i)
				}
			}
			return nil
		}},
		"STOP_B": {"STOPPED_B", func() error {
			nodes[1].shutdown(t)
			return nil
		}},
	}
	for _, label := range []string{"desktop", "phone"} {
		tea, cake := "tea-"+label, "cake-"+label
		requests["DAVE_TEA "+label] = request{"DAVE_IN_TEA", func() error {
			daves[tea] = enterAndSay(t, nodes[1].addr, "dave-"+label, tea, "first")
			return nil
		}}
		requests["DAVE_TEA_AGAIN "+label] = request{"DAVE_SAID_THREE", func() error {
			daves[tea].c.nc.Close()
			if err := awaitRoomClosed(t, nodes[1].addr, tea); err != nil {
				return err
			}
			enterAndSay(t, nodes[1].addr, "dave2-"+label, tea, "one", "two", "three")
			return nil
		}}
		requests["DAVE_CAKE_JOIN "+label] = request{"DAVE_IN_CAKE", func() error {
			daves[cake] = enterAndSay(t, nodes[1].addr, "dave3-"+label, cake)
			return nil
		}}
		requests["DAVE_CAKE_SAY "+label] = request{"DAVE_SAID_TWO", func() error {
			for _, text := range []string{"un", "deux"} {
				daves[cake].c.sendText(text)
				daves[cake].awaitLine(t, "dave3-"+label+": "+text)
			}
			return nil
		}}
	}
	runDriver(t, "nodes.mjs", []string{"NODE_A=http://" + nodes[0].addr + "/", "NODE_B=http://" + nodes[1].addr + "/",
		"ORIGINS_URL=http://" + origins + "/"}, requests)
}

// enterAndSay joins name to room on addr as a plain text client, and
// says texts there.
func enterAndSay(t testing.TB, addr, name, room string, texts ...string) *inbox {
	t.Helper()
	in := listen(dial(t, addr, "/ws/chat?name="+name+"&room="+room))
	in.awaitLine(t, "* welcome to "+room)
	for _, text := range texts {
		in.c.sendText(text)
		in.awaitLine(t, name+": "+text)
	}
	return in
}

// awaitRoomClosed waits until /rooms on addr no longer lists room.
func awaitRoomClosed(t testing.TB, addr, room string) error {
	t.Helper()
	w := listen(dial(t, addr, "/ws/chat?name=watcher-"+room))
	w.awaitLine(t, "* welcome")
	defer w.c.nc.Close()
	for range 100 {
		w.c.sendText("/rooms")
		line := w.awaitLine(t, "* ")
		if strings.HasPrefix(line, "* ") && strings.Contains(line, "rooms:") && !strings.Contains(line, " "+room+" (") {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s is still open", room)
}
