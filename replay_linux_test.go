package main

import (
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Replay under flow control: a newcomer's history is sent no faster than
// its client reads it, and the memory a replay holds is bounded by the
// client's outbox, not by the room's history.

// pacedReader reads from r no faster than rate bytes a second, as a client
// on a slow link would.
type pacedReader struct {
	r     io.Reader
	rate  float64 // bytes a second
	start time.Time
	n     int64 // bytes read so far
}

// Read implements io.Reader, a piece of at most 16 KiB at a time, each
// once the rate allows it.
func (p *pacedReader) Read(b []byte) (int, error) {
	if p.start.IsZero() {
		p.start = time.Now()
	}
	b = b[:min(len(b), 16<<10)]
	due := p.start.Add(time.Duration(float64(p.n+int64(len(b))) / p.rate * float64(time.Second)))
	if wait := time.Until(due); wait > 0 {
		time.Sleep(wait) // pacing, not waiting for anything
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	return n, err
}

// dialPaced opens a chat connection to path that reads at rate bytes a
// second, and returns it with its reader, which counts what it read.
// With small set, its socket is as over a network link rather than
// loopback: a 64 KiB receive buffer and an Ethernet segment size (1448
// bytes, where loopback's is 64 KiB), so that the kernels on either side
// hold a few hundred KiB of what it has yet to read, not megabytes.
func dialPaced(t testing.TB, addr, path string, rate float64, small bool) (*wsClient, *pacedReader) {
	t.Helper()
	d := net.Dialer{Timeout: testTimeout}
	if small {
		// Before connecting: the segment size is offered in the SYN.
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var err error
			rc.Control(func(fd uintptr) {
				err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
				if err == nil {
					err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, 1448)
				}
			})
			return err
		}
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, resp, err := handshakeOver(nc, addr, path, nil)
	if err != nil || c == nil {
		nc.Close()
		t.Fatalf("dial %s: %v %v", path, err, resp)
	}
	c.t = t
	early, _ := c.br.Peek(c.br.Buffered()) // what came with the handshake's answer
	p := &pacedReader{r: nc, rate: rate}
	c.br = bufio.NewReader(io.MultiReader(bytes.NewReader(bytes.Clone(early)), p))
	nc.SetWriteDeadline(time.Time{})
	t.Cleanup(func() { nc.Close() })
	return c, p
}

// readLines reads frames until it has n chat lines, skipping notices
// ("* ...") and control frames, and calls each with every line. It
// returns an error if the connection ends first; it does not fail the
// test, so that goroutines may call it.
func (c *wsClient) readLines(n int, each func(line []byte)) error {
	for got := 0; got < n; {
		h, p, err := c.readFrame()
		switch {
		case err != nil:
			return fmt.Errorf("after %d lines of %d: %w", got, n, err)
		case h.opcode == opClose:
			return fmt.Errorf("after %d lines of %d: closed %v", got, n, decodeClose(p))
		case h.opcode != opText:
			continue
		case h.rsv == bitRsv1:
			if p, err = inflateMessage(p); err != nil {
				return err
			}
		}
		if len(p) >= 2 && p[0] == '*' && p[1] == ' ' {
			continue
		}
		got++
		each(p)
	}
	return nil
}

// inflateMessage inflates a compressed message from the server (RFC 7692
// §7.2.2), as clientInflate does, with an error instead of failing.
func inflateMessage(data []byte) ([]byte, error) {
	msg, err := io.ReadAll(flate.NewReader(io.MultiReader(bytes.NewReader(data), bytes.NewReader(deflateTail[:]))))
	if err != nil {
		return nil, fmt.Errorf("inflate the server's message: %w", err)
	}
	return msg, nil
}

// fillRoom has senders clients post n messages of size bytes to room
// between them, as fast as the room takes them, and returns the heads of
// the room's lines (see lineHead), in the order the room delivered them.
// They send and take the messages compressed (each is mostly one letter
// repeated), so that filling a room costs little but its history. With
// tokens on, token returns one for each name; nil otherwise.
func fillRoom(t testing.TB, addr, room string, n, size, senders int, token func(testing.TB, string) string) []string {
	t.Helper()
	heads := make([][]string, senders)
	errs := make(chan error, 2*senders)
	var wg sync.WaitGroup
	for s := range senders {
		h := http.Header{"Sec-WebSocket-Extensions": {"permessage-deflate; client_no_context_takeover"}}
		name := fmt.Sprint("filler", s)
		// From the room's first message: one that joins after the others
		// began is replayed what they sent so far, all of it.
		path := "/ws/chat?since=0-0&room=" + room + "&name=" + name
		if token != nil {
			path += "&token=" + token(t, name)
		}
		c, resp, err := tryDial(addr, path, h)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Extensions") == "" {
			t.Fatalf("filler %d: %v %v", s, err, resp)
		}
		c.t = t
		c.nc.SetWriteDeadline(time.Time{})
		t.Cleanup(func() { c.nc.Close() })
		wg.Go(func() {
			for i := s; i < n; i += senders {
				msg := fmt.Appendf(nil, "%06d %s", i, strings.Repeat("x", size-7))
				data := clientDeflate(t, msg)
				f := frameHeader{fin: true, opcode: opText, rsv: bitRsv1, masked: true, maskKey: c.key, length: int64(len(data))}
				b := appendFrameHeader(nil, f)
				k := len(b)
				b = append(b, data...)
				maskBytes(c.key, 0, b[k:])
				if _, err := c.nc.Write(b); err != nil {
					errs <- fmt.Errorf("filler %d: write: %w", s, err)
					return
				}
			}
		})
		wg.Go(func() {
			for len(heads[s]) < n { // the room's history before them, then theirs
				err := c.readLines(1, func(line []byte) {
					if h := lineHead(line); strings.HasPrefix(h, "filler") {
						heads[s] = append(heads[s], h)
					}
				})
				if err != nil {
					errs <- fmt.Errorf("filler %d: %w", s, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for s := range heads {
		if !slices.Equal(heads[s], heads[0]) {
			t.Fatalf("filler %d saw the room in another order than filler 0", s)
		}
	}
	return heads[0]
}

// lineHead is the start of a line fillRoom's clients sent, which tells
// it from the others: "filler1: 000042".
func lineHead(line []byte) string {
	name, text, _ := strings.Cut(string(line[:min(len(line), 64)]), ": ")
	index, _, _ := strings.Cut(text, " ")
	return name + ": " + index
}

func TestReplayCatchesUpASlowReaderUnderFlowControl(t *testing.T) {
	for _, e := range contractEngines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel() // each reads at its own pace
			cfg := testConfig()
			// Two messages: past them the replay waits for the client, and
			// at four times as much (hardQueueFactor) the client would be
			// dropped as too slow.
			cfg.MaxQueue = 128 << 10
			d := e.start(t, cfg)
			const n, size, rate = 48, 63 << 10, 256 << 10
			alice, _ := joinAsJSON(t, d.node(0), "name=alice&room=big")
			_, ids := sayLive(t, alice, "before")
			heads := fillRoom(t, d.node(0), "big", n, size, 2, nil)

			srv := d.servers[1%len(d.servers)]
			sent := func() int64 { return int64(scrape(t, srv.MetricsHandler())["wschat_sent_bytes_total"]) }
			base := sent()
			began := time.Now()
			bob, paced := dialPaced(t, d.node(1), "/ws/chat?room=big&name=bob&since="+ids[0].String(), rate, true)
			if w := bob.next(); !strings.HasPrefix(w, "* welcome to big, bob! ") {
				t.Fatalf("got %q, want bob's welcome", w)
			}
			var got int
			// The most the server had written that bob had yet to read:
			// what the kernels on either side held.
			var ahead int64
			err := bob.readLines(n, func(line []byte) {
				if h := lineHead(line); h != heads[got] {
					t.Fatalf("line %d: got %q, want %q", got, h, heads[got])
				}
				got++
				ahead = max(ahead, sent()-base-paced.n)
			})
			if err != nil {
				t.Fatalf("bob, reading %d KiB/s: %v", rate>>10, err)
			}
			took := time.Since(began)
			carol := enter(t, d.node(0), "carol", "big") // alice's client has given up waiting by now
			carol.c.sendText("after")
			var live string
			if err := bob.readLines(1, func(line []byte) { live = string(line) }); err != nil || live != "carol: after" {
				t.Fatalf("after the replay: got %q %v, want carol's live message", live, err)
			}
			// Had the replay not waited for bob, it would have put more in
			// his outbox than its hard cap, and he would have been dropped.
			total, hard := int64(n*size), int64(hardQueueFactor*cfg.MaxQueue)
			t.Logf("caught up on %d KiB at %d KiB/s in %v; the kernels held at most %d KiB of it, the outbox may hold %d KiB",
				total>>10, rate>>10, took.Round(time.Millisecond), ahead>>10, hard>>10)
			if ahead+hard >= total {
				t.Fatalf("the kernels held %d KiB: with the outbox's %d KiB, the whole replay could be queued at once, and this proves nothing", ahead>>10, hard>>10)
			}
		})
	}
}

func TestReplayMemoryIsBoundedByTheOutboxNotTheHistory(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	bin := buildBinary(t)
	for _, v := range []struct {
		name string
		args []string
	}{
		{"memory", nil},
		{"data", []string{"-data", t.TempDir()}},
	} {
		t.Run(v.name, func(t *testing.T) {
			const n, size, fillers = 1041, 63 << 10, 4 // 64 MiB of history
			const maxQueue, clients = 1 << 20, 10
			args := append([]string{"-max-queue", strconv.Itoa(maxQueue), "-history-keep", strconv.Itoa(n), "-write-timeout", "3s"}, v.args...)
			srv, addr, logs := startBinary(t, bin, args...)
			fillRoom(t, addr, "big", n, size, fillers, nil)
			maddr := metricsAddr(t, logs)
			base := rssKiB(t, srv.Process.Pid)

			peak := make(chan int64)
			stop := make(chan struct{})
			go func() {
				var most int64
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				for {
					most = max(most, rssKiB(t, srv.Process.Pid))
					select {
					case <-stop:
						peak <- most
						return
					case <-tick.C:
					}
				}
			}()
			// Clients replayed the whole room, that read nothing: each
			// replay waits on its outbox until the client is dropped.
			for i := range clients {
				c, resp, err := tryDial(addr, fmt.Sprintf("/ws/chat?room=big&since=0-0&name=idle%d", i), nil)
				if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
					t.Fatalf("client %d: %v %v", i, err, resp)
				}
				t.Cleanup(func() { c.nc.Close() })
			}
			dropped := func() bool {
				m := binaryMetrics(t, maddr)
				return m[`wschat_drops_total{reason="too_slow"}`]+m[`wschat_drops_total{reason="write_timeout"}`] >= clients &&
					m["wschat_connections"] == fillers
			}
			for deadline := time.Now().Add(time.Minute); !dropped(); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the clients that read nothing were not all dropped within a minute: %v", binaryMetrics(t, maddr))
				}
			}
			close(stop)
			growth := <-peak - base
			bound := int64(clients*hardQueueFactor*maxQueue>>10) + rssMargin
			t.Logf("%d KiB of history, %d clients replayed it whole and read nothing: peak RSS +%d KiB, bound %d KiB; queueing all of it for each would take %d KiB",
				n*size>>10, clients, growth, bound, clients*n*size>>10)
			if growth > bound {
				t.Errorf("peak RSS grew by %d KiB, over the bound of %d KiB", growth, bound)
			}
		})
	}
}

// binaryMetrics reads the samples of /metrics at addr, a binary's metrics
// listener, by name with labels.
func binaryMetrics(t testing.TB, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for line := range strings.Lines(string(body)) {
		if name, value, ok := strings.Cut(strings.TrimSpace(line), " "); ok && !strings.HasPrefix(name, "#") {
			out[name], _ = strconv.ParseFloat(value, 64)
		}
	}
	return out
}

func TestMailKeptWhileItsOwnerCatchesUpComesOnce(t *testing.T) {
	for _, e := range contractEngines {
		t.Run(e.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.MaxQueue = 128 << 10
			tokensOn(t, &cfg)
			d := e.start(t, cfg)
			// More history than the kernels and an outbox hold: bob's
			// replay cannot end until he reads.
			heads := fillRoom(t, d.node(0), "big", 32, 63<<10, 2, contractToken)
			alice := joinWith(t, d.node(0), contractToken(t, "alice"), "")
			bob, _ := dialPaced(t, d.node(1), "/ws/chat?room=big&token="+contractToken(t, "bob"), 64<<20, true)
			if w := bob.next(); !strings.HasPrefix(w, "* welcome to big, bob!") {
				t.Fatalf("got %q, want bob's welcome", w)
			}
			const mail = "alice → bob: while you catch up"
			alice.c.sendText("/msg bob while you catch up")
			alice.expectNotPresence(t, mail)
			alice.nothingMore(t, "alice") // kept, and bob is online

			// bob reads on: the room's history, then his mail, once.
			var got []string
			if err := bob.readLines(len(heads)+1, func(line []byte) {
				if h := lineHead(line); strings.HasPrefix(h, "filler") {
					got = append(got, h)
				} else {
					got = append(got, string(line))
				}
			}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got[:len(heads)], heads) || got[len(heads)] != mail {
				t.Fatalf("bob read %q, want the room's history %q, then %q", got, heads, mail)
			}
			bob.writeFrame(true, opText, []byte("/msg bob marker"))
			var next string
			if err := bob.readLines(1, func(line []byte) { next = string(line) }); err != nil || next != "bob → bob: marker" {
				t.Fatalf("after his mail: got %q %v, want nothing before his marker", next, err)
			}
		})
	}
}
