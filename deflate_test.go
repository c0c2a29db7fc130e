package main

import (
	"bytes"
	"compress/flate"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"wschat/internal/store"
	"wschat/internal/textrules"
)

// deflateAnswer is the response to every acceptable offer that does not
// limit the server's window.
const deflateAnswer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

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

// deflateClient dials addr with a permessage-deflate offer and checks it
// was accepted.
func deflateClient(t *testing.T, addr, path, offer string) *wsClient {
	t.Helper()
	h := http.Header{}
	h.Set("Sec-WebSocket-Extensions", offer)
	c, resp, err := tryDial(addr, path, h)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("dial: %v %v", resp, err)
	}
	if resp.Header.Get("Sec-WebSocket-Extensions") == "" {
		t.Fatalf("permessage-deflate not negotiated for offer %q", offer)
	}
	c.t = t
	t.Cleanup(func() { c.nc.Close() })
	return c
}

// clientDeflate compresses a message as a client without context
// takeover does (RFC 7692 §7.2.1).
func clientDeflate(t testing.TB, msg []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.DefaultCompression)
	w.Write(msg)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// clientInflate inflates a compressed message from the server (§7.2.2).
func clientInflate(t testing.TB, data []byte) []byte {
	r := flate.NewReader(io.MultiReader(bytes.NewReader(data), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff})))
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("inflate the server's message: %v", err)
	}
	return out
}

// writeCompressed sends msg compressed, in frames of at most frag bytes
// (0: one frame), RSV1 on the first only (§6).
func (c *wsClient) writeCompressed(op opcode, msg []byte, frag int) {
	data := clientDeflate(c.t, msg)
	for first := true; first || len(data) > 0; first = false {
		n := len(data)
		if frag > 0 {
			n = min(n, frag)
		}
		h := frameHeader{fin: n == len(data), opcode: op, masked: true, maskKey: c.key, length: int64(n)}
		if first {
			h.rsv = bitRsv1
		} else {
			h.opcode = opContinuation
		}
		b := appendFrameHeader(nil, h)
		k := len(b)
		b = append(b, data[:n]...)
		maskBytes(c.key, 0, b[k:])
		c.writeRaw(b)
		data = data[n:]
	}
}

// readMessage reads the server's next data message, inflating it when
// RSV1 is set, and reports whether it was compressed.
func (c *wsClient) readMessage() (opcode, []byte, bool) {
	c.t.Helper()
	var (
		op         opcode
		msg        []byte
		compressed bool
	)
	for {
		h, p, err := c.readFrame()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		switch {
		case h.opcode == opPing || h.opcode == opPong:
			continue
		case h.opcode == opClose:
			c.t.Fatalf("got close %v, want a message", decodeClose(p))
		case h.opcode != opContinuation:
			op, compressed = h.opcode, h.rsv == bitRsv1
		case h.rsv != 0:
			c.t.Fatalf("continuation frame with reserved bits %#x", h.rsv)
		}
		msg = append(msg, p...)
		if !h.fin {
			continue
		}
		if compressed {
			msg = clientInflate(c.t, msg)
		}
		return op, msg, compressed
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

// TestBroadcastCompressedOnce checks that a chat message is compressed
// once per format and the very same bytes queued to every peer that takes
// compression, while the others get the plain frame.
func TestBroadcastCompressedOnce(t *testing.T) {
	r := &room{name: lobby, key: textrules.Fold(lobby), present: map[string]int{}, deflater: new(deflater)}
	kinds := []struct{ json, deflate bool }{{false, true}, {false, true}, {false, false}, {true, true}, {true, true}, {true, false}}
	var peers []*peer
	for i, k := range kinds {
		c := newConn(nopConn{}, nil, &connConfig{maxQueue: 1 << 20, writeTimeout: time.Second, closeTimeout: time.Second}, nil)
		c.scheduled = true // nothing writes: the outbox is inspected
		p := &peer{conn: c, name: string(rune('a' + i)), json: k.json, deflate: k.deflate, index: i, room: r}
		peers = append(peers, p)
		r.peers = append(r.peers, p)
		if k.json {
			r.jsonPeers++
		}
		r.countDeflate(p, 1)
	}
	text := strings.Repeat("compress me once for everyone ", 20)
	r.deliver(store.ID{Ms: 1, Seq: 1}, storedMessage{Type: "message", Name: "alice", Text: text})
	queued := func(p *peer) []byte {
		if len(p.conn.queue) != 1 {
			t.Fatalf("%s has %d frames queued, want 1", p.name, len(p.conn.queue))
		}
		return p.conn.queue[0]
	}
	for i := 0; i < len(peers); i += 3 {
		z1, z2, plain := queued(peers[i]), queued(peers[i+1]), queued(peers[i+2])
		if &z1[0] != &z2[0] {
			t.Errorf("json=%v: the two compressing peers got different copies", kinds[i].json)
		}
		if z1[0]&bitRsv1 == 0 || plain[0]&bitRsv1 != 0 {
			t.Errorf("json=%v: RSV1 %#x for the compressing peers and %#x for the other", kinds[i].json, z1[0]&bitRsv1, plain[0]&bitRsv1)
		}
		if got := clientInflate(t, framePayload(z1)); !bytes.Equal(got, framePayload(plain)) {
			t.Errorf("json=%v: compressed frame inflates to %q, want %q", kinds[i].json, got, framePayload(plain))
		}
		if len(z1) >= len(plain) {
			t.Errorf("json=%v: compressed frame %d bytes, plain %d", kinds[i].json, len(z1), len(plain))
		}
	}
}

// TestBroadcastSkipsUnneededCompression: with no compressing peer of a
// format, that format is not compressed at all.
func TestBroadcastSkipsUnneededCompression(t *testing.T) {
	r := &room{deflater: new(deflater), jsonPeers: 1, deflatePeers: 1, deflateJSON: 1}
	r.peers = make([]*peer, 2) // one plain text reader, one compressing JSON reader
	f := r.message(store.ID{Ms: 1, Seq: 1}, storedMessage{Type: "message", Name: "a", Text: strings.Repeat("x", 500)}, false)
	if f.textDeflated != nil || f.jsonDeflated == nil {
		t.Errorf("compressed text %v, JSON %v; want only JSON", f.textDeflated != nil, f.jsonDeflated != nil)
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
