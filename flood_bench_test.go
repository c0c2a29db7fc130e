//go:build linux

package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wschat/internal/resp"
	"wschat/internal/resp/resptest"
)

// The floods of what one participant may keep (history, files) and of
// many participants filling the totals, against the real binary, its
// peak resident memory measured (runAttack) against the bound its flags
// set: twice what may be live (the collector lets the heap grow to twice
// what it found live), that is what may be kept and what connections hold
// queued while they are served, plus the runtime's margin. The tests
// assert the bounds of one participant; BenchmarkFloodRSS reports every
// figure:
//
//	go test -run '^$' -bench 'FloodRSS|FloodRedis' -benchtime 1x

// kib is n bytes in KiB.
func kib(n int64) int64 { return n >> 10 }

// Defaults the bounds are computed from: the flags' defaults.
const (
	historyShare  = 16 << 20 // -history-share
	historyMemory = defaultHistoryMemory
	filesBudget   = 64 << 20 // -files-budget without -data
	maxQueue      = 4 << 20  // -max-queue
)

// floodMessage is what the flood sent: 63 KiB of text.
var floodMessage = strings.Repeat("f", 63<<10)

// floodHistory has participants, each from an address of its own, send
// perParticipant messages of floodMessage over conns connections each,
// every connection in a room of its own, reading what it is sent. It
// returns how many messages were refused for a share or the total.
func floodHistory(tb testing.TB, addr string, participants, conns, perParticipant int) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused := 0
	for p := range participants {
		from := fmt.Sprintf("127.0.%d.%d", 2+p/250, 1+p%250)
		for c := range conns {
			in := listen(dialFromAddr(tb, from, addr, fmt.Sprintf("/ws/chat?name=f%d-%d&room=flood%d-%d", p, c, p, c)))
			in.next(tb) // welcome
			n := perParticipant / conns
			frame := clientFrame(true, opText, true, in.c.key, []byte(floodMessage))
			wg.Go(func() {
				end := fmt.Sprintf("marker %d-%d", p, c)
				go func() {
					for range n {
						if _, err := in.c.nc.Write(frame); err != nil {
							return
						}
					}
					in.c.nc.Write(clientFrame(true, opText, true, in.c.key, []byte("/msg f"+strconv.Itoa(p)+"-"+strconv.Itoa(c)+" "+end)))
				}()
				for deadline := time.After(time.Minute); ; {
					var m string
					select {
					case m = <-in.msgs:
					case <-deadline:
						tb.Errorf("connection %d-%d: no end to the flood within a minute", p, c)
						return
					}
					switch {
					case strings.HasSuffix(m, end) || m == "EOF":
						return
					case strings.HasPrefix(m, "* your message was not sent"):
						mu.Lock()
						refused++
						mu.Unlock()
					}
				}
			})
		}
	}
	wg.Wait()
	return refused
}

// floods are the floods whose memory is measured, each run in memory and
// with -data.
var floods = []attack{
	{
		// The issue's: 8,000 messages of 63 KiB from one participant, over
		// 4 connections in 4 rooms. It keeps its share, and is refused.
		name: "history/one-participant",
		run: func(tb testing.TB, addr string) int64 {
			if refused := floodHistory(tb, addr, 1, 4, 8000); refused == 0 {
				tb.Errorf("the flood was never refused")
			}
			// Its share and the four connections' queues, both live
			// while the flood runs, twice.
			return kib(2 * (historyShare + 4*maxQueue))
		},
	},
	{
		// Twelve participants, each flooding past its share: together past
		// the total, which refuses.
		name: "history/many-participants",
		run: func(tb testing.TB, addr string) int64 {
			floodHistory(tb, addr, 12, 2, 400)
			return kib(2 * (historyMemory + 24*maxQueue))
		},
	},
	{
		// Seven uploads of the largest size, each from a fresh connection
		// of one participant.
		name: "files/one-participant",
		run: func(tb testing.TB, addr string) int64 {
			big := make([]byte, 10<<20)
			for i := range 7 {
				in := listen(dialFromAddr(tb, "127.0.0.9", addr, fmt.Sprintf("/ws/chat?format=json&name=u%d", i)))
				cred := in.event(tb).Upload
				if resp, answer := upload(tb, addr, cred, "lobby", "junk.bin", big); resp.StatusCode != http.StatusCreated {
					tb.Fatalf("upload %d: %s %v", i, resp.Status, answer)
				}
				in.c.nc.Close()
			}
			// Its share (a quarter of the budget), twice, and a file on
			// its way.
			return kib(2*filesBudget/4 + 10<<20)
		},
	},
}

func TestFloodsStayWithinTheirMemoryBound(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	bin := buildBinary(t)
	for _, f := range floods {
		if strings.Contains(f.name, "many") {
			continue // a benchmark's: a few hundred MiB
		}
		for _, mode := range floodModes(t) {
			t.Run(f.name+"/"+mode.name, func(t *testing.T) {
				f.args = mode.args
				peak, bound, after := runAttack(t, bin, f)
				t.Logf("peak RSS +%d KiB, bound %d KiB, a second after +%d KiB", peak, bound, after)
				if peak > bound {
					t.Errorf("peak RSS grew by %d KiB, over the bound of %d KiB", peak, bound)
				}
			})
		}
	}
}

// floodModes are the places the server keeps history and files.
func floodModes(tb testing.TB) []struct {
	name string
	args []string
} {
	return []struct {
		name string
		args []string
	}{{"memory", nil}, {"data", []string{"-data", tb.TempDir()}}}
}

func BenchmarkFloodRSS(b *testing.B) {
	bin := buildBinary(b)
	for _, f := range floods {
		for _, mode := range floodModes(b) {
			b.Run(f.name+"/"+mode.name, func(b *testing.B) {
				for range b.N {
					f.args = []string{"-data", b.TempDir()}
					if mode.name == "memory" {
						f.args = nil
					}
					peak, bound, after := runAttack(b, bin, f)
					b.ReportMetric(float64(peak)/1024, "MiB-peak-RSS-growth")
					b.ReportMetric(float64(bound)/1024, "MiB-bound")
					b.ReportMetric(float64(after)/1024, "MiB-RSS-growth-after")
				}
			})
		}
	}
}

// redisUsedMemory is what Redis at url says it uses (INFO memory's
// used_memory), in bytes.
func redisUsedMemory(tb testing.TB, url string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := resp.Dial(ctx, url, resp.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	v, err := c.Do(ctx, "INFO", "memory")
	if err != nil {
		tb.Fatal(err)
	}
	for line := range strings.Lines(string(v.Bytes())) {
		if n, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			used, _ := strconv.ParseInt(n, 10, 64)
			return used
		}
	}
	tb.Fatal("INFO memory has no used_memory")
	return 0
}

// redisFlood runs two nodes on a Redis of their own, floods them as
// flood does, and returns the growth of Redis's used memory and the
// bound given.
func redisFlood(tb testing.TB, bin string, flood func(tb testing.TB, addrs []string) (bound int64)) (growth, bound int64) {
	r := resptest.Start(tb)
	url := r.URL("", "")
	var addrs []string
	for range 2 {
		_, addr, _ := startBinary(tb, bin, "-redis", url)
		addrs = append(addrs, addr)
	}
	before := redisUsedMemory(tb, url)
	bound = flood(tb, addrs)
	return redisUsedMemory(tb, url) - before, bound
}

// redisShareBound is what Redis may hold for one participant: its share
// of history as charged, and a quarter more for how Redis keeps it (a
// message takes its payload and some 100 bytes there, under the 256 it
// is charged, and a stream of one message some 5 KiB, about the 5 KiB a
// room is charged), and a MiB for Redis itself.
const redisShareBound = historyShare*5/4 + 1<<20

// redisFloods are the floods of Redis: the history flood, through
// both nodes, and one message in each of 5,000 rooms, more than one
// participant's share pays for.
var redisFloods = []struct {
	name string
	run  func(tb testing.TB, addrs []string) int64
}{
	{"history/one-participant", func(tb testing.TB, addrs []string) int64 {
		var wg sync.WaitGroup
		for _, addr := range addrs {
			wg.Go(func() { floodHistory(tb, addr, 1, 2, 4000) })
		}
		wg.Wait()
		return redisShareBound
	}},
	{"history/many-participants", func(tb testing.TB, addrs []string) int64 {
		var wg sync.WaitGroup
		for _, addr := range addrs {
			wg.Go(func() { floodHistory(tb, addr, 6, 2, 400) })
		}
		wg.Wait()
		return historyMemory*5/4 + 1<<20 // the total, as it takes one participant's share
	}},
	{"rooms/one-participant", func(tb testing.TB, addrs []string) int64 {
		in := listen(dialFromAddr(tb, "127.0.0.9", addrs[0], "/ws/chat?name=roomer"))
		in.next(tb)
		var msgs []string
		for i := range 5000 {
			msgs = append(msgs, fmt.Sprint("/join r", i), "x")
		}
		sendAll(tb, in.c, append(msgs, "/join end"))
		if n := in.collect(tb, "* welcome to end, roomer!", "* your message was not sent: the messages of yours")["* your message was not sent: the messages of yours"]; n == 0 {
			tb.Errorf("5,000 rooms of one participant, and none refused")
		}
		return redisShareBound
	}},
}

func TestRedisFloodsStayWithinTheirBound(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	bin := buildBinary(t)
	for _, f := range redisFloods {
		if strings.Contains(f.name, "many") {
			continue // a benchmark's: a few hundred MiB
		}
		t.Run(f.name, func(t *testing.T) {
			growth, bound := redisFlood(t, bin, f.run)
			t.Logf("Redis used memory +%d KiB, bound %d KiB", growth>>10, bound>>10)
			if growth > bound {
				t.Errorf("Redis grew by %d KiB, over the bound of %d KiB", growth>>10, bound>>10)
			}
		})
	}
}

func BenchmarkFloodRedisMemory(b *testing.B) {
	bin := buildBinary(b)
	for _, f := range redisFloods {
		b.Run(f.name, func(b *testing.B) {
			for range b.N {
				growth, bound := redisFlood(b, bin, f.run)
				b.ReportMetric(float64(growth)/(1<<20), "MiB-redis-growth")
				b.ReportMetric(float64(bound)/(1<<20), "MiB-bound")
			}
		})
	}
}
