package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkIdleHeap serves the chat in this process, joins 5,000 clients
// (both ends of each connection live here, and the machine allows 20,000
// descriptors), lets one of them say something everyone hears, waits until
// every connection is parked again, and reports what the server keeps on
// the heap per parked connection, recording every allocation. With -v it
// lists where those bytes were allocated, by the innermost function of
// the server's and the standard library's on each allocation's stack: the
// breakdown of what an idle chat user costs. The clients' own
// allocations, made by this file's and other tests' code, are left out.
//
//	go test -run '^$' -bench IdleHeap -benchtime 1x -v
func BenchmarkIdleHeap(b *testing.B) {
	for _, v := range []struct{ name, offer string }{{"plain", ""}, {"deflate", "permessage-deflate; client_max_window_bits"}} {
		b.Run(v.name, func(b *testing.B) {
			for range b.N {
				idleHeap(b, v.offer)
			}
		})
	}
}

// idleHeapConns is how many clients BenchmarkIdleHeap joins.
const idleHeapConns = 5000

// idleHeap measures one run of BenchmarkIdleHeap, clients offering offer.
func idleHeap(b *testing.B, offer string) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = old }()

	cfg := testConfig()
	cfg.Rate, cfg.Burst = 3, 20         // the binary's defaults: each participant has a limiter
	cfg.PingInterval = 10 * time.Minute // the clients answer no pings: none may come before the end
	s := newTestServer(b, cfg, slog.New(slog.DiscardHandler))
	if s.poller == nil {
		b.Skip("no poller on this system: connections do not park")
	}
	hs, err := newHTTPServer(s, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go hs.Serve(ln)
	defer func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		s.Shutdown(ctx)
	}()
	addr := ln.Addr().String()

	before := liveHeapSites()
	h := http.Header{}
	if offer != "" {
		h.Set("Sec-WebSocket-Extensions", offer)
	}
	said := strings.TrimSpace(strings.Repeat("something everyone hears, compressed when it can be; ", 4))
	heard := make(chan error, idleHeapConns)
	var clients []*wsClient
	defer func() {
		for _, c := range clients {
			c.nc.Close()
		}
	}()
	for i := range idleHeapConns {
		c, resp, err := tryDial(addr, fmt.Sprintf("/ws/chat?name=c%d", i), h)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			b.Fatalf("client %d: %v %v", i, err, resp)
		}
		c.t = b
		c.nc.SetDeadline(time.Now().Add(5 * time.Minute))
		clients = append(clients, c)
		go func() {
			heard <- waitFor(c.br, "c0: "+said)
			io.Copy(io.Discard, c.br)
		}()
	}
	if offer != "" {
		clients[0].writeCompressed(opText, []byte(said), 0)
	} else {
		clients[0].sendText(said)
	}
	for range idleHeapConns {
		if err := <-heard; err != nil {
			b.Fatal(err)
		}
	}
	waitAllParked(b, s, idleHeapConns)
	after := liveHeapSites()

	var total int64
	var rows []heapSite
	for site, n := range after {
		if d := n - before[site]; d != 0 {
			rows = append(rows, heapSite{site, d})
			if !strings.HasPrefix(site, "runtime.") {
				total += d
			}
		}
	}
	slices.SortFunc(rows, func(x, y heapSite) int { return cmp.Compare(y.bytes, x.bytes) })
	for _, r := range rows {
		if per := float64(r.bytes) / idleHeapConns; per >= 1 || per <= -1 {
			b.Logf("%8.1f B/conn  %s", per, r.site)
		}
	}
	b.ReportMetric(float64(total)/idleHeapConns, "B-heap/conn")
}

// waitAllParked waits until n connections of s are parked with nothing
// queued, within a minute.
func waitAllParked(b *testing.B, s *Server, n int) {
	deadline := time.Now().Add(time.Minute)
	for {
		parked := 0
		s.mu.Lock()
		for _, c := range s.conns {
			c.mu.Lock()
			if c.parked && !c.scheduled {
				parked++
			}
			c.mu.Unlock()
		}
		s.mu.Unlock()
		if parked == n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d connections parked after a minute", parked, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// heapSite is where some of the live heap was allocated.
type heapSite struct {
	site  string
	bytes int64
}

// liveHeapSites collects garbage and returns the bytes live on the heap
// by allocation site, leaving out what test code allocated: the site is
// the innermost function of package main on the stack, with the
// standard-library function that allocated, or the outermost function
// when no function of package main is there.
func liveHeapSites() map[string]int64 {
	runtime.GC()
	runtime.GC() // the profile is as of the last complete cycle
	var recs []runtime.MemProfileRecord
	for {
		n, ok := runtime.MemProfile(recs, false)
		if ok {
			recs = recs[:n]
			break
		}
		recs = make([]runtime.MemProfileRecord, n+100)
	}
	sites := map[string]int64{}
	for _, r := range recs {
		if site, ok := allocationSite(r.Stack()); ok {
			sites[site] += r.InUseBytes()
		}
	}
	return sites
}

// allocationSite names the site of an allocation with stack pcs, and
// reports false for one that test code made.
func allocationSite(pcs []uintptr) (string, bool) {
	frames := runtime.CallersFrames(pcs)
	var leaf, outer, own string
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.File, "_test.go") {
			return "", false
		}
		name := strings.TrimPrefix(f.Function, "wschat.")
		switch {
		case own == "" && name != f.Function:
			own = name
		case leaf == "" && !strings.HasPrefix(f.Function, "runtime."):
			leaf = name
		}
		outer = name
		if !more {
			break
		}
	}
	switch {
	case own != "" && leaf != "":
		return own + " > " + leaf, true
	case own != "":
		return own, true
	case leaf != "":
		return outer + " ... " + leaf, true
	}
	return outer, true
}
