//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The attacks of a hostile client, against the real binary in its own
// process, whose peak resident memory is measured against the bound the
// flags set: connections × -max-queue, or -max-reassembly, plus a fixed
// margin for the runtime, buffers and garbage not yet collected. The
// tests assert the bound; BenchmarkAttackRSS reports the figures:
//
//	go test -run '^$' -bench AttackRSS -benchtime 1x

// rssMargin is what the server may hold under an attack beyond what its
// limits count: the heap the collector lets grow past live data, read
// buffers, goroutine stacks.
const rssMargin = 32 << 10 // KiB

// attack is one hostile workload against a binary started with args. It
// runs for a few seconds and returns the memory its limits allow, in KiB
// over the server's resident memory at start.
type attack struct {
	name string
	args []string
	run  func(tb testing.TB, addr string) (boundKiB int64)
}

var attacks = []attack{
	{
		// Clients that flood empty pings and never read.
		name: "ping-flood",
		args: []string{"-max-queue", "262144"},
		run: func(tb testing.TB, addr string) int64 {
			const conns = 40
			flood(tb, addr, "/ws/echo", conns, 2*time.Second, func(key [4]byte) []byte {
				return bytes.Repeat(clientFrame(true, opPing, true, key, nil), 4096)
			})
			return conns * 256
		},
	},
	{
		// Chat clients that never read, and one that sends one-character
		// messages as fast as it can.
		name: "readers-that-never-read",
		args: []string{"-max-queue", "262144", "-write-timeout", "2s"},
		run: func(tb testing.TB, addr string) int64 {
			const readers = 50
			for i := range readers {
				c, resp, err := tryDial(addr, fmt.Sprintf("/ws/chat?name=r%d", i), nil)
				if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
					tb.Fatalf("reader %d: %v %v", i, err, resp)
				}
				tb.Cleanup(func() { c.nc.Close() })
			}
			flood(tb, addr, "/ws/chat?name=sender", 1, 3*time.Second, func(key [4]byte) []byte {
				return bytes.Repeat(clientFrame(true, opText, true, key, []byte("x")), 4096)
			})
			return (readers + 1) * 256
		},
	},
	{
		// Echo clients that keep a message open, just short of the limit.
		name: "partial-messages",
		args: []string{"-max-echo-message", "8388608", "-max-reassembly", "16777216", "-message-timeout", "3s"},
		run: func(tb testing.TB, addr string) int64 {
			const conns = 30
			chunk := bytes.Repeat([]byte("a"), 256<<10)
			flood(tb, addr, "/ws/echo", conns, 4*time.Second, func(key [4]byte) []byte {
				var b []byte
				b = append(b, clientFrame(false, opBinary, true, key, chunk)...)
				for range 30 {
					b = append(b, clientFrame(false, opContinuation, true, key, chunk)...)
				}
				return b // once: 31 × 256 KiB, and the message stays open
			})
			// The budget, and the buffers it has let go of by growing,
			// until the collector frees them.
			return 2 * 16 << 10
		},
	},
	{
		// Connections that send half a request header and wait.
		name: "half-sent-headers",
		run: func(tb testing.TB, addr string) int64 {
			const conns = 2000
			partial := []byte(strings.TrimSuffix(upgradeRequest(addr, "/ws/echo", nil), "\r\n"))
			for i := range conns {
				nc := dialFrom(tb, []string{"127.0.0.1", "127.0.0.2"}[i%2], addr)
				tb.Cleanup(func() { nc.Close() })
				nc.Write(partial)
			}
			// What -max-handshakes (1024) connections cost net/http: a
			// goroutine, its read and write buffers, the connection.
			return defaultMaxHandshakes * 16
		},
	},
}

// flood opens conns connections to path and writes what payload returns
// on each, again and again, without reading, for d or until the server
// stops taking it.
func flood(tb testing.TB, addr, path string, conns int, d time.Duration, payload func(key [4]byte) []byte) {
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for i := range conns {
		c, resp, err := tryDial(addr, path, nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			tb.Fatalf("connection %d: %v %v", i, err, resp)
		}
		tb.Cleanup(func() { c.nc.Close() })
		p := payload(c.key)
		wg.Go(func() {
			c.nc.SetWriteDeadline(deadline)
			for time.Now().Before(deadline) {
				if _, err := c.nc.Write(p); err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
}

// runAttack starts the binary, runs a on it while sampling its resident
// memory, and returns the peak and the bound, both in KiB over the
// server's memory at start, and the memory a second after the attack.
func runAttack(tb testing.TB, bin string, a attack) (peak, bound, after int64) {
	srv, addr, logs := startBinary(tb, bin, a.args...)
	base := rssKiB(tb, srv.Process.Pid)
	stop := make(chan struct{})
	peaked := make(chan int64)
	go func() {
		var max int64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss := rssKiB(tb, srv.Process.Pid); rss > max {
				max = rss
			}
			select {
			case <-stop:
				peaked <- max
				return
			case <-tick.C:
			}
		}
	}()
	bound = a.run(tb, addr) + rssMargin
	close(stop)
	peak = <-peaked - base
	if resp, _ := get(tb, addr, "/healthz"); resp.StatusCode != http.StatusOK {
		tb.Errorf("after the attack, /healthz says %s", resp.Status)
	}
	time.Sleep(time.Second) // a moment for the collector: what is measured is the memory then
	after = rssKiB(tb, srv.Process.Pid) - base
	if strings.Contains(logs.String(), "too many open files") {
		tb.Errorf("the server ran out of file descriptors:\n%s", logs)
	}
	return peak, bound, after
}

func TestAttacksStayWithinTheirMemoryBound(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	bin := buildBinary(t)
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			peak, bound, after := runAttack(t, bin, a)
			t.Logf("peak RSS +%d KiB, bound %d KiB, a second after +%d KiB", peak, bound, after)
			if peak > bound {
				t.Errorf("peak RSS grew by %d KiB, over the bound of %d KiB", peak, bound)
			}
		})
	}
}

func BenchmarkAttackRSS(b *testing.B) {
	bin := buildBinary(b)
	for _, a := range attacks {
		b.Run(a.name, func(b *testing.B) {
			for range b.N {
				peak, bound, after := runAttack(b, bin, a)
				b.ReportMetric(float64(peak)/1024, "MiB-peak-RSS-growth")
				b.ReportMetric(float64(bound)/1024, "MiB-bound")
				b.ReportMetric(float64(after)/1024, "MiB-RSS-growth-after")
			}
		})
	}
}

func TestFullServerAnswers503AndHealthzUnderAHeaderFlood(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	// A server with few file descriptors: 512, of which 112 for
	// connections waiting for a request header and 336 for WebSockets.
	script := filepath.Join(t.TempDir(), "wschat-512")
	wrapper := fmt.Sprintf("#!/bin/sh\nulimit -n 512 || exit 1\nexec %s \"$@\"\n", buildBinary(t))
	if err := os.WriteFile(script, []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	_, addr, logs := startBinary(t, script)
	healthy := func(when string) {
		t.Helper()
		for range 5 {
			if resp, body := get(t, addr, "/healthz"); resp.StatusCode != http.StatusOK || body != "ok" {
				t.Fatalf("/healthz %s: %s %q", when, resp.Status, body)
			}
		}
	}
	// More half-sent requests than the server has descriptors.
	partial := strings.TrimSuffix(upgradeRequest(addr, "/ws/echo", nil), "\r\n")
	for i := range 600 {
		nc := dialFrom(t, []string{"127.0.0.1", "127.0.0.2"}[i%2], addr)
		t.Cleanup(func() { nc.Close() })
		nc.Write([]byte(partial))
	}
	healthy("under a flood of half-sent requests")

	// Filled up, the server answers 503, and /healthz still answers.
	const maxConns = 512 - reservedFiles - (512-reservedFiles)/4
	for i := range maxConns {
		c, resp, err := tryDial(addr, "/ws/echo", nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("connection %d of %d: %v %v\n%s", i, maxConns, err, resp, logs)
		}
		t.Cleanup(func() { c.nc.Close() })
	}
	_, resp, err := tryDial(addr, "/ws/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	expectRefused(t, resp, http.StatusServiceUnavailable, fmt.Sprintf("the server is full: it takes at most %d connections; try again later", maxConns))
	healthy("with the server full")
	if strings.Contains(logs.String(), "too many open files") {
		t.Errorf("the server ran out of file descriptors:\n%s", logs)
	}
}

func TestMaxConnsOverTheOpenFileLimitIsRefused(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	out, err := exec.Command(buildBinary(t), "-addr", "127.0.0.1:0", "-max-conns", "100000000").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("got %v, want exit status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "-max-conns 100000000 is more than the open-file limit (RLIMIT_NOFILE)") {
		t.Fatalf("got %q, want the limit named", out)
	}
}

func TestSIGTERMWithAHalfSentRequestExits0(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	cmd, addr, logs := startBinary(t, buildBinary(t))
	nc := dialFrom(t, "127.0.0.1", addr)
	defer nc.Close()
	nc.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")) // and never the blank line
	join(t, addr, "alice")                                   // the request is being read by now
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("%v, want exit status 0\n%s", err, logs)
		}
	case <-time.After(testTimeout):
		t.Fatalf("still running after %v\n%s", testTimeout, logs)
	}
}
