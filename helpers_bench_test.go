//go:build unix

package main

import (
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// This file holds what the benchmarks share: their clients (dialBench,
// benchReceiver, pace), their text (benchText), and what they read of
// the machine (procCPU, loadAverage) and of the environment (envInt).
// See helpers_test.go for where the other helpers are.

// benchReceiver counts the benchmark messages one client receives and
// their latency. Compressed messages are counted without being read,
// unless inflate is set: then they are inflated, as a browser does, and
// timed.
type benchReceiver struct {
	want      int64
	inflate   bool
	count     atomic.Int64
	bytes     atomic.Int64 // of the benchmark messages' frames
	latencies []time.Duration
	done      chan struct{}
	inflater  io.ReadCloser // reused from one message to the next
	inflated  bytes.Buffer
}

func (r *benchReceiver) run(br *bufio.Reader) {
	defer close(r.done)
	var hdr [maxHeaderSize]byte
	payload := make([]byte, 0, 1024)
	for r.count.Load() < r.want {
		if _, err := io.ReadFull(br, hdr[:2]); err != nil {
			return
		}
		n := headerSize(hdr[:2])
		if _, err := io.ReadFull(br, hdr[2:n]); err != nil {
			return
		}
		h, _, _ := parseFrameHeader(hdr[:n])
		payload = slices.Grow(payload[:0], int(h.length))[:h.length]
		if _, err := io.ReadFull(br, payload); err != nil {
			return
		}
		if h.rsv == bitRsv1 && h.opcode == opText && !r.inflate { // only benchmark messages come compressed
			r.bytes.Add(int64(n) + h.length)
			r.count.Add(1)
			continue
		}
		if h.rsv == bitRsv1 {
			payload = r.inflateMessage(payload)
		}
		// Benchmark messages read "bench0: <unix nanoseconds> ...".
		_, stamp, ok := bytes.Cut(payload, []byte(": "))
		if !ok || h.opcode != opText || !bytes.HasPrefix(payload, []byte("bench")) {
			continue
		}
		stamp, _, _ = bytes.Cut(stamp, []byte(" "))
		sent, _ := strconv.ParseInt(string(stamp), 10, 64)
		r.latencies = append(r.latencies, time.Since(time.Unix(0, sent)))
		r.bytes.Add(int64(n) + h.length)
		r.count.Add(1)
	}
}

// inflateMessage is a compressed message from the server inflated, as a
// client does (RFC 7692 §7.2.2), or nil where it does not inflate. It is
// valid until the next call.
func (r *benchReceiver) inflateMessage(data []byte) []byte {
	src := io.MultiReader(bytes.NewReader(data), bytes.NewReader(deflateTail[:]))
	if r.inflater == nil {
		r.inflater = flate.NewReader(src)
	} else {
		r.inflater.(flate.Resetter).Reset(src, nil)
	}
	r.inflated.Reset()
	if _, err := r.inflated.ReadFrom(r.inflater); err != nil {
		return nil
	}
	return r.inflated.Bytes()
}

// pace sends n messages of size bytes through write, at rate per second
// when rate > 0.
func pace(n, rate, size int, write func(msg []byte) error) error {
	start := time.Now()
	pad := benchText(size)
	for i := range n {
		if rate > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
		}
		msg := fmt.Appendf(nil, "%d %s", time.Now().UnixNano(), pad)
		if err := write(msg[:size]); err != nil {
			return err
		}
	}
	return nil
}

// dialBench joins the chat for a benchmark, offering permessage-deflate
// as Chromium does when deflate is set.
func dialBench(b *testing.B, addr, name string, deflate bool) *wsClient {
	return dialBenchIn(b, addr, name, "", deflate)
}

// dialBenchIn is dialBench into room, or the lobby where room is empty.
func dialBenchIn(b *testing.B, addr, name, room string, deflate bool) *wsClient {
	path := "/ws/chat?name=" + name
	if room != "" {
		path += "&room=" + room
	}
	h := http.Header{}
	if deflate {
		h.Set("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")
	}
	c, resp, err := tryDial(addr, path, h)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		b.Fatalf("dial %s: %v %v", name, err, resp)
	}
	c.t = b
	c.nc.SetDeadline(time.Time{})
	return c
}

// benchText is size bytes of chat-like text: words drawn at random from
// a vocabulary of a few hundred, with numbers and punctuation, which
// compresses about as well as what people write.
func benchText(size int) string {
	rng := rand.New(rand.NewPCG(uint64(size), 7))
	words := strings.Fields(benchVocabulary)
	var b strings.Builder
	for b.Len() < size {
		switch rng.IntN(12) {
		case 0:
			fmt.Fprintf(&b, "%d ", rng.IntN(10000))
		case 1:
			b.WriteString(words[rng.IntN(len(words))] + ", ")
		case 2:
			b.WriteString(strings.ToUpper(words[rng.IntN(len(words))][:1]) + words[rng.IntN(len(words))] + ". ")
		default:
			b.WriteString(words[rng.IntN(len(words))] + " ")
		}
	}
	return b.String()[:size]
}

// benchVocabulary is the words of benchText.
const benchVocabulary = `the be to of and a in that have I it for not on with he as you do at this but his by from they we say her she or
an will my one all would there their what so up out if about who get which go me when make can like time no just him know take people
into year your good some could them see other than then now look only come its over think also back after use two how our work first
well way even new want because any these give day most us is was are been has had did said went made got saw came told found left
station museum train meeting tomorrow tonight lunch coffee weekend office project deadline release build test server client message
room channel photo link video call phone email sorry thanks great idea maybe later soon early late okay sure yes nope anyone
everyone someone nobody here there where why which whose while until before during since through between under above below near far`

// procCPU is the CPU time the process pid has used, user and system, in
// clock ticks of 10 ms (from /proc/PID/stat), or -1 where it cannot be
// read.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	_, rest, _ := strings.Cut(string(data), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return -1
	}
	user, _ := strconv.ParseInt(f[11], 10, 64)
	sys, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(user+sys) * 10 * time.Millisecond
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}

// envInt is the positive integer in the environment variable name, or
// def where it is unset.
func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}
