package main

import (
	"fmt"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// No room waits on another: what one room's newcomer is replayed, however
// slow its reads or its reader, holds up no message in another room.

func TestRedisSlowHistoryReadHoldsUpNoOtherRoom(t *testing.T) {
	r := resptest.Start(t)
	// Node A reaches Redis through a proxy that holds history reads for
	// up to 1.5 s: less than the chat waits for the engine (2 s), so a
	// held read ends as a slow one, not as a failure.
	proxy := startRedisProxy(t, r.Addr(), 1500*time.Millisecond)
	cfg := redisConfig(r, 3*time.Second)
	cfg.Redis = proxy.URL()
	nodeA := startNode(t, cfg)
	nodeB := startNode(t, redisConfig(r, 3*time.Second))

	alice, _ := joinAsJSON(t, nodeB.addr, "name=alice&room=a")
	live, ids := sayLive(t, alice, "m1", "m2", "m3")
	bob := enter(t, nodeA.addr, "bob", "b")
	bob.nothingMore(t, "bob") // his own replay is over

	tests := []struct {
		name     string
		query    string
		welcomed bool // before the held read: the replay reads after the welcome
		want     []string
	}{
		{"locating since", "&since=" + ids[0].String(), false, live[1:]},
		{"reading the last messages", "", true, live},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy.holdWhere(isHistoryRead)
			defer proxy.release()
			name := fmt.Sprint("carol", i)
			carol := listen(dial(t, nodeA.addr, "/ws/chat?format=json&room=a&name="+name+tt.query))
			if tt.welcomed {
				if w := carol.event(t); w.Type != "welcome" {
					t.Fatalf("got %+v, want a welcome", w)
				}
			}
			select {
			case <-proxy.held:
			case <-time.After(testTimeout):
				t.Fatal("no history read reached Redis")
			}

			start := time.Now()
			text := fmt.Sprint("in b while a reads ", i)
			bob.c.sendText(text)
			bob.expectNotPresence(t, "bob: "+text)
			rtt := time.Since(start)
			if proxy.holding.Load() == 0 {
				t.Fatalf("room b's message took %v: it waited for room a's history read to be let go", rtt)
			}
			select {
			case m := <-carol.msgs:
				t.Fatalf("%s got %q while her room's history read was held", name, m)
			default:
			}
			t.Logf("room b's round trip: %v, while room a's history read was held", rtt)

			proxy.release()
			if !tt.welcomed {
				if w := carol.event(t); w.Type != "welcome" || w.Recovered != nil {
					t.Fatalf("got %+v, want a welcome with everything recovered", w)
				}
			}
			for _, want := range tt.want {
				carol.expectNotPresence(t, withHistory(want))
			}
			carol.nothingMore(t, name)
		})
	}
}
