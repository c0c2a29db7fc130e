package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// A replay flood holds up no other room: while a room's whole history is
// replayed again and again, to clients that read it fast, slowly or not
// at all, messages in another room go round as ever.

func TestReplayFloodHoldsUpNoOtherRoom(t *testing.T) {
	for _, e := range contractEngines {
		if e.name == "redis" {
			continue // a node's history reads are the slow-read test's
		}
		t.Run(e.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.WriteTimeout = time.Minute // the clients that read nothing stay for the whole test
			addr := e.start(t, cfg).node(0)
			const kept, size = 1000, 63 << 10
			began := time.Now()
			heads := fillRoom(t, addr, "flood", kept, size, 8, nil)
			filled := time.Since(began)
			pinger := enter(t, addr, "pinger", "other")
			pinger.c.nc.SetWriteDeadline(time.Time{}) // it talks for longer than the dial's deadline

			// Clients that read nothing: each replay stops at its outbox.
			var stalled []*wsClient
			for i := range 3 {
				c := dial(t, addr, fmt.Sprintf("/ws/chat?room=flood&since=0-0&name=stalled%d", i))
				if w := c.next(); !strings.HasPrefix(w, "* welcome to flood, ") {
					t.Fatalf("got %q, want a welcome", w)
				}
				stalled = append(stalled, c)
			}
			// A client that reads slowly: its replay lasts the whole test.
			slow, _ := dialPaced(t, addr, "/ws/chat?room=flood&since=0-0&name=slow", 512<<10, false)
			if w := slow.next(); !strings.HasPrefix(w, "* welcome to flood, ") {
				t.Fatalf("got %q, want a welcome", w)
			}
			slowDone := make(chan error, 1)
			go func() { slowDone <- slow.readLines(kept, func([]byte) {}) }()
			// A client that reads fast, joining again and again.
			stop := make(chan struct{})
			replays := make(chan error, 64)
			go func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						close(replays)
						return
					default:
					}
					replays <- fastReplay(addr, fmt.Sprint("fast", i), heads)
				}
			}()

			// Round trips in the other room, until the fast client has
			// been replayed the whole room twice meanwhile.
			began = time.Now()
			var rtts []time.Duration
			for done := 0; done < 2 || len(rtts) < 20; {
				select {
				case err := <-replays:
					if err != nil {
						t.Fatal(err)
					}
					done++
				default:
				}
				start := time.Now()
				text := fmt.Sprint("ping ", len(rtts))
				pinger.c.sendText(text)
				pinger.expect(t, "pinger: "+text)
				rtts = append(rtts, time.Since(start))
				select {
				case err := <-slowDone:
					t.Fatalf("the slow reader's replay ended during the round trips: %v", err)
				default:
				}
			}
			flood := time.Since(began)
			close(stop)
			for err := range replays {
				if err != nil {
					t.Fatal(err)
				}
			}
			// The clients that read nothing were waited for, not dropped:
			// their history is still coming.
			for i, c := range stalled {
				if err := c.readLines(1, func([]byte) {}); err != nil {
					t.Fatalf("stalled%d: %v, want its history", i, err)
				}
			}
			slices.Sort(rtts)
			t.Logf("room of %d × %d KiB filled in %v; %d round trips in another room during %v of its replays: p50 %v, max %v",
				kept, size>>10, filled.Round(time.Millisecond), len(rtts), flood.Round(time.Millisecond), rtts[len(rtts)/2], rtts[len(rtts)-1])
		})
	}
}

// fastReplay joins room flood as name with since=0-0, reads its whole
// history as fast as it can, checks it is the room's lines, whose heads
// are heads, and leaves.
func fastReplay(addr, name string, heads []string) error {
	c, resp, err := tryDial(addr, "/ws/chat?room=flood&since=0-0&name="+name, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("%s: %v %v", name, err, resp)
	}
	defer c.nc.Close()
	var got []string
	if err := c.readLines(len(heads), func(line []byte) { got = append(got, lineHead(line)) }); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if !slices.Equal(got, heads) {
		return fmt.Errorf("%s: the replay is not the room's history", name)
	}
	return nil
}
