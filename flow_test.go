//go:build unix

package main

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// This file tests flow control: readers that keep up are never dropped,
// however fast their senders, and a reader that stalls is dropped once,
// with its reason, without holding the room up for longer than the write
// timeout.

// spin keeps every processor busy until the test ends, as other programs
// on a loaded machine would.
func spin(t *testing.T) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for x := 0; ; x++ {
				select {
				case <-stop:
					return
				default:
				}
				for range 1 << 14 {
					x ^= x << 1
				}
			}
		})
	}
	t.Cleanup(func() {
		close(stop)
		wg.Wait()
	})
}

// joinSmallBuffer joins as name over a socket with a small receive
// buffer, as over a link slower than loopback: the server's outbox, not
// the kernel, holds what the client has yet to read. (Not smaller than a
// few loopback segments of 64 KiB, or TCP itself stalls for seconds
// between zero-window probes.)
func joinSmallBuffer(t *testing.T, addr, name string) *inbox {
	t.Helper()
	d := net.Dialer{Timeout: testTimeout, Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 128<<10)
		})
		return err
	}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, resp := handshakeOn(t, nc, addr, "/ws/chat?name="+name)
	if c == nil {
		t.Fatalf("%s: %s", name, resp.Status)
	}
	in := listen(c)
	if w := in.next(t); !strings.HasPrefix(w, "* welcome, "+name+"!") {
		t.Fatalf("%s: got %q, want a welcome", name, w)
	}
	return in
}

// readAll waits for want messages from sender, in order and nothing but,
// skipping join and leave notices.
func readAll(t *testing.T, in *inbox, sender string, want int, text string) {
	t.Helper()
	for next := 0; next < want; {
		m := in.next(t)
		if strings.HasPrefix(m, "* ") {
			continue
		}
		if w := fmt.Sprintf("%s: %d %s", sender, next, text); m != w {
			t.Fatalf("message %d: got %.40q, want %.40q", next, m, w)
		}
		next++
	}
}

func TestBurstKeepsEveryReaderWithTheCPUContended(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	// The server in a process of its own; its clients here, competing
	// for the processors with goroutines that keep them busy.
	_, addr, logs := startBinary(t, buildBinary(t))
	sender := join(t, addr, "sender")
	var readers []*inbox
	for i := range 4 {
		readers = append(readers, joinSmallBuffer(t, addr, fmt.Sprintf("reader%d", i)))
	}
	spin(t)
	// 20 MB, five times the outbox: readers that read as fast as they can
	// fall behind while the processors are busy, and the sender waits.
	const n = 20000
	text := strings.Repeat("x", 1000)
	sender.c.nc.SetWriteDeadline(time.Time{})
	go func() {
		for i := range n {
			if _, err := sender.c.nc.Write(clientFrame(true, opText, true, sender.c.key, fmt.Appendf(nil, "%d %s", i, text))); err != nil {
				t.Errorf("sender: write %d: %v", i, err)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for _, in := range append(readers, sender) {
		wg.Go(func() { readAll(t, in, "sender", n, text) })
	}
	wg.Wait()
	if t.Failed() {
		t.Logf("server log:\n%s", logs)
	}
}

func TestManySendersWithinTheirRateKeepEveryReader(t *testing.T) {
	cfg := testConfig()
	cfg.Rate, cfg.Burst = 2, 10
	cfg.MaxQueue = 256 << 10
	s, addr := startServer(t, cfg)
	var readers []*inbox
	for i := range 20 {
		readers = append(readers, join(t, addr, fmt.Sprintf("reader%d", i)))
	}
	// 79 senders, each sending its burst at once: 790 messages of 8 KB,
	// 6.3 MB for every reader, far more than its outbox.
	const senders, burst = 79, 10
	text := strings.Repeat("y", 8000)
	var clients []*wsClient
	for i := range senders {
		c := dialFromAddr(t, fmt.Sprintf("127.0.1.%d", i+1), addr, fmt.Sprintf("/ws/chat?name=s%d", i)) // a rate each
		go drainFrames(c)
		clients = append(clients, c)
	}
	for _, c := range clients {
		go func() {
			for range burst {
				c.nc.Write(clientFrame(true, opText, true, c.key, []byte(text)))
			}
		}()
	}
	var wg sync.WaitGroup
	for _, in := range readers {
		wg.Go(func() {
			for got := 0; got < senders*burst; {
				if m := in.next(t); strings.HasSuffix(m, text) {
					got++
				} else if strings.HasPrefix(m, "CLOSE") || m == "EOF" {
					t.Errorf("a reader was closed: %.60q", m)
					return
				}
			}
		})
	}
	wg.Wait()
	m := scrape(t, s.MetricsHandler())
	if d := m[`wschat_drops_total{reason="too_slow"}`] + m[`wschat_drops_total{reason="write_timeout"}`]; d != 0 {
		t.Fatalf("%v dropped, want none", d)
	}
}

func TestStalledReaderHoldsTheRoomNoLongerThanTheWriteTimeout(t *testing.T) {
	// The write timeout of testConfig, which a reader that keeps up never
	// comes near, however loaded the machine: the sender, who reads its
	// own messages, must not be dropped. The room is held once, for about
	// that long, while the stalled client is dropped; a room held until
	// the stalled client came back would fail the wait for the next
	// message (testTimeout).
	cfg := testConfig()
	cfg.MaxQueue = 64 << 10
	srv, addr := startHTTP(t, cfg)
	sender := join(t, addr, "sender")
	stalled := dial(t, addr, "/ws/chat?name=stalled")
	stalled.next()
	sender.expect(t, "* stalled joined")

	// Several times what the stalled client's socket buffers, which
	// loopback lets grow to several megabytes, and its outbox hold: it
	// stops taking messages, and is dropped, well before the last.
	const n = 16000
	text := strings.Repeat("z", 1000)
	sender.c.nc.SetWriteDeadline(time.Time{})
	go func() {
		for i := range n {
			if _, err := sender.c.nc.Write(clientFrame(true, opText, true, sender.c.key, fmt.Appendf(nil, "%d %s", i, text))); err != nil {
				return
			}
		}
	}()
	// The room goes on, every message in order; the stalled client leaves
	// in the middle of them, once.
	var dropped *inbox // the stalled client, reading again once it has left
	for next := 0; next < n; {
		m := sender.next(t)
		if m == "* stalled left" && dropped == nil {
			dropped = listen(stalled)
			continue
		}
		if w := fmt.Sprintf("sender: %d %s", next, text); m != w {
			t.Fatalf("message %d: got %.40q, want %.40q", next, m, w)
		}
		next++
	}
	if dropped == nil {
		t.Fatalf("the stalled client was still in the room after all %d messages", n)
	}
	// The stalled client learns why once it reads again, within the
	// close timeout: what it was sent before the drop, whole, then the
	// close frame.
	for m := dropped.next(t); m != "CLOSE 1008 "+tooSlowReason; m = dropped.next(t) {
		if !strings.HasPrefix(m, "sender: ") && !strings.HasPrefix(m, "* ") {
			t.Fatalf("the stalled client got %.40q, want messages and then its close frame", m)
		}
	}
	// Dropped once: one drop in /metrics, under one reason.
	m := scrapeUntil(t, srv, map[string]float64{"wschat_leaves_total": 1})
	if got := m[`wschat_drops_total{reason="too_slow"}`] + m[`wschat_drops_total{reason="write_timeout"}`]; got != 1 {
		t.Fatalf("too_slow + write_timeout = %v, want 1", got)
	}
}
