//go:build unix

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The loopback fan-out benchmarks: real TCP clients receive chat
// broadcasts, and the same workload runs against the floor, a single loop
// writing one pre-encoded frame to every socket and doing nothing else.
// Clients and server share the process, so CPU figures include the
// clients' reads; they mean something only beside the floor's.
//
//	go test -run '^$' -bench FanOut -benchtime 300x
func BenchmarkFanOut(b *testing.B) {
	for _, w := range []struct {
		receivers int
		rate      int // messages per second
	}{{1000, 100}, {9000, 25}} {
		for _, target := range []string{"server", "floor"} {
			b.Run(fmt.Sprintf("%s/receivers=%d/rate=%d", target, w.receivers, w.rate), func(b *testing.B) {
				runFanOut(b, target, w.receivers, w.rate, 1, fanOutLoad{payload: benchPayload})
			})
		}
	}
	b.Run("server/receivers=1000/senders=4/saturation", func(b *testing.B) {
		runFanOut(b, "server", 1000, 0, 4, fanOutLoad{payload: benchPayload})
	})
	// The room log on disk (-data) against the same without, in one run:
	// the paced workload, and many senders flat out, where syncs are
	// shared (group commit).
	for _, target := range []string{"server", "server-data"} {
		b.Run(target+"/receivers=1000/rate=100/log", func(b *testing.B) {
			runFanOut(b, target, 1000, 100, 1, fanOutLoad{payload: benchPayload})
		})
		b.Run(target+"/receivers=100/senders=64/saturation/log", func(b *testing.B) {
			runFanOut(b, target, 100, 0, 64, fanOutLoad{payload: benchPayload})
		})
	}
}

// BenchmarkFanOutDeflate compares a chat-sized message and a 4 KiB one
// broadcast to 1,000 receivers that offer permessage-deflate against
// receivers that do not: the bytes each receiver reads per message, and
// the CPU per delivery (the process's: server and clients, which do not
// inflate), with their ratios to the plain run of the same size.
//
//	go test -run '^$' -bench FanOutDeflate -benchtime 300x
func BenchmarkFanOutDeflate(b *testing.B) {
	for _, size := range []int{benchPayload, 4096} {
		var plain fanOutFigures
		for _, deflate := range []bool{false, true} {
			b.Run(fmt.Sprintf("bytes=%d/deflate=%v", size, deflate), func(b *testing.B) {
				got := runFanOut(b, "server", 1000, 100, 1, fanOutLoad{payload: size, deflate: deflate})
				if !deflate {
					plain = got
				} else if plain.wire > 0 {
					b.ReportMetric(got.wire/plain.wire, "wire-vs-plain")
					b.ReportMetric(got.cpu/plain.cpu, "cpu-vs-plain")
				}
			})
		}
	}
}

// fanOutLoad is what a fan-out run sends: messages of payload bytes, to
// receivers that offer permessage-deflate when deflate is set.
type fanOutLoad struct {
	payload int
	deflate bool
}

// fanOutFigures are the figures of a run that others compare with:
// bytes read per delivery, and CPU microseconds per delivery.
type fanOutFigures struct{ wire, cpu float64 }

// benchPayload is the size of a benchmark message, as in the issue's
// workload.
const benchPayload = 128

// runFanOut sends b.N messages per sender at rate (0: as fast as the
// server takes them) to receivers clients and reports what they saw.
func runFanOut(b *testing.B, target string, receivers, rate, senders int, load fanOutLoad) fanOutFigures {
	want := int64(b.N * senders)
	rs := make([]*benchReceiver, receivers)
	for i := range rs {
		rs[i] = &benchReceiver{want: want, done: make(chan struct{})}
	}
	// Receivers read from the moment they connect, as real clients do.
	start := func(i int, br *bufio.Reader) { go rs[i].run(br) }
	var f fanOutTarget
	switch target {
	case "floor":
		f = newFloor(b, receivers, start)
	case "nodes":
		f = newNodesTarget(b, receivers, senders, start)
	default:
		f = newServerTarget(b, receivers, senders, target == "server-data", load.deflate, start)
	}
	f.ready(b)
	// The whole process's resident memory, over the connections: both
	// ends of each live here, with the test's own, so this is an upper
	// bound of what a connection costs. BenchmarkIdleMemory measures the
	// server alone.
	rssPerConn := float64(rssKiB(b, os.Getpid())) / float64(receivers)

	var before syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	writesBefore := writeSyscalls(b)
	b.ResetTimer()
	began := time.Now()
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() { f.send(b, s, b.N, rate, load.payload) })
	}
	wg.Wait()
	sendEnd := time.Now()
	var undelivered int64
	for _, r := range rs {
		undelivered += max(0, want-r.count.Load())
	}
	deadline := time.After(time.Minute)
	for _, r := range rs {
		select {
		case <-r.done:
		case <-deadline:
			b.Fatalf("receivers still missing messages after a minute")
		}
	}
	elapsed := time.Since(began)
	b.StopTimer()
	var after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	writes := writeSyscalls(b) - writesBefore - int64(b.N*senders)

	deliveries := float64(want) * float64(receivers)
	var (
		lat  []time.Duration
		wire int64
	)
	for _, r := range rs {
		lat = append(lat, r.latencies...)
		wire += r.bytes.Load()
	}
	slices.Sort(lat)
	figures := fanOutFigures{wire: float64(wire) / deliveries, cpu: cpuMicros(before.Utime, after.Utime) + cpuMicros(before.Stime, after.Stime)}
	figures.cpu /= deliveries
	b.ReportMetric(figures.wire, "wire-B/delivery")
	b.ReportMetric(deliveries/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(cpuMicros(before.Utime, after.Utime)/deliveries, "user-µs/delivery")
	b.ReportMetric(cpuMicros(before.Stime, after.Stime)/deliveries, "sys-µs/delivery")
	b.ReportMetric(float64(writes)/deliveries, "writes/delivery")
	b.ReportMetric(100*float64(undelivered)/deliveries, "%undelivered-at-send-end")
	if len(lat) > 0 { // compressed messages are counted, not inflated, so carry no time
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
	b.ReportMetric(rssPerConn, "KiB-process-RSS/conn")
	if target == "nodes" {
		reportPerNode(b, rs)
	}
	if t, ok := f.(*serverTarget); ok {
		m := scrape(b, t.srv.MetricsHandler())
		syncs, appends := m["wschat_history_syncs_total"], m["wschat_history_appends_total"]
		b.ReportMetric(syncs/max(appends, 1), "syncs/message")
		b.ReportMetric(appends/elapsed.Seconds(), "messages/s")
	}
	_ = sendEnd
	f.close()
	return figures
}

// reportPerNode reports the latencies of the receivers on the sender's
// node (the first half, node0) and on the other (node1) apart.
func reportPerNode(b *testing.B, rs []*benchReceiver) {
	for node, part := range [][]*benchReceiver{rs[:len(rs)/2], rs[len(rs)/2:]} {
		var lat []time.Duration
		for _, r := range part {
			lat = append(lat, r.latencies...)
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, fmt.Sprintf("p50-ms-node%d", node))
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, fmt.Sprintf("p99-ms-node%d", node))
	}
}

func cpuMicros(from, to syscall.Timeval) float64 {
	return float64(to.Sec-from.Sec)*1e6 + float64(to.Usec-from.Usec)
}

// writeSyscalls is the process's count of write system calls so far
// (write and writev alike), from /proc/self/io.
func writeSyscalls(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		b.Skipf("no write counts on this system: %v", err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatal("no syscw in /proc/self/io")
	return 0
}

// fanOutTarget is a server under test, seen from the clients.
type fanOutTarget interface {
	ready(b *testing.B)                           // waits until every receiver is in
	send(b *testing.B, sender, n, rate, size int) // sends n timestamped messages of size bytes
	close()
}

// serverTarget is the chat server with benchmark clients on /ws/chat.
type serverTarget struct {
	srv     *Server
	hs      *http.Server
	addr    string
	clients []*wsClient
	senders []*wsClient
}

func newServerTarget(b *testing.B, receivers, senders int, data, deflate bool, start func(int, *bufio.Reader)) *serverTarget {
	cfg := benchConfig()
	if data {
		cfg.DataDir = b.TempDir()
	}
	return startServerTarget(b, cfg, 0, receivers, senders, deflate, start)
}

// startServerTarget serves cfg with receivers from to to (exclusive),
// offering permessage-deflate when deflate is set, and senders benchmark
// senders.
func startServerTarget(b *testing.B, cfg Config, from, to, senders int, deflate bool, start func(int, *bufio.Reader)) *serverTarget {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	t := &serverTarget{srv: newTestServer(b, cfg, slog.New(slog.DiscardHandler))}
	t.hs = &http.Server{Handler: t.srv}
	go t.hs.Serve(ln)
	addr := ln.Addr().String()
	t.addr = addr
	for i := from; i < to; i++ {
		c := dialBench(b, addr, fmt.Sprintf("r%d", i), deflate)
		t.clients = append(t.clients, c)
		start(i, c.br)
	}
	for i := range senders {
		t.senders = append(t.senders, dialBench(b, addr, fmt.Sprintf("bench%d", i), false))
		go io.Copy(io.Discard, t.senders[i].br) // senders hear everything too
	}
	return t
}

func (t *serverTarget) ready(b *testing.B) {
	// Every peer is in once /metrics counts all their joins.
	want := float64(len(t.clients) + len(t.senders))
	var joins float64
	if !eventuallyWithin(time.Minute, func() bool {
		joins = scrape(b, t.srv.MetricsHandler())["wschat_joins_total"]
		return joins == want
	}) {
		b.Fatalf("only %v of %v peers joined", joins, want)
	}
}

func (t *serverTarget) send(b *testing.B, sender, n, rate, size int) {
	c := t.senders[sender]
	err := pace(n, rate, size, func(msg []byte) error {
		_, err := c.nc.Write(clientFrame(true, opText, true, c.key, msg))
		return err
	})
	if err != nil {
		b.Error(err)
	}
}

func (t *serverTarget) close() {
	t.hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, c := range append(t.clients, t.senders...) {
		c.nc.Close()
	}
	t.srv.Shutdown(ctx)
}

// floor is the baseline: accepted TCP connections, and one loop writing
// one pre-encoded frame to each.
type floor struct {
	ln      net.Listener
	clients []net.Conn
	sockets []net.Conn
}

func newFloor(b *testing.B, receivers int, start func(int, *bufio.Reader)) *floor {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	f := &floor{ln: ln}
	for i := range receivers {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		f.clients = append(f.clients, c)
		f.sockets = append(f.sockets, s)
		start(i, bufio.NewReader(c))
	}
	return f
}

func (f *floor) ready(*testing.B) {}

func (f *floor) send(b *testing.B, _, n, rate, size int) {
	err := pace(n, rate, size, func(msg []byte) error {
		frame := encodeFrame(opText, append([]byte("bench0: "), msg...))
		for _, s := range f.sockets {
			if _, err := s.Write(frame); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Error(err)
	}
}

func (f *floor) close() {
	f.ln.Close()
	for i := range f.clients {
		f.clients[i].Close()
		f.sockets[i].Close()
	}
}
