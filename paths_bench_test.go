//go:build unix

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// BenchmarkPaths measures the ways a message can go beside the plain
// room, in one run: the same receivers and deliveries a second to each
// path, every path a server process of its own, the paths taking turns
// round after round (each round starts one path later), so that the
// machine's load falls on all alike. The paths:
//
//	plain    one room of every receiver, one sender
//	rooms    the receivers in rooms of 10, a sender in each, each
//	         sender at the plain sender's rate
//	data     the plain room with the room log on disk (-data)
//	deflate  the plain room, every receiver with permessage-deflate (one
//	         in pathsInflating inflates, and is timed)
//	redis    the plain room on a node with -redis, against a real
//	         redis-server
//
// For each path it reports the node's CPU per delivery (from
// /proc/PID/stat, the server's process alone) and the p99 latency, with
// their ratios to the plain room's of the same round, medians over the
// rounds. It runs only with WSCHAT_PATHS=1; WSCHAT_PATHS_RECEIVERS sets
// the receivers of each path (1,000), WSCHAT_PATHS_RATE the messages a
// second of each sender (100), WSCHAT_PATHS_SECONDS a path's turn in a
// round, in seconds (3), and WSCHAT_PATHS_ROUNDS the rounds (10).
//
//	WSCHAT_PATHS=1 go test -run '^$' -bench Paths -benchtime 1x -timeout 30m
func BenchmarkPaths(b *testing.B) {
	if os.Getenv("WSCHAT_PATHS") != "1" {
		skip(b, "set WSCHAT_PATHS=1 to measure the paths: it takes minutes")
	}
	receivers := envInt(b, "WSCHAT_PATHS_RECEIVERS", 1000)
	rate := envInt(b, "WSCHAT_PATHS_RATE", 100)
	w := pathsWorkload{rate: rate, messages: rate * envInt(b, "WSCHAT_PATHS_SECONDS", 3),
		rounds: envInt(b, "WSCHAT_PATHS_ROUNDS", 10)}
	if receivers%pathsRoomSize != 0 {
		b.Fatalf("WSCHAT_PATHS_RECEIVERS=%d: want a multiple of %d", receivers, pathsRoomSize)
	}
	bin := buildBinary(b)
	redis := resptest.Start(b)
	paths := []*benchPath{
		{name: "plain"},
		{name: "rooms", roomSize: pathsRoomSize},
		{name: "data", args: []string{"-data", b.TempDir()}},
		{name: "deflate", deflate: true},
		{name: "redis", args: []string{"-redis", redis.URL("", "")}, redis: redis},
	}
	for _, p := range paths {
		p.start(b, bin, receivers, w)
	}
	b.Logf("load average at the start: %s", loadAverage())
	for _, p := range paths { // the first turn warms each path up and is not reported
		p.turn(b, w, 0)
	}
	for round := 1; round <= w.rounds; round++ {
		for i := range paths {
			paths[(round+i)%len(paths)].turn(b, w, round)
		}
	}
	b.Logf("load average at the end: %s", loadAverage())
	reportPaths(b, paths, w)
}

// pathsRoomSize is the receivers in each room of the rooms path.
const pathsRoomSize = 10

// pathsInflating is how many of the deflate path's receivers there are
// for each that inflates its messages, and so has their latency: the
// others count them unread. A browser inflates on its own machine; here
// every receiver inflating would take the CPU the server needs.
const pathsInflating = 10

// pathsWorkload is what every sender of BenchmarkPaths sends: messages
// at rate a second in each path's turn, in rounds rounds after a turn of
// warming up.
type pathsWorkload struct{ rate, messages, rounds int }

// benchPath is one path of BenchmarkPaths: a server process, its
// receivers and senders, and what each of its turns measured.
type benchPath struct {
	name     string
	args     []string // the server's flags beyond the common ones
	roomSize int      // receivers in each room; 0 is one room of all
	deflate  bool     // receivers offer permessage-deflate
	redis    *resptest.Server

	cmd       *exec.Cmd
	node      *bigNode // for its diagnosis
	receivers []*benchReceiver
	senders   *serverTarget
	turns     []pathTurn // by round, the warm-up first
}

// pathTurn is what one turn of a path used: CPU of the node and of
// Redis, and the receivers' deliveries.
type pathTurn struct {
	node, redis time.Duration
	deliveries  int
}

// start runs the path's server and joins its receivers and senders,
// one sender for each room.
func (p *benchPath) start(b *testing.B, bin string, receivers int, w pathsWorkload) {
	rooms := 1
	if p.roomSize > 0 {
		rooms = receivers / p.roomSize
	}
	// Every sender comes from one address, and so is one participant to
	// the server, whose share of rooms and of history would run out.
	args := append([]string{"-ping-interval", "1h", "-rooms-per-participant", "0", "-history-share", "0",
		"-max-rooms", strconv.Itoa(rooms + 10)}, p.args...)
	cmd, addr, logs := startBinary(b, bin, args...)
	p.cmd, p.node = cmd, &bigNode{metrics: metricsAddr(b, logs), logs: logs}
	want := int64(w.messages * (w.rounds + 1))
	for i := range receivers {
		c := dialBenchIn(b, addr, fmt.Sprintf("r%d", i), p.room(i%rooms), p.deflate)
		r := &benchReceiver{want: want, inflate: i%pathsInflating == 0, done: make(chan struct{})}
		p.receivers = append(p.receivers, r)
		go r.run(c.br)
	}
	p.senders = &serverTarget{}
	for i := range rooms {
		c := dialBenchIn(b, addr, fmt.Sprintf("bench%d", i), p.room(i), false)
		go io.Copy(io.Discard, c.br) // senders hear everything too
		p.senders.senders = append(p.senders.senders, c)
	}
	metrics := remoteMetrics(b, p.node.metrics)
	joined := func() bool { return scrape(b, metrics)["wschat_joins_total"] == float64(receivers+rooms) }
	if !eventuallyWithin(time.Minute, joined) {
		b.Fatalf("%s: not every peer joined within a minute", p.name)
	}
}

// room is the name of the path's room number i, or "" for the lobby.
func (p *benchPath) room(i int) string {
	if p.roomSize == 0 {
		return ""
	}
	return fmt.Sprintf("room%d", i)
}

// turn has every sender of the path send the workload's messages, waits
// for every receiver to have them, and records the CPU it took.
func (p *benchPath) turn(b *testing.B, w pathsWorkload, round int) {
	node, redis := procCPU(p.cmd.Process.Pid), p.redisCPU()
	var wg sync.WaitGroup
	for s := range p.senders.senders {
		wg.Go(func() { p.senders.send(b, s, w.messages, w.rate, benchPayload) })
	}
	wg.Wait()
	within := 2 * time.Minute
	if got := awaitReceivers(p.receivers, int64(w.messages*(round+1)), within); got.Short > 0 {
		least := slices.MinFunc(p.receivers, func(a, b *benchReceiver) int { return int(a.count.Load() - b.count.Load()) })
		b.Fatalf("%s, round %d: %d of %d receivers short of their messages after %v (%d closed; the least has %d of %d)\n%s",
			p.name, round, got.Short, len(p.receivers), within, got.Closed, least.count.Load(), w.messages*(round+1), p.node.diagnosis(b))
	}
	p.turns = append(p.turns, pathTurn{
		node:       procCPU(p.cmd.Process.Pid) - node,
		redis:      p.redisCPU() - redis,
		deliveries: w.messages * len(p.receivers),
	})
}

// redisCPU is the CPU time Redis has used, or 0 on a path without it.
func (p *benchPath) redisCPU() time.Duration {
	if p.redis == nil {
		return 0
	}
	return procCPU(p.redis.Pid())
}

// latency is the p50 and p99 latency of the receivers' messages in the
// turn of round, once every receiver has them all.
func (p *benchPath) latency(b *testing.B, w pathsWorkload, round int) (p50, p99 time.Duration) {
	h, timed := latencyHist{}, 0
	for _, r := range p.receivers {
		select {
		case <-r.done:
		case <-time.After(time.Minute):
			b.Fatalf("%s: a receiver still reading a minute after its last message", p.name)
		}
		if len(r.latencies) == 0 {
			continue // counted compressed messages unread
		}
		timed++
		for _, d := range r.latencies[round*w.messages : (round+1)*w.messages] {
			h.add(d)
		}
	}
	if got, want := h.count(), int64(w.messages*timed); got != want || timed == 0 {
		b.Fatalf("%s, round %d: %d latencies from %d receivers, want %d", p.name, round, got, timed, want)
	}
	return h.quantile(0.5), h.quantile(0.99)
}

// µsPerDelivery is the node's CPU per delivery in a turn.
func (t pathTurn) µsPerDelivery() float64 {
	return float64(t.node.Nanoseconds()) / 1000 / float64(t.deliveries)
}

// reportPaths logs each round's figures (CPU per delivery, p50/p99
// latency) and reports, for each path, the
// medians of its CPU per delivery and p99 latency and of their ratios to
// the plain room's in the same round, with their spread in the log.
func reportPaths(b *testing.B, paths []*benchPath, w pathsWorkload) {
	plain := paths[0]
	for _, p := range paths {
		var cpu, p99, cpuRatio, p99Ratio []float64
		var rounds []string
		for round := 1; round <= w.rounds; round++ {
			t, base := p.turns[round], plain.turns[round]
			p50, lat := p.latency(b, w, round)
			_, baseLat := plain.latency(b, w, round)
			cpu, p99 = append(cpu, t.µsPerDelivery()), append(p99, ms(lat))
			cpuRatio = append(cpuRatio, t.µsPerDelivery()/base.µsPerDelivery())
			p99Ratio = append(p99Ratio, float64(lat)/float64(baseLat))
			rounds = append(rounds, fmt.Sprintf("%.2f µs %.1f/%.1f ms", t.µsPerDelivery(), ms(p50), ms(lat)))
			if p.redis != nil {
				rounds[len(rounds)-1] += fmt.Sprintf(" (redis %v)", t.redis)
			}
		}
		b.Logf("%-8s %s; CPU %s× plain, p99 %s× plain", p.name, strings.Join(rounds, ", "), spread(cpuRatio), spread(p99Ratio))
		b.ReportMetric(median(cpu), p.name+"-µs/delivery")
		b.ReportMetric(median(p99), p.name+"-p99-ms")
		if p != plain {
			b.ReportMetric(median(cpuRatio), p.name+"-cpu-vs-plain")
			b.ReportMetric(median(p99Ratio), p.name+"-p99-vs-plain")
		}
	}
}

// median is the middle of v, or the mean of the two middle values.
func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}

// spread is v's median with its least and greatest.
func spread(v []float64) string {
	return fmt.Sprintf("%.2f (%.2f to %.2f)", median(v), slices.Min(v), slices.Max(v))
}
