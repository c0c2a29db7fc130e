package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// The frame codec on its own: header encoding and parsing, masking, and
// the incremental UTF-8 validator.

// headerLengths are the payload lengths at every boundary of the three
// length forms of RFC 6455 §5.2, and a large one.
var headerLengths = []int64{0, 1, 125, 126, 127, 65535, 65536, 1 << 20, math.MaxInt64}

// wantHeaderSize is the size of the shortest encoding of a header
// (§5.2: "the minimal number of bytes MUST be used to encode the length").
func wantHeaderSize(length int64, masked bool) int {
	n := 2
	switch {
	case length > 65535:
		n += 8
	case length > 125:
		n += 2
	}
	if masked {
		n += 4
	}
	return n
}

func TestFrameHeaderRoundTrip(t *testing.T) {
	kinds := []struct {
		name string
		h    frameHeader
	}{
		{"text fin", frameHeader{fin: true, opcode: opText}},
		{"binary first fragment", frameHeader{opcode: opBinary}},
		{"continuation fin", frameHeader{fin: true, opcode: opContinuation}},
		{"close", frameHeader{fin: true, opcode: opClose}},
		{"reserved opcode and all RSV bits", frameHeader{fin: true, rsv: 0x70, opcode: 0xF}},
	}
	for _, k := range kinds {
		for _, length := range headerLengths {
			for _, masked := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/len=%d/masked=%v", k.name, length, masked), func(t *testing.T) {
					h := k.h
					h.length = length
					h.masked = masked
					if masked {
						h.maskKey = [4]byte{0xA1, 0x00, 0xFF, 0x5C}
					}
					prefix := []byte("prefix")
					b := appendFrameHeader(bytes.Clone(prefix), h)
					if !bytes.HasPrefix(b, prefix) {
						t.Fatalf("appendFrameHeader overwrote what dst held: % x", b)
					}
					enc := b[len(prefix):]
					if want := wantHeaderSize(length, masked); len(enc) != want {
						t.Fatalf("encoded header is %d bytes (% x), want the shortest form, %d bytes", len(enc), enc, want)
					}
					got, n, err := parseFrameHeader(enc)
					if err != nil || n != len(enc) {
						t.Fatalf("parseFrameHeader(% x) = n %d, err %v; want n %d, no error", enc, n, err, len(enc))
					}
					if got != h {
						t.Fatalf("round trip: got %+v, want %+v", got, h)
					}
					// The header alone must parse the same with payload
					// bytes behind it.
					got2, n2, err := parseFrameHeader(append(bytes.Clone(enc), "payload"...))
					if err != nil || n2 != n || got2 != h {
						t.Fatalf("with payload behind it: got %+v, n %d, err %v", got2, n2, err)
					}
				})
			}
		}
	}
}

// TestParseFrameHeaderTooShort checks that every proper prefix of a header
// asks for more bytes (n == 0) instead of failing or guessing.
func TestParseFrameHeaderTooShort(t *testing.T) {
	for _, length := range headerLengths {
		for _, masked := range []bool{false, true} {
			enc := appendFrameHeader(nil, frameHeader{fin: true, opcode: opBinary, masked: masked, maskKey: [4]byte{1, 2, 3, 4}, length: length})
			t.Run(fmt.Sprintf("len=%d/masked=%v", length, masked), func(t *testing.T) {
				for i := range len(enc) {
					if _, n, err := parseFrameHeader(enc[:i]); n != 0 || err != nil {
						t.Errorf("parseFrameHeader of the first %d of %d bytes = n %d, err %v; want n 0, no error", i, len(enc), n, err)
					}
				}
			})
		}
	}
}

// TestParseFrameHeaderLengthTopBit checks the rule of §5.2 that a 64-bit
// length has its most significant bit clear.
func TestParseFrameHeaderLengthTopBit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		length uint64
	}{
		{"top bit only", 1 << 63},
		{"all ones", math.MaxUint64},
	} {
		for _, masked := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/masked=%v", tc.name, masked), func(t *testing.T) {
				b := []byte{0x82, 127}
				if masked {
					b[1] |= bitMask
				}
				b = binary.BigEndian.AppendUint64(b, tc.length)
				if masked {
					b = append(b, 1, 2, 3, 4)
				}
				if _, n, err := parseFrameHeader(b); !errors.Is(err, errHeaderLength) || n != 0 {
					t.Fatalf("parseFrameHeader(% x) = n %d, err %v; want errHeaderLength", b, n, err)
				}
			})
		}
	}
}

// maskNaive is §5.3 written out: octet i is XORed with key octet i mod 4.
func maskNaive(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[(pos+i)%4]
	}
	return (pos + len(b)) % 4
}

// maskTestLengths are every length up to 100, and lengths around the
// sizes where a word-at-a-time or block-at-a-time loop changes step.
var maskTestLengths = func() []int {
	var ls []int
	for n := 0; n <= 100; n++ {
		ls = append(ls, n)
	}
	return append(ls, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1000, 4096, 4099)
}()

func TestMaskBytes(t *testing.T) {
	key := [4]byte{0x37, 0xFA, 0x21, 0x3D}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range maskTestLengths {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		for pos := range 4 {
			want := bytes.Clone(data)
			wantPos := maskNaive(key, pos, want)

			got := bytes.Clone(data)
			if gotPos := maskBytes(key, pos, got); gotPos != wantPos || !bytes.Equal(got, want) {
				t.Fatalf("len %d pos %d: maskBytes differs from the byte loop (pos %d, want %d)", n, pos, gotPos, wantPos)
			}
			// Unmasking is the same operation: masking twice restores.
			maskBytes(key, pos, got)
			if !bytes.Equal(got, data) {
				t.Fatalf("len %d pos %d: masking twice did not restore the data", n, pos)
			}
			// A payload unmasked in two reads, the second continuing
			// from the position the first returned, comes out the same
			// as in one piece.
			for split := 0; split <= n; split += 1 + split/8 {
				got := bytes.Clone(data)
				p := maskBytes(key, pos, got[:split])
				maskBytes(key, p, got[split:])
				if !bytes.Equal(got, want) {
					t.Fatalf("len %d pos %d: split at %d differs from masking in one piece", n, pos, split)
				}
			}
		}
	}
}

// utf8Cases are the strings the validator is tried on: valid text at
// every sequence length and boundary, and each way UTF-8 can be broken
// (RFC 3629 §4).
var utf8Cases = []struct {
	name string
	s    string
}{
	{"empty", ""},
	{"ascii", "Hello, world"},
	{"two-byte", "héllo ü"},
	{"three-byte", "€ and 世界"},
	{"four-byte", "𝄞 and 😀"},
	{"boundaries", "\u007f\u0080\u07ff\u0800\uffff\U00010000\U0010ffff"},
	{"around surrogates", "\ud7ff\ue000"},
	{"overlong two-byte NUL", "a\xc0\x80"},
	{"overlong two-byte C1", "a\xc1\xbf"},
	{"overlong three-byte", "a\xe0\x80\xaf"},
	{"overlong three-byte max", "a\xe0\x9f\xbf"},
	{"overlong four-byte", "a\xf0\x80\x80\xaf"},
	{"overlong four-byte max", "a\xf0\x8f\xbf\xbf"},
	{"surrogate U+D800", "a\xed\xa0\x80b"},
	{"surrogate U+DFFF", "a\xed\xbf\xbfb"},
	{"surrogate pair", "\xed\xa0\xbd\xed\xb8\x80"},
	{"above U+10FFFF", "a\xf4\x90\x80\x80"},
	{"lead F5", "a\xf5\x80\x80\x80"},
	{"lead FF", "\xff"},
	{"lead FE", "ab\xfe"},
	{"truncated two-byte at end", "ab\xc3"},
	{"truncated three-byte at end", "ab\xe2\x82"},
	{"truncated four-byte at end", "ab\xf0\x9f\x98"},
	{"truncated two-byte before ascii", "\xc3a"},
	{"truncated three-byte before ascii", "\xe2\x82a"},
	{"truncated four-byte before new lead", "\xf0\x9f\x98\xf0\x9f\x98\x80"},
	{"lone continuation", "a\x80b"},
	{"lone continuation at start", "\xbf"},
	{"continuations after a whole sequence", "\xc3\xa9\x80\x80\x80"},
	{"valid then invalid deep inside", "κόσμε κόσμε κόσμε κόσμε\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"},
}

// validProperPrefixes holds every proper prefix of the encoding of a
// Unicode scalar value: what may end a valid prefix of UTF-8 text.
// It is built on first use: the fuzz workers and tests that do not need
// it do not pay for it.
var validProperPrefixes = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool)
	var buf [utf8.UTFMax]byte
	for r := rune(0x80); r <= utf8.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		n := utf8.EncodeRune(buf[:], r)
		for i := 1; i < n; i++ {
			m[string(buf[:i])] = true
		}
	}
	return m
})

// isValidPrefix reports whether some bytes appended to p make it valid
// UTF-8: p is whole characters followed by part of one.
func isValidPrefix(p string) bool {
	for k := 0; k < utf8.UTFMax && k <= len(p); k++ {
		if utf8.ValidString(p[:len(p)-k]) && (k == 0 || validProperPrefixes()[p[len(p)-k:]]) {
			return true
		}
	}
	return false
}

// firstImpossible is the index of the first byte after which s can no
// longer become valid UTF-8, or -1 if there is none.
func firstImpossible(s string) int {
	for i := range len(s) {
		if !isValidPrefix(s[:i+1]) {
			return i
		}
	}
	return -1
}

func TestUTF8Validator(t *testing.T) {
	for _, tc := range utf8Cases {
		t.Run(tc.name, func(t *testing.T) {
			valid := utf8.ValidString(tc.s)
			bad := firstImpossible(tc.s)
			if valid && bad >= 0 {
				t.Fatalf("test reference: valid text has an impossible byte at %d", bad)
			}

			// Byte by byte: the write of the first impossible byte is the
			// first to fail.
			var v utf8Validator
			failedAt := -1
			for i := range len(tc.s) {
				if !v.write([]byte{tc.s[i]}) {
					failedAt = i
					break
				}
			}
			if failedAt != bad {
				t.Errorf("byte by byte: first failure at byte %d, want %d", failedAt, bad)
			}
			if failedAt < 0 && v.complete() != valid {
				t.Errorf("byte by byte: complete() = %v, want %v", v.complete(), valid)
			}

			// In two pieces, split at every position: the first piece
			// fails exactly when it holds the first impossible byte, and
			// the verdict on the whole agrees with utf8.Valid.
			for split := 0; split <= len(tc.s); split++ {
				var v utf8Validator
				ok1 := v.write([]byte(tc.s[:split]))
				if want := bad < 0 || bad >= split; ok1 != want {
					t.Errorf("split at %d: first piece ok = %v, want %v", split, ok1, want)
					continue
				}
				whole := ok1 && v.write([]byte(tc.s[split:])) && v.complete()
				if whole != valid {
					t.Errorf("split at %d: whole verdict %v, want %v", split, whole, valid)
				}
			}
		})
	}
}

// FuzzUTF8Validator checks the validator against the reference above on
// arbitrary bytes, fed a byte at a time and in two pieces cut at cut.
func FuzzUTF8Validator(f *testing.F) {
	for _, tc := range utf8Cases {
		f.Add([]byte(tc.s), uint(len(tc.s)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint) {
		if len(data) > 512 {
			return // the reference, firstImpossible, takes time quadratic in the length
		}
		s := string(data)
		valid, bad := utf8.ValidString(s), firstImpossible(s)

		var v utf8Validator
		failedAt := -1
		for i := range len(s) {
			if !v.write([]byte{s[i]}) {
				failedAt = i
				break
			}
		}
		if failedAt != bad || failedAt < 0 && v.complete() != valid {
			t.Fatalf("%q byte by byte: failed at %d (complete %v), want %d (valid %v)", s, failedAt, v.complete(), bad, valid)
		}

		split := int(cut % uint(len(s)+1))
		var w utf8Validator
		ok1 := w.write(data[:split])
		if want := bad < 0 || bad >= split; ok1 != want {
			t.Fatalf("%q cut at %d: first piece ok = %v, want %v", s, split, ok1, want)
		}
		if whole := ok1 && w.write(data[split:]) && w.complete(); whole != valid {
			t.Fatalf("%q cut at %d: verdict %v, want %v", s, split, whole, valid)
		}
	})
}

// TestFrameHeaderNoAllocs holds the codec to what its benchmarks report:
// parsing and encoding a header allocate nothing.
func TestFrameHeaderNoAllocs(t *testing.T) {
	h := frameHeader{fin: true, opcode: opBinary, masked: true, maskKey: [4]byte{1, 2, 3, 4}, length: 1 << 20}
	enc := appendFrameHeader(nil, h)
	buf := make([]byte, 0, maxHeaderSize)
	var sink frameHeader
	if n := testing.AllocsPerRun(100, func() { sink, _, _ = parseFrameHeader(enc) }); n != 0 {
		t.Errorf("parseFrameHeader: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { buf = appendFrameHeader(buf[:0], h) }); n != 0 {
		t.Errorf("appendFrameHeader: %v allocations, want 0", n)
	}
	_ = sink
}

func BenchmarkParseFrameHeader(b *testing.B) {
	enc := appendFrameHeader(nil, frameHeader{fin: true, opcode: opBinary, masked: true, maskKey: [4]byte{1, 2, 3, 4}, length: 1 << 20})
	b.ReportAllocs()
	for b.Loop() {
		if _, n, err := parseFrameHeader(enc); n != len(enc) || err != nil {
			b.Fatal("parse failed")
		}
	}
}

func BenchmarkAppendFrameHeader(b *testing.B) {
	h := frameHeader{fin: true, opcode: opBinary, masked: true, maskKey: [4]byte{1, 2, 3, 4}, length: 1 << 20}
	buf := make([]byte, 0, maxHeaderSize)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendFrameHeader(buf[:0], h)
	}
}

// BenchmarkMask compares unmasking a payload with maskBytes against the
// plain byte loop of §5.3 and against copy, the ceiling for a pass over
// the bytes. Compare the GB/s of "mask" and "copy" at the same size.
func BenchmarkMask(b *testing.B) {
	key := [4]byte{0x37, 0xFA, 0x21, 0x3D}
	impls := []struct {
		name string
		fn   func(dst, src []byte)
	}{
		{"mask", func(dst, _ []byte) { maskBytes(key, 1, dst) }},
		{"loop", func(dst, _ []byte) { maskNaive(key, 1, dst) }},
		{"copy", func(dst, src []byte) { copy(dst, src) }},
	}
	for _, size := range []int{125, 4096, 65536} {
		for _, impl := range impls {
			b.Run(fmt.Sprintf("size=%d/%s", size, impl.name), func(b *testing.B) {
				src := make([]byte, size)
				dst := make([]byte, size)
				b.SetBytes(int64(size))
				for b.Loop() {
					impl.fn(dst, src)
				}
				gbps := float64(size) * float64(b.N) / b.Elapsed().Seconds() / 1e9
				b.ReportMetric(gbps, "GB/s")
			})
		}
	}
}

// The protocol rules of RFC 6455 §5 checked through a real server, the
// way a client meets them: each broken rule fails the connection with
// the close code §7.4.1 gives it, then the server closes TCP.

// withRSV sets RSV bits in the first byte of an encoded frame.
func withRSV(frame []byte, rsv byte) []byte {
	frame = bytes.Clone(frame)
	frame[0] |= rsv
	return frame
}

// headerOnly is the header of a masked frame announcing length payload
// bytes, for tests where the server must act before any payload comes.
func headerOnly(fin bool, op opcode, length int64) []byte {
	return appendFrameHeader(nil, frameHeader{fin: fin, opcode: op, masked: true, maskKey: testKey, length: length})
}

// closeBody is the body of a close frame with code and reason.
func closeBody(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// expectCloseCode waits for the server's close frame, checks its code and
// that its reason is readable text, and that the server then closes TCP.
func expectCloseCode(t *testing.T, c *wsClient, want closeCode) {
	t.Helper()
	code, reason := c.expectClose()
	if code != want {
		t.Errorf("server closed with %d %q, want %d", code, reason, want)
	}
	if !utf8.ValidString(reason) {
		t.Errorf("close reason %q is not valid UTF-8", reason)
	}
}

func TestProtocolErrors(t *testing.T) {
	cfg := testConfig()
	_, addr := startServer(t, cfg)
	type tc struct {
		name string
		send [][]byte
		want closeCode
	}
	cases := []tc{
		{"unmasked text frame", [][]byte{clientFrame(true, opText, false, testKey, []byte("hello"))}, closeProtocolError},
		{"unmasked ping", [][]byte{clientFrame(true, opPing, false, testKey, nil)}, closeProtocolError},
		{"RSV1 set", [][]byte{withRSV(masked(true, opText, []byte("hi")), 0x40)}, closeProtocolError},
		{"RSV2 set", [][]byte{withRSV(masked(true, opText, []byte("hi")), 0x20)}, closeProtocolError},
		{"RSV3 set", [][]byte{withRSV(masked(true, opText, []byte("hi")), 0x10)}, closeProtocolError},
		{"RSV1 on a ping", [][]byte{withRSV(masked(true, opPing, nil), 0x40)}, closeProtocolError},
		{"ping with FIN clear", [][]byte{masked(false, opPing, []byte("p"))}, closeProtocolError},
		{"close with FIN clear", [][]byte{masked(false, opClose, closeBody(1000, ""))}, closeProtocolError},
		{"ping payload of 126 bytes", [][]byte{masked(true, opPing, make([]byte, 126))}, closeProtocolError},
		{"pong payload of 126 bytes", [][]byte{masked(true, opPong, make([]byte, 126))}, closeProtocolError},
		{"close payload of 126 bytes", [][]byte{masked(true, opClose, closeBody(1000, strings.Repeat("r", 124)))}, closeProtocolError},
		{"continuation with nothing to continue", [][]byte{masked(true, opContinuation, []byte("x"))}, closeProtocolError},
		{"unfinished continuation with nothing to continue", [][]byte{masked(false, opContinuation, []byte("x"))}, closeProtocolError},
		{"continuation after a finished message", [][]byte{masked(true, opText, []byte("a")), masked(true, opContinuation, []byte("b"))}, closeProtocolError},
		{"text frame inside a fragmented message", [][]byte{masked(false, opText, []byte("a")), masked(true, opText, []byte("b"))}, closeProtocolError},
		{"binary frame inside a fragmented message", [][]byte{masked(false, opText, []byte("a")), masked(true, opBinary, []byte("b"))}, closeProtocolError},
		{"close payload of 1 byte", [][]byte{masked(true, opClose, []byte{0x03})}, closeProtocolError},
		{"64-bit length with the top bit set", [][]byte{append([]byte{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0}, testKey[:]...)}, closeProtocolError},
		{"invalid UTF-8 in a text frame", [][]byte{masked(true, opText, []byte("a\xffb"))}, closeInvalidPayload},
		{"surrogate in a text frame", [][]byte{masked(true, opText, []byte("a\xed\xa0\x80"))}, closeInvalidPayload},
		{"text message ending inside a character", [][]byte{masked(true, opText, []byte("ab\xe2\x82"))}, closeInvalidPayload},
		{"invalid UTF-8 in a later fragment", [][]byte{masked(false, opText, []byte("ok")), masked(true, opContinuation, []byte("\xc0\x80"))}, closeInvalidPayload},
		{"invalid UTF-8 in a close reason", [][]byte{masked(true, opClose, closeBody(1000, "bye\xff"))}, closeInvalidPayload},
		{"message over the limit in one frame", [][]byte{headerOnly(true, opBinary, cfg.MaxEchoMessage+1)}, closeMessageTooBig},
		{"text message over the limit in one frame", [][]byte{headerOnly(true, opText, cfg.MaxEchoMessage+1)}, closeMessageTooBig},
		{"frame of the largest length", [][]byte{headerOnly(true, opBinary, math.MaxInt64)}, closeMessageTooBig},
	}
	for op := opcode(3); op <= 0xF; op++ {
		if op.isReserved() {
			cases = append(cases, tc{fmt.Sprintf("reserved opcode %#x", byte(op)), [][]byte{masked(true, op, nil)}, closeProtocolError})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr, "/ws/echo")
			c.writeRaw(bytes.Join(tc.send, nil))
			expectCloseCode(t, c, tc.want)
		})
	}
}

// TestMessageLimit checks the message size limit at its edge, in one
// frame and in fragments that only add up past it.
func TestMessageLimit(t *testing.T) {
	const limit = 1000
	cfg := testConfig()
	cfg.MaxEchoMessage = limit
	_, addr := startServer(t, cfg)
	half := bytes.Repeat([]byte("h"), limit/2)
	for _, tc := range []struct {
		name string
		send [][]byte
		echo []byte // the message echoed, or nil for a close 1009
	}{
		{"one frame at the limit", [][]byte{masked(true, opBinary, bytes.Repeat([]byte("x"), limit))}, bytes.Repeat([]byte("x"), limit)},
		{"fragments adding up to the limit", [][]byte{masked(false, opBinary, half), masked(true, opContinuation, half)}, bytes.Repeat([]byte("h"), limit)},
		{"one frame a byte over the limit", [][]byte{masked(true, opBinary, make([]byte, limit+1))}, nil},
		{"fragments adding up to a byte over the limit", [][]byte{masked(false, opBinary, half), masked(false, opContinuation, half), masked(true, opContinuation, []byte("!"))}, nil},
		{"fragment announcing a byte over the limit", [][]byte{masked(false, opText, half), headerOnly(true, opContinuation, limit/2+1)}, nil},
		// A length near 2^63 must not overflow the running total and slip
		// past the limit.
		{"fragment of the largest length after a short one", [][]byte{masked(false, opBinary, []byte("a")), headerOnly(true, opContinuation, math.MaxInt64)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr, "/ws/echo")
			c.writeRaw(bytes.Join(tc.send, nil))
			if tc.echo == nil {
				expectCloseCode(t, c, closeMessageTooBig)
				return
			}
			expectMessage(t, c, opBinary, tc.echo)
		})
	}
}

// TestCloseCodes checks which codes a peer may put in a close frame
// (§7.4.1, §7.4.2): allowed ones are echoed back, the others are a
// protocol error.
func TestCloseCodes(t *testing.T) {
	_, addr := startServer(t, testConfig())
	var codes []uint16
	for c := uint16(1000); c <= 1003; c++ {
		codes = append(codes, c)
	}
	for c := uint16(1007); c <= 1014; c++ {
		codes = append(codes, c)
	}
	codes = append(codes, 3000, 3999, 4000, 4999)
	for _, code := range codes {
		t.Run(fmt.Sprintf("%d is echoed", code), func(t *testing.T) {
			c := dial(t, addr, "/ws/echo")
			c.writeFrame(true, opClose, closeBody(code, "bye"))
			expectCloseCode(t, c, closeCode(code))
		})
	}
	for _, code := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		t.Run(fmt.Sprintf("%d is refused", code), func(t *testing.T) {
			c := dial(t, addr, "/ws/echo")
			c.writeFrame(true, opClose, closeBody(code, ""))
			expectCloseCode(t, c, closeProtocolError)
		})
	}
	t.Run("no payload is answered with 1000", func(t *testing.T) {
		c := dial(t, addr, "/ws/echo")
		c.writeFrame(true, opClose, nil)
		expectCloseCode(t, c, closeNormal)
	})
	t.Run("a message after the close is not echoed", func(t *testing.T) {
		c := dial(t, addr, "/ws/echo")
		c.writeRaw(append(masked(true, opClose, closeBody(1000, "")), masked(true, opText, []byte("late"))...))
		h, p, err := c.readFrame()
		if err != nil || h.opcode != opClose {
			t.Fatalf("got opcode %#x %q, err %v; want the close answered first", byte(h.opcode), p, err)
		}
		if _, _, err := c.readFrame(); !errors.Is(err, io.EOF) {
			t.Fatalf("after the close: got %v, want EOF and nothing more", err)
		}
	})
}

func TestPing(t *testing.T) {
	_, addr := startServer(t, testConfig())
	for _, size := range []int{0, 1, 125} {
		t.Run(fmt.Sprintf("payload %d bytes", size), func(t *testing.T) {
			c := dial(t, addr, "/ws/echo")
			payload := bytes.Repeat([]byte{0xA5}, size)
			c.writeFrame(true, opPing, payload)
			expectMessage(t, c, opPong, payload)
			// The connection carries on.
			c.sendText("still here")
			expectMessage(t, c, opText, []byte("still here"))
		})
	}
	t.Run("unsolicited pong is ignored", func(t *testing.T) {
		c := dial(t, addr, "/ws/echo")
		c.writeFrame(true, opPong, []byte("unsolicited"))
		c.sendText("after the pong")
		// The next frame is the echo: nothing answered the pong.
		expectMessage(t, c, opText, []byte("after the pong"))
	})
}

// TestFragmentedMessages checks reassembly (§5.4): control frames may
// come between fragments and are answered at once.
func TestFragmentedMessages(t *testing.T) {
	_, addr := startServer(t, testConfig())
	t.Run("pings between fragments", func(t *testing.T) {
		c := dial(t, addr, "/ws/echo")
		c.writeRaw(bytes.Join([][]byte{
			masked(false, opText, []byte("Hel")),
			masked(true, opPing, []byte("p1")),
			masked(false, opContinuation, []byte("lo, ")),
			masked(true, opPing, []byte("p2")),
			masked(true, opPong, []byte("ignored")),
			masked(true, opContinuation, []byte("world")),
		}, nil))
		expectMessage(t, c, opPong, []byte("p1"))
		expectMessage(t, c, opPong, []byte("p2"))
		expectMessage(t, c, opText, []byte("Hello, world"))
	})
	t.Run("empty fragments", func(t *testing.T) {
		c := dial(t, addr, "/ws/echo")
		c.writeRaw(bytes.Join([][]byte{
			masked(false, opBinary, nil),
			masked(false, opContinuation, []byte{1, 2}),
			masked(false, opContinuation, nil),
			masked(true, opContinuation, nil),
		}, nil))
		expectMessage(t, c, opBinary, []byte{1, 2})
	})
	t.Run("many fragments", func(t *testing.T) {
		c := dial(t, addr, "/ws/echo")
		var want, frames []byte
		for i := range 200 {
			p := bytes.Repeat([]byte{byte(i)}, i%7)
			want = append(want, p...)
			op := opContinuation
			if i == 0 {
				op = opBinary
			}
			frames = append(frames, masked(i == 199, op, p)...)
		}
		c.writeRaw(frames)
		expectMessage(t, c, opBinary, want)
	})
}

// TestFragmentedUTF8 splits text across two fragments at every byte
// position, so characters are cut in two: valid text is echoed whole,
// invalid text fails with 1007 wherever the cut falls.
func TestFragmentedUTF8(t *testing.T) {
	_, addr := startServer(t, testConfig())
	valid := "aé€𝄞z"
	t.Run("valid", func(t *testing.T) {
		c := dial(t, addr, "/ws/echo")
		for split := 0; split <= len(valid); split++ {
			c.writeRaw(append(masked(false, opText, []byte(valid[:split])), masked(true, opContinuation, []byte(valid[split:]))...))
			expectMessage(t, c, opText, []byte(valid))
		}
	})
	invalid := "aé\xed\xa0\x80z" // a surrogate, U+D800
	for split := 0; split <= len(invalid); split++ {
		t.Run(fmt.Sprintf("invalid split at %d", split), func(t *testing.T) {
			c := dial(t, addr, "/ws/echo")
			c.writeRaw(append(masked(false, opText, []byte(invalid[:split])), masked(true, opContinuation, []byte(invalid[split:]))...))
			expectCloseCode(t, c, closeInvalidPayload)
		})
	}
}

// TestEchoSizes round-trips messages across the length forms of §5.2.
func TestEchoSizes(t *testing.T) {
	_, addr := startServer(t, testConfig())
	c := dial(t, addr, "/ws/echo")
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{0, 1, 125, 126, 127, 65535, 65536, 1 << 20} {
		t.Run(fmt.Sprintf("binary %d bytes", size), func(t *testing.T) {
			c.t = t
			p := make([]byte, size)
			for i := range p {
				p[i] = byte(rng.Uint32())
			}
			c.writeFrame(true, opBinary, p)
			expectMessage(t, c, opBinary, p)
		})
		t.Run(fmt.Sprintf("text %d bytes", size), func(t *testing.T) {
			c.t = t
			p := []byte(strings.Repeat("é", size/2) + strings.Repeat("a", size%2))
			c.writeFrame(true, opText, p)
			expectMessage(t, c, opText, p)
		})
	}
}
