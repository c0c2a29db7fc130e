package main

import (
	"bytes"
	"compress/flate"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestNegotiateDeflate answers the offers real clients send, and
// declines the ones RFC 7692 §7.1 says to decline, trying the next.
func TestNegotiateDeflate(t *testing.T) {
	cases := []struct {
		name   string
		header []string
		want   string // the response; "" when declined
		bits   int    // the server window agreed on
	}{
		{name: "Chromium", header: []string{"permessage-deflate; client_max_window_bits"}, want: deflateAnswer, bits: 15},
		{name: "Firefox", header: []string{"permessage-deflate"}, want: deflateAnswer, bits: 15},
		{name: "node ws and wscat", header: []string{"permessage-deflate; client_max_window_bits"}, want: deflateAnswer, bits: 15},
		{name: "Python websockets", header: []string{"permessage-deflate; client_max_window_bits"}, want: deflateAnswer, bits: 15},
		{name: "gorilla/websocket", header: []string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover"}, want: deflateAnswer, bits: 15},
		{name: "coder/websocket", header: []string{"permessage-deflate; client_no_context_takeover; server_no_context_takeover"}, want: deflateAnswer, bits: 15},
		{name: "Autobahn default", header: []string{"permessage-deflate; client_no_context_takeover; client_max_window_bits"}, want: deflateAnswer, bits: 15},
		{name: "Autobahn 13.3 server window 8", header: []string{"permessage-deflate; client_no_context_takeover; client_max_window_bits; server_max_window_bits=8"},
			want: deflateAnswer + "; server_max_window_bits=8", bits: 8},
		{name: "Autobahn 13.6 server window 15", header: []string{"permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=15"},
			want: deflateAnswer + "; server_max_window_bits=15", bits: 15},
		{name: "Autobahn 13.7 first of three offers", header: []string{"permessage-deflate; server_no_context_takeover; server_max_window_bits=8, permessage-deflate; server_no_context_takeover, permessage-deflate"},
			want: deflateAnswer + "; server_max_window_bits=8", bits: 8},
		{name: "client window with a value", header: []string{"permessage-deflate; client_max_window_bits=10"}, want: deflateAnswer, bits: 15},
		{name: "quoted value", header: []string{`permessage-deflate; server_max_window_bits="10"`}, want: deflateAnswer + "; server_max_window_bits=10", bits: 10},
		{name: "names in upper case, spaces", header: []string{"  Permessage-Deflate ;  Client_Max_Window_Bits  "}, want: deflateAnswer, bits: 15},
		{name: "offer on a second header line", header: []string{"x-webkit-deflate-frame", "permessage-deflate"}, want: deflateAnswer, bits: 15},
		{name: "after an unknown extension", header: []string{"foo; bar=\"a,b;c\", permessage-deflate"}, want: deflateAnswer, bits: 15},
		{name: "bad offer skipped for the next", header: []string{"permessage-deflate; server_max_window_bits=7, permessage-deflate"}, want: deflateAnswer, bits: 15},
		{name: "empty list elements", header: []string{", ,permessage-deflate,"}, want: deflateAnswer, bits: 15},

		{name: "no header", header: nil},
		{name: "other extension only", header: []string{"x-webkit-deflate-frame"}},
		{name: "server window 7", header: []string{"permessage-deflate; server_max_window_bits=7"}},
		{name: "server window 16", header: []string{"permessage-deflate; server_max_window_bits=16"}},
		{name: "server window 08", header: []string{"permessage-deflate; server_max_window_bits=08"}},
		{name: "server window +9", header: []string{"permessage-deflate; server_max_window_bits=+9"}},
		{name: "server window without value", header: []string{"permessage-deflate; server_max_window_bits"}},
		{name: "client window 16", header: []string{"permessage-deflate; client_max_window_bits=16"}},
		{name: "client window empty", header: []string{"permessage-deflate; client_max_window_bits="}},
		{name: "duplicate parameter", header: []string{"permessage-deflate; client_max_window_bits; client_max_window_bits"}},
		{name: "unknown parameter", header: []string{"permessage-deflate; level=9"}},
		{name: "no_context_takeover with a value", header: []string{"permessage-deflate; server_no_context_takeover=1"}},
		{name: "unterminated quote", header: []string{`permessage-deflate; server_max_window_bits="10`}},
		{name: "quoted value not a token", header: []string{`permessage-deflate; server_max_window_bits="1 0"`}},
		{name: "bad extension name", header: []string{"permessage deflate"}},
		{name: "parameter without a name", header: []string{"permessage-deflate; =10"}},
		{name: "stray semicolon", header: []string{"permessage-deflate;"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, got, ok := negotiateDeflate(tc.header)
			if got != tc.want || ok != (tc.want != "") {
				t.Fatalf("negotiateDeflate(%q) = %q, %v; want %q", tc.header, got, ok, tc.want)
			}
			if ok && int(p.serverWindowBits) != tc.bits {
				t.Errorf("server window %d bits, want %d", p.serverWindowBits, tc.bits)
			}
		})
	}
}

// TestDeflateHandshake checks the response header on both endpoints, and
// that -compress=false negotiates nothing.
func TestDeflateHandshake(t *testing.T) {
	off := testConfig()
	off.Compress = false
	_, addrOff := startServer(t, off)
	_, addrOn := startServer(t, testConfig())
	cases := []struct {
		name, addr, path, offer, want string
	}{
		{"echo", addrOn, "/ws/echo", "permessage-deflate; client_max_window_bits", deflateAnswer},
		{"chat", addrOn, "/ws/chat?name=alice", "permessage-deflate; client_max_window_bits", deflateAnswer},
		{"hostile offer declined", addrOn, "/ws/echo", "permessage-deflate; server_max_window_bits=08", ""},
		{"compression off", addrOff, "/ws/echo", "permessage-deflate", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("Sec-WebSocket-Extensions", tc.offer)
			c, resp, err := tryDial(tc.addr, tc.path, h)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("status %s, want 101", resp.Status)
			}
			c.nc.Close()
			got := resp.Header.Values("Sec-WebSocket-Extensions")
			if tc.want == "" && len(got) != 0 || tc.want != "" && (len(got) != 1 || got[0] != tc.want) {
				t.Errorf("Sec-WebSocket-Extensions %q, want %q", got, tc.want)
			}
		})
	}
}

// TestDeflateEcho sends compressed messages to /ws/echo and checks what
// comes back: compressed when it gains, plain when too short, whatever
// the offer limits.
func TestDeflateEcho(t *testing.T) {
	_, addr := startServer(t, testConfig())
	long := []byte(strings.Repeat("the quick brown fox jumps over the lazy dog. ", 40))
	cases := []struct {
		name           string
		offer          string
		msg            []byte
		frag           int
		wantCompressed bool
	}{
		{"long text", "permessage-deflate", long, 0, true},
		{"long text fragmented", "permessage-deflate; client_max_window_bits", long, 16, true},
		{"short text goes back plain", "permessage-deflate", []byte("hi there"), 0, false},
		{"server window 8: Huffman only", "permessage-deflate; server_max_window_bits=8", long, 0, true},
		{"empty message", "permessage-deflate", []byte{}, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := deflateClient(t, addr, "/ws/echo", tc.offer)
			c.writeCompressed(opText, tc.msg, tc.frag)
			op, got, compressed := c.readMessage()
			if op != opText || !bytes.Equal(got, tc.msg) {
				t.Fatalf("echo: op %v, %d bytes; want text, %d bytes", op, len(got), len(tc.msg))
			}
			if compressed != tc.wantCompressed {
				t.Errorf("echo compressed %v, want %v", compressed, tc.wantCompressed)
			}
		})
	}
}

// TestDeflateHostileFrames fails connections that misuse RSV1 or send
// data that does not inflate, and a compression bomb with 1009.
func TestDeflateHostileFrames(t *testing.T) {
	cfg := testConfig()
	cfg.MaxEchoMessage = 64 << 10
	_, addr := startServer(t, cfg)
	bomb := clientDeflate(t, make([]byte, 16<<20)) // 16 MiB of zeros, about 16 KiB compressed
	masked := func(c *wsClient, fin bool, rsv byte, op opcode, p []byte) {
		h := frameHeader{fin: fin, rsv: rsv, opcode: op, masked: true, maskKey: c.key, length: int64(len(p))}
		b := appendFrameHeader(nil, h)
		k := len(b)
		b = append(b, p...)
		maskBytes(c.key, 0, b[k:])
		c.writeRaw(b)
	}
	cases := []struct {
		name string
		send func(c *wsClient)
		want closeCode
	}{
		{"compression bomb", func(c *wsClient) { masked(c, true, bitRsv1, opBinary, bomb) }, closeMessageTooBig},
		{"RSV1 on a continuation", func(c *wsClient) {
			masked(c, false, 0, opText, []byte("ab"))
			masked(c, true, bitRsv1, opContinuation, []byte("cd"))
		}, closeProtocolError},
		{"RSV1 on a ping", func(c *wsClient) { masked(c, true, bitRsv1, opPing, nil) }, closeProtocolError},
		{"RSV2", func(c *wsClient) { masked(c, true, 0x20, opText, []byte("x")) }, closeProtocolError},
		{"not DEFLATE data", func(c *wsClient) { masked(c, true, bitRsv1, opText, []byte{0xff, 0xff, 0xff, 0xff}) }, closeInvalidPayload},
		{"inflates to invalid UTF-8", func(c *wsClient) { masked(c, true, bitRsv1, opText, clientDeflate(t, []byte{0xc0, 0xaf})) }, closeInvalidPayload},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := deflateClient(t, addr, "/ws/echo", "permessage-deflate")
			tc.send(c)
			if code, reason := c.expectClose(); code != tc.want {
				t.Errorf("close %d %q, want %d", code, reason, tc.want)
			}
		})
	}
}

// TestInflateBombCostsTheLimit inflates a bomb directly and checks the
// bytes allocated stay near the limit, not the bomb's size.
func TestInflateBombCostsTheLimit(t *testing.T) {
	var d deflater
	const limit = 64 << 10
	bomb := clientDeflate(t, make([]byte, 64<<20))
	d.inflate(bomb, limit) // the pooled decompressor is made once
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := d.inflate(bomb, limit)
	runtime.ReadMemStats(&after)
	if err != errInflatedTooBig {
		t.Fatalf("inflate: %v, want errInflatedTooBig", err)
	}
	if spent := after.TotalAlloc - before.TotalAlloc; spent > 4*limit {
		t.Errorf("inflating a %d-byte bomb of 64 MiB allocated %d bytes; want at most %d", len(bomb), spent, 4*limit)
	}
}

// BenchmarkInflateBomb reports the bytes allocated to read a compression
// bomb (64 MiB of zeros) against those for a normal 4 KiB message, with
// the chat's 64 KiB limit.
func BenchmarkInflateBomb(b *testing.B) {
	var (
		d      deflater
		normal float64 // bytes allocated for the normal message
	)
	const limit = 64 << 10
	for _, bc := range []struct {
		name string
		msg  []byte
	}{
		{"normal-4KiB", []byte(strings.Repeat("a chat line of some length, ", 147))[:4096]},
		{"bomb-64MiB", make([]byte, 64<<20)},
	} {
		data := clientDeflate(b, bc.msg)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range b.N {
				d.inflate(data, limit)
			}
			runtime.ReadMemStats(&after)
			spent := float64(after.TotalAlloc-before.TotalAlloc) / float64(b.N)
			b.ReportMetric(spent, "alloc-bytes/msg")
			if bc.name == "normal-4KiB" {
				normal = spent
			} else {
				b.ReportMetric(spent/normal, "alloc-vs-normal")
			}
			b.ReportMetric(float64(len(data)), "wire-bytes")
		})
	}
}

// TestFrameEncoderCompresses checks the frames the chat's broadcasts are
// compressed into: RSV1 set (RFC 7692 §6), smaller, and inflating to the
// very payload; and none where compression is off.
func TestFrameEncoderCompresses(t *testing.T) {
	payload := []byte(strings.Repeat("compress me once for everyone ", 20))
	z := frameEncoder{new(deflater)}.Compress(payload)
	plain := frameEncoder{new(deflater)}.Frame(payload)
	if z[0]&bitRsv1 == 0 || plain[0]&bitRsv1 != 0 {
		t.Errorf("RSV1 %#x compressed and %#x plain", z[0]&bitRsv1, plain[0]&bitRsv1)
	}
	if got := clientInflate(t, framePayload(z)); !bytes.Equal(got, payload) {
		t.Errorf("compressed frame inflates to %q, want %q", got, payload)
	}
	if len(z) >= len(plain) {
		t.Errorf("compressed frame %d bytes, plain %d", len(z), len(plain))
	}
	if got := (frameEncoder{}).Compress(payload); got != nil {
		t.Errorf("compression off: got a compressed frame")
	}
}

// BenchmarkCompressThreshold reports the DEFLATE size (as the server
// compresses, tail removed) of chat-like lines of several lengths as a
// share of the plain size: minCompressed sits where compression starts to
// pay.
func BenchmarkCompressThreshold(b *testing.B) {
	line := strings.Repeat("alice: are we still meeting at the station at noon tomorrow, or should we go straight to the museum? ", 10)
	for _, n := range []int{32, 64, 96, 128, 192, 256, 512} {
		b.Run("bytes="+strconv.Itoa(n), func(b *testing.B) {
			payload := []byte(line[:n])
			var out bytes.Buffer
			w, _ := flate.NewWriter(&out, flate.BestSpeed)
			for range b.N {
				out.Reset()
				w.Reset(&out)
				w.Write(payload)
				w.Flush()
			}
			b.ReportMetric(float64(out.Len()-4)/float64(len(payload)), "deflated/plain")
		})
	}
}
