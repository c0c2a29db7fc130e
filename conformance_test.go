package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The tests in this file replay the cases of the Autobahn|Testsuite
// fuzzing client (sections 1 to 10) against /ws/echo. Each case sends
// what the suite sends, cut into TCP writes the way the suite cuts it
// (whole, frame by frame, or in chops of a few octets), and passes only on
// the outcome the suite grades as strictly OK ("Pass", not "Non-Strict"):
//
//   - the events the server sends before its close frame (echoed
//     messages, pongs) are exactly the expected ones, in order;
//   - the closing handshake is started by the expected endpoint: by the
//     client in the cases that end normally, by the server in the cases
//     where it must fail the connection (the suite's closedByMe);
//   - the server's close frame carries one of the expected codes. The
//     suite also lets a close frame without a code pass; these tests
//     insist on a code, which this server always sends;
//   - after the closing handshake the server closes the TCP connection
//     itself, with a FIN and not a reset: the suite's client waits a
//     moment for that and otherwise counts the close as unclean or as
//     "failed by client".
//
// Case names start with the suite's case number.

// abEvent is something the server sent before its close frame, as the
// suite records it.
type abEvent struct {
	kind    string // "message", "ping" or "pong"
	op      opcode // of a message
	payload string
}

func abText(s string) abEvent   { return abEvent{kind: "message", op: opText, payload: s} }
func abBinary(s string) abEvent { return abEvent{kind: "message", op: opBinary, payload: s} }
func abPong(s string) abEvent   { return abEvent{kind: "pong", payload: s} }

func (e abEvent) String() string {
	p := e.payload
	more := ""
	if len(p) > 24 {
		p, more = p[:24], "..."
	}
	if e.kind == "message" {
		kind := "text"
		if e.op == opBinary {
			kind = "binary"
		}
		return fmt.Sprintf("%s(%d bytes %q%s)", kind, len(e.payload), p, more)
	}
	return fmt.Sprintf("%s(%q%s)", e.kind, p, more)
}

// abCase is one case of the suite.
type abCase struct {
	name string
	// send does what the suite's client does. It may wait for the server
	// in between (5.19, 6.4.x).
	send func(c *abConn)
	// want is what the suite expects to receive before the close frame.
	want []abEvent
	// closedByMe is set when the client starts the closing handshake:
	// with a 1000 close once the expected events have arrived, unless
	// send sent a close frame itself. When it is not set the server must
	// fail the connection on its own.
	closedByMe bool
	// codes are the close codes the suite accepts from the server.
	codes []closeCode
}

var (
	codesNormal   = []closeCode{closeNormal}
	codesProtocol = []closeCode{closeProtocolError}
	codesInvalid  = []closeCode{closeInvalidPayload}
)

// abConn is the test client of one case: it writes masked frames with a
// fresh masking key each, and records what the server sends.
type abConn struct {
	*wsClient
	t testing.TB

	frames uint32 // frames built so far, to vary the masking key

	events []abEvent
	msgOp  opcode // opcode of the server message being reassembled
	msg    []byte
	inMsg  bool

	waiting string // what the client is waiting for, for error messages

	sentClose   bool // the client has sent a close frame
	closedFirst bool // ... before the server's arrived
	gotClose    bool // the server's close frame has arrived
	code        closeCode
	reason      string
}

// frame encodes a client frame. rsv is the three reserved bits as the
// suite numbers them (4 is RSV1, 2 is RSV2, 1 is RSV3).
func (c *abConn) frame(fin bool, rsv byte, op opcode, payload []byte) []byte {
	c.frames++
	var key [4]byte
	binary.BigEndian.PutUint32(key[:], 0x9E3779B9*c.frames)
	h := frameHeader{fin: fin, rsv: rsv << 4, opcode: op, masked: true, maskKey: key, length: int64(len(payload))}
	b := appendFrameHeader(make([]byte, 0, maxHeaderSize+len(payload)), h)
	n := len(b)
	b = append(b, payload...)
	maskBytes(key, 0, b[n:])
	return b
}

// fin is a final frame; more is a frame with more to follow.
func (c *abConn) fin(op opcode, payload string) []byte {
	return c.frame(true, 0, op, []byte(payload))
}

func (c *abConn) more(op opcode, payload string) []byte {
	return c.frame(false, 0, op, []byte(payload))
}

// closeFrame encodes a close frame with a raw payload and notes that the
// client has started the closing handshake; the caller sends it at once.
func (c *abConn) closeFrame(payload []byte) []byte {
	if !c.sentClose && !c.gotClose {
		c.closedFirst = true
	}
	c.sentClose = true
	return c.frame(true, 0, opClose, payload)
}

// abClose is the payload of a close frame with a code and a reason,
// whatever their length or content.
func abClose(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// write sends frames in one write, as the suite does with frames it
// queues in one go.
func (c *abConn) write(frames ...[]byte) {
	c.t.Helper()
	c.writeRaw(slices.Concat(frames...))
}

// writeEach sends each frame in a write of its own (the suite's
// sync = True: frame-wise chops).
func (c *abConn) writeEach(frames ...[]byte) {
	c.t.Helper()
	for _, f := range frames {
		c.writeRaw(f)
	}
}

// writeChopped sends each frame in writes of at most chop octets (the
// suite's chopsize).
func (c *abConn) writeChopped(chop int, frames ...[]byte) {
	c.t.Helper()
	for _, f := range frames {
		for len(f) > 0 {
			n := min(chop, len(f))
			c.writeRaw(f[:n])
			f = f[n:]
		}
	}
}

// readOne reads the next frame from the server and records it, checking
// that it is a frame a server may send.
func (c *abConn) readOne() {
	c.t.Helper()
	h, p, err := c.readFrame()
	if err != nil {
		c.t.Fatalf("read: %v (received so far: %v)%s", err, c.events, c.waiting)
	}
	switch {
	case h.masked:
		c.t.Fatalf("server sent a masked %v frame (RFC 6455 §5.1)", h.opcode)
	case h.rsv != 0:
		c.t.Fatalf("server sent a %v frame with reserved bits %#x", h.opcode, h.rsv)
	case h.opcode.isReserved():
		c.t.Fatalf("server sent a frame with reserved opcode %#x", byte(h.opcode))
	case h.opcode.isControl() && (!h.fin || len(p) > maxControlPayload):
		c.t.Fatalf("server sent a fragmented or oversized %v frame", h.opcode)
	}
	switch h.opcode {
	case opPing:
		c.events = append(c.events, abEvent{kind: "ping", payload: string(p)})
		return
	case opPong:
		c.events = append(c.events, abEvent{kind: "pong", payload: string(p)})
		return
	case opClose:
		c.gotClose = true
		switch {
		case len(p) == 0:
			c.code = closeNoStatus
		case len(p) == 1:
			c.t.Fatalf("server sent a close frame with a 1-byte payload")
		default:
			c.code = closeCode(binary.BigEndian.Uint16(p))
			c.reason = string(p[2:])
			if !utf8.ValidString(c.reason) {
				c.t.Fatalf("server's close reason %q is not valid UTF-8", c.reason)
			}
		}
		return
	case opContinuation:
		if !c.inMsg {
			c.t.Fatalf("server sent a continuation frame outside a message")
		}
	default:
		if c.inMsg {
			c.t.Fatalf("server started a %v message inside a fragmented one", h.opcode)
		}
		c.msgOp, c.msg, c.inMsg = h.opcode, nil, true
	}
	c.msg = append(c.msg, p...)
	if !h.fin {
		return
	}
	if c.msgOp == opText && !utf8.Valid(c.msg) {
		c.t.Fatalf("server sent a text message that is not valid UTF-8")
	}
	c.events = append(c.events, abEvent{kind: "message", op: c.msgOp, payload: string(c.msg)})
	c.msg, c.inMsg = nil, false
}

// awaitEvents reads until n events have arrived or the server closes.
func (c *abConn) awaitEvents(n int) {
	c.t.Helper()
	for !c.gotClose && len(c.events) < n {
		c.readOne()
	}
}

// awaitClose reads until the server's close frame.
func (c *abConn) awaitClose() {
	c.t.Helper()
	for !c.gotClose {
		c.readOne()
	}
}

// awaitFailFast reads until the server's close frame while the rest of
// the message is held back: the server must fail the connection as soon
// as the octet that makes the text invalid arrives (the suite's 6.4.x
// wait a second before they send the rest, if the connection is still
// open by then).
func (c *abConn) awaitFailFast() {
	c.t.Helper()
	c.waiting = "; want a close frame before the rest of the message is sent (fail fast on invalid UTF-8)"
	c.awaitClose()
	c.waiting = ""
}

// runAB plays one case against the echo endpoint at addr.
func runAB(t *testing.T, addr string, tc abCase) {
	t.Helper()
	c := &abConn{wsClient: dial(t, addr, "/ws/echo"), t: t}
	if tc.send != nil {
		tc.send(c)
	}
	if tc.closedByMe {
		// The suite closes once what it expects has arrived.
		c.awaitEvents(len(tc.want))
		if !c.gotClose && !c.sentClose {
			c.writeRaw(c.closeFrame(abClose(uint16(closeNormal), "")))
		}
	}
	c.awaitClose()

	if !slices.Equal(c.events, tc.want) {
		t.Errorf("received before the close frame:\n got %v\nwant %v", c.events, tc.want)
	}
	switch {
	case tc.closedByMe && !c.closedFirst:
		t.Errorf("the server sent close %d %q before the client closed; want the client to start the closing handshake", c.code, c.reason)
	case !tc.closedByMe && c.closedFirst:
		t.Errorf("the client had to start the closing handshake; want the server to fail the connection")
	}
	if !slices.Contains(tc.codes, c.code) {
		t.Errorf("server's close code %d (%q), want one of %v", c.code, c.reason, tc.codes)
	}
	if !c.sentClose {
		// The suite answers the server's close with 1000. The server may
		// already have shut its side down, so a failed write is no error.
		c.nc.Write(c.closeFrame(abClose(uint16(closeNormal), "")))
	}
	// The server closes TCP as part of the closing handshake, not when
	// its own closing timeout runs out: the suite's client waits only a
	// second before it drops the connection itself.
	c.nc.SetReadDeadline(time.Now().Add(closeTimeout / 2))
	_, err := c.br.ReadByte()
	switch {
	case err == nil:
		t.Errorf("server sent more after its close frame")
	case !errors.Is(err, io.EOF):
		t.Errorf("after the closing handshake: %v; want the server to close the TCP connection (EOF)", err)
	}
}

// runABCases starts a server and plays cases against it, each on a
// connection of its own, in parallel when parallel is set.
func runABCases(t *testing.T, cfg Config, parallel bool, cases []abCase) {
	t.Helper()
	_, addr := startServer(t, cfg)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if parallel {
				t.Parallel()
			}
			runAB(t, addr, tc)
		})
	}
}

// TestConformanceFraming covers 1.1.x and 1.2.x: text and binary
// messages of every length class, whole and in chops of 997 octets.
func TestConformanceFraming(t *testing.T) {
	var cases []abCase
	for _, kind := range []struct {
		sub  int
		op   opcode
		name string
		fill string
		ev   func(string) abEvent
	}{
		{1, opText, "text", "*", abText},
		{2, opBinary, "binary", "\xfe", abBinary},
	} {
		for i, n := range []int{0, 125, 126, 127, 128, 65535, 65536} {
			payload := strings.Repeat(kind.fill, n)
			cases = append(cases, abCase{
				name:       fmt.Sprintf("1.%d.%d %s payload %d", kind.sub, i+1, kind.name, n),
				send:       func(c *abConn) { c.write(c.fin(kind.op, payload)) },
				want:       []abEvent{kind.ev(payload)},
				closedByMe: true,
				codes:      codesNormal,
			})
		}
		payload := strings.Repeat(kind.fill, 65536)
		cases = append(cases, abCase{
			name:       fmt.Sprintf("1.%d.8 %s payload 65536 in chops of 997", kind.sub, kind.name),
			send:       func(c *abConn) { c.writeChopped(997, c.fin(kind.op, payload)) },
			want:       []abEvent{kind.ev(payload)},
			closedByMe: true,
			codes:      codesNormal,
		})
	}
	runABCases(t, testConfig(), true, cases)
}

// TestConformancePingPong covers 2.x: pings are answered with their
// payload, in order and whatever the chopping; unsolicited pongs are
// ignored; a ping over 125 octets fails the connection.
func TestConformancePingPong(t *testing.T) {
	binary8 := "\x00\xff\xfe\xfd\xfc\xfb\x00\xff"
	ping125 := strings.Repeat("\xfe", 125)
	var tenPings []abEvent
	for i := range 10 {
		tenPings = append(tenPings, abPong(fmt.Sprintf("payload-%d", i)))
	}
	pings := func(c *abConn) [][]byte {
		var fs [][]byte
		for _, e := range tenPings {
			fs = append(fs, c.fin(opPing, e.payload))
		}
		return fs
	}
	runABCases(t, testConfig(), true, []abCase{
		{
			name:       "2.1 ping without payload",
			send:       func(c *abConn) { c.write(c.fin(opPing, "")) },
			want:       []abEvent{abPong("")},
			closedByMe: true, codes: codesNormal,
		},
		{
			name:       "2.2 ping with small text payload",
			send:       func(c *abConn) { c.write(c.fin(opPing, "Hello, world!")) },
			want:       []abEvent{abPong("Hello, world!")},
			closedByMe: true, codes: codesNormal,
		},
		{
			name:       "2.3 ping with small binary payload",
			send:       func(c *abConn) { c.write(c.fin(opPing, binary8)) },
			want:       []abEvent{abPong(binary8)},
			closedByMe: true, codes: codesNormal,
		},
		{
			name:       "2.4 ping with 125-octet payload",
			send:       func(c *abConn) { c.write(c.fin(opPing, ping125)) },
			want:       []abEvent{abPong(ping125)},
			closedByMe: true, codes: codesNormal,
		},
		{
			name:  "2.5 ping with 126-octet payload fails the connection",
			send:  func(c *abConn) { c.write(c.fin(opPing, ping125+"\xfe")) },
			codes: codesProtocol,
		},
		{
			name:       "2.6 ping with 125-octet payload in octet-wise chops",
			send:       func(c *abConn) { c.writeChopped(1, c.fin(opPing, ping125)) },
			want:       []abEvent{abPong(ping125)},
			closedByMe: true, codes: codesNormal,
		},
		{
			name: "2.7 unsolicited pong without payload",
			send: func(c *abConn) {
				c.write(c.fin(opPong, ""), c.closeFrame(abClose(uint16(closeNormal), "")))
			},
			closedByMe: true, codes: codesNormal,
		},
		{
			name: "2.8 unsolicited pong with payload",
			send: func(c *abConn) {
				c.write(c.fin(opPong, "unsolicited pong payload"), c.closeFrame(abClose(uint16(closeNormal), "")))
			},
			closedByMe: true, codes: codesNormal,
		},
		{
			name: "2.9 unsolicited pong then ping",
			send: func(c *abConn) {
				c.write(c.fin(opPong, "unsolicited pong payload"), c.fin(opPing, "ping payload"))
			},
			want:       []abEvent{abPong("ping payload")},
			closedByMe: true, codes: codesNormal,
		},
		{
			name:       "2.10 ten pings answered in order",
			send:       func(c *abConn) { c.write(pings(c)...) },
			want:       tenPings,
			closedByMe: true, codes: codesNormal,
		},
		{
			name:       "2.11 ten pings in octet-wise chops answered in order",
			send:       func(c *abConn) { c.writeChopped(1, pings(c)...) },
			want:       tenPings,
			closedByMe: true, codes: codesNormal,
		},
	})
}

// TestConformanceReservedBits covers 3.x: a frame with a reserved bit set
// fails the connection with 1002, after the echo of the valid message
// sent before it, and nothing after it is answered.
func TestConformanceReservedBits(t *testing.T) {
	hello := "Hello, world!"
	runABCases(t, testConfig(), true, []abCase{
		{
			name:  "3.1 text with RSV=1",
			send:  func(c *abConn) { c.write(c.frame(true, 1, opText, []byte(hello))) },
			codes: codesProtocol,
		},
		{
			name: "3.2 text, text with RSV=2, ping",
			send: func(c *abConn) {
				c.write(c.fin(opText, hello), c.frame(true, 2, opText, []byte(hello)), c.fin(opPing, ""))
			},
			want:  []abEvent{abText(hello)},
			codes: codesProtocol,
		},
		{
			name: "3.3 text, text with RSV=3, ping, frame-wise chops",
			send: func(c *abConn) {
				c.writeEach(c.fin(opText, hello), c.frame(true, 3, opText, []byte(hello)), c.fin(opPing, ""))
			},
			want:  []abEvent{abText(hello)},
			codes: codesProtocol,
		},
		{
			name: "3.4 text, text with RSV=4, ping, octet-wise chops",
			send: func(c *abConn) {
				c.writeChopped(1, c.fin(opText, hello), c.frame(true, 4, opText, []byte(hello)), c.fin(opPing, ""))
			},
			want:  []abEvent{abText(hello)},
			codes: codesProtocol,
		},
		{
			name:  "3.5 binary with RSV=5",
			send:  func(c *abConn) { c.write(c.frame(true, 5, opBinary, []byte("\x00\xff\xfe\xfd\xfc\xfb\x00\xff"))) },
			codes: codesProtocol,
		},
		{
			// The suite describes 3.6 as a ping; some versions send it
			// with the binary opcode. Either must fail the connection.
			name:  "3.6 ping with RSV=6",
			send:  func(c *abConn) { c.write(c.frame(true, 6, opPing, []byte(hello))) },
			codes: codesProtocol,
		},
		{
			name:  "3.7 close with RSV=7",
			send:  func(c *abConn) { c.write(c.frame(true, 7, opClose, nil)) },
			codes: codesProtocol,
		},
	})
}

// TestConformanceOpcodes covers 4.x: reserved opcodes, data (3-7) and
// control (0xB-0xF), fail the connection with 1002 after the echo of the
// message before them.
func TestConformanceOpcodes(t *testing.T) {
	hello := "Hello, world!"
	var cases []abCase
	for _, g := range []struct {
		sub int
		ops [5]opcode
	}{{1, [5]opcode{3, 4, 5, 6, 7}}, {2, [5]opcode{11, 12, 13, 14, 15}}} {
		sub, ops := g.sub, g.ops
		cases = append(cases,
			abCase{
				name:  fmt.Sprintf("4.%d.1 opcode %d", sub, ops[0]),
				send:  func(c *abConn) { c.write(c.fin(ops[0], "")) },
				codes: codesProtocol,
			},
			abCase{
				name:  fmt.Sprintf("4.%d.2 opcode %d with payload", sub, ops[1]),
				send:  func(c *abConn) { c.write(c.fin(ops[1], "reserved opcode payload")) },
				codes: codesProtocol,
			},
			abCase{
				name:  fmt.Sprintf("4.%d.3 text, opcode %d, ping", sub, ops[2]),
				send:  func(c *abConn) { c.write(c.fin(opText, hello), c.fin(ops[2], ""), c.fin(opPing, "")) },
				want:  []abEvent{abText(hello)},
				codes: codesProtocol,
			},
			abCase{
				name:  fmt.Sprintf("4.%d.4 text, opcode %d with payload, ping", sub, ops[3]),
				send:  func(c *abConn) { c.write(c.fin(opText, hello), c.fin(ops[3], hello), c.fin(opPing, "")) },
				want:  []abEvent{abText(hello)},
				codes: codesProtocol,
			},
			abCase{
				name: fmt.Sprintf("4.%d.5 text, opcode %d with payload, ping, octet-wise chops", sub, ops[4]),
				send: func(c *abConn) {
					c.writeChopped(1, c.fin(opText, hello), c.fin(ops[4], hello), c.fin(opPing, ""))
				},
				want:  []abEvent{abText(hello)},
				codes: codesProtocol,
			},
		)
	}
	runABCases(t, testConfig(), true, cases)
}

// TestConformanceFragmentation covers 5.x: fragmented messages with
// control frames between their fragments, and every way of getting the
// continuation rules wrong.
func TestConformanceFragmentation(t *testing.T) {
	hello := "Hello, world!"
	twoFragments := func(c *abConn) [][]byte {
		return [][]byte{c.more(opText, "fragment1"), c.fin(opContinuation, "fragment2")}
	}
	withPing := func(c *abConn) [][]byte {
		return [][]byte{c.more(opText, "fragment1"), c.fin(opPing, "ping payload"), c.fin(opContinuation, "fragment2")}
	}
	nothingToContinue := func(fin bool) func(c *abConn) [][]byte {
		return func(c *abConn) [][]byte {
			return [][]byte{c.frame(fin, 0, opContinuation, []byte("non-continuation payload")), c.fin(opText, hello)}
		}
	}
	// 5.19 and 5.20: the first pong must arrive before the rest of the
	// message is sent; the suite waits a second there.
	pingsBetween := func(write func(c *abConn, frames ...[]byte)) func(c *abConn) {
		return func(c *abConn) {
			write(c, c.more(opText, "fragment1"), c.more(opContinuation, "fragment2"), c.fin(opPing, "pongme 1!"))
			c.waiting = "; want the first pong before the rest of the message is sent"
			c.awaitEvents(1)
			c.waiting = ""
			write(c, c.more(opContinuation, "fragment3"), c.more(opContinuation, "fragment4"),
				c.fin(opPing, "pongme 2!"), c.fin(opContinuation, "fragment5"))
		}
	}
	oneChop := func(c *abConn, frames ...[]byte) { c.write(frames...) }
	frameChops := func(c *abConn, frames ...[]byte) { c.writeEach(frames...) }
	octetChops := func(c *abConn, frames ...[]byte) { c.writeChopped(1, frames...) }

	echoed := []abEvent{abText("fragment1fragment2")}
	pongThenEcho := []abEvent{abPong("ping payload"), abText("fragment1fragment2")}
	runABCases(t, testConfig(), true, []abCase{
		{
			name:  "5.1 ping in 2 fragments",
			send:  func(c *abConn) { c.write(c.more(opPing, "fragment1"), c.fin(opContinuation, "fragment2")) },
			codes: codesProtocol,
		},
		{
			name:  "5.2 pong in 2 fragments",
			send:  func(c *abConn) { c.write(c.more(opPong, "fragment1"), c.fin(opContinuation, "fragment2")) },
			codes: codesProtocol,
		},
		{
			name: "5.3 text in 2 fragments", send: func(c *abConn) { oneChop(c, twoFragments(c)...) },
			want: echoed, closedByMe: true, codes: codesNormal,
		},
		{
			name: "5.4 text in 2 fragments, frame-wise chops", send: func(c *abConn) { frameChops(c, twoFragments(c)...) },
			want: echoed, closedByMe: true, codes: codesNormal,
		},
		{
			name: "5.5 text in 2 fragments, octet-wise chops", send: func(c *abConn) { octetChops(c, twoFragments(c)...) },
			want: echoed, closedByMe: true, codes: codesNormal,
		},
		{
			name: "5.6 text in 2 fragments with a ping between", send: func(c *abConn) { oneChop(c, withPing(c)...) },
			want: pongThenEcho, closedByMe: true, codes: codesNormal,
		},
		{
			name: "5.7 text in 2 fragments with a ping between, frame-wise chops", send: func(c *abConn) { frameChops(c, withPing(c)...) },
			want: pongThenEcho, closedByMe: true, codes: codesNormal,
		},
		{
			name: "5.8 text in 2 fragments with a ping between, octet-wise chops", send: func(c *abConn) { octetChops(c, withPing(c)...) },
			want: pongThenEcho, closedByMe: true, codes: codesNormal,
		},
		{
			name:  "5.9 final continuation with nothing to continue, then text",
			send:  func(c *abConn) { oneChop(c, nothingToContinue(true)(c)...) },
			codes: codesProtocol,
		},
		{
			name:  "5.10 final continuation with nothing to continue, then text, frame-wise chops",
			send:  func(c *abConn) { frameChops(c, nothingToContinue(true)(c)...) },
			codes: codesProtocol,
		},
		{
			name:  "5.11 final continuation with nothing to continue, then text, octet-wise chops",
			send:  func(c *abConn) { octetChops(c, nothingToContinue(true)(c)...) },
			codes: codesProtocol,
		},
		{
			name:  "5.12 non-final continuation with nothing to continue, then text",
			send:  func(c *abConn) { oneChop(c, nothingToContinue(false)(c)...) },
			codes: codesProtocol,
		},
		{
			name:  "5.13 non-final continuation with nothing to continue, then text, frame-wise chops",
			send:  func(c *abConn) { frameChops(c, nothingToContinue(false)(c)...) },
			codes: codesProtocol,
		},
		{
			name:  "5.14 non-final continuation with nothing to continue, then text, octet-wise chops",
			send:  func(c *abConn) { octetChops(c, nothingToContinue(false)(c)...) },
			codes: codesProtocol,
		},
		{
			name: "5.15 text in 2 fragments, then a continuation with nothing to continue",
			send: func(c *abConn) {
				c.write(c.more(opText, "fragment1"), c.fin(opContinuation, "fragment2"),
					c.more(opContinuation, "fragment3"), c.fin(opText, "fragment4"))
			},
			want:  echoed,
			codes: codesProtocol,
		},
		{
			name: "5.16 non-final continuation with nothing to continue, then text in 2 fragments, twice",
			send: func(c *abConn) {
				for range 2 {
					c.write(c.more(opContinuation, "fragment1"), c.more(opText, "fragment2"), c.fin(opContinuation, "fragment3"))
				}
			},
			codes: codesProtocol,
		},
		{
			name: "5.17 final continuation with nothing to continue, then text in 2 fragments, twice",
			send: func(c *abConn) {
				for range 2 {
					c.write(c.fin(opContinuation, "fragment1"), c.more(opText, "fragment2"), c.fin(opContinuation, "fragment3"))
				}
			},
			codes: codesProtocol,
		},
		{
			name:  "5.18 text in 2 fragments both with the text opcode",
			send:  func(c *abConn) { c.write(c.more(opText, "fragment1"), c.fin(opText, "fragment2")) },
			codes: codesProtocol,
		},
		{
			name: "5.19 fragmented text with pings between",
			send: pingsBetween(oneChop),
			want: []abEvent{abPong("pongme 1!"), abPong("pongme 2!"),
				abText("fragment1fragment2fragment3fragment4fragment5")},
			closedByMe: true, codes: codesNormal,
		},
		{
			name: "5.20 fragmented text with pings between, frame-wise chops",
			send: pingsBetween(frameChops),
			want: []abEvent{abPong("pongme 1!"), abPong("pongme 2!"),
				abText("fragment1fragment2fragment3fragment4fragment5")},
			closedByMe: true, codes: codesNormal,
		},
	})
}

// abUTF8Group is one subsection of the suite's 6.5 to 6.23: sequences
// from Markus Kuhn's UTF-8 decoder stress test, each sent as a text
// message in one frame, which must be echoed when valid and fail the
// connection with 1007 when not.
type abUTF8Group struct {
	name  string
	valid bool // whether every sequence of the group is valid
	seqs  []string
}

// abUTF8Groups returns the groups in the suite's order, from 6.5 on.
func abUTF8Groups() []abUTF8Group {
	const kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5" // κόσμε
	var prefixes []string
	for i := 1; i <= len(kosme); i++ {
		prefixes = append(prefixes, kosme[:i])
	}
	var unexpected []string
	unexpected = append(unexpected, "\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf",
		"\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf")
	var all []byte
	for b := 0x80; b < 0xbf; b++ {
		all = append(all, byte(b))
	}
	unexpected = append(unexpected, string(all))
	var lonely []string
	for _, r := range [][2]int{{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}} {
		var s []byte
		for b := r[0]; b < r[1]; b++ {
			s = append(s, byte(b), ' ')
		}
		lonely = append(lonely, string(s))
	}
	missing := []string{"\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
		"\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf"}
	// Noncharacters are valid UTF-8 (RFC 3629), and a WebSocket text
	// message may carry them.
	nonchars := []string{"\xef\xbf\xbe", "\xef\xbf\xbf"}
	for _, z1 := range []byte{0xf0, 0xf1, 0xf2, 0xf3, 0xf4} {
		for _, z2 := range []byte{0x8f, 0x9f, 0xaf, 0xbf} {
			if z1 == 0xf4 && z2 != 0x8f {
				continue // above U+10FFFF
			}
			for _, z3 := range []byte{0xbe, 0xbf} {
				s := string([]byte{z1, z2, 0xbf, z3})
				if s != "\xf0\x8f\xbf\xbe" && s != "\xf0\x8f\xbf\xbf" { // overlong
					nonchars = append(nonchars, s)
				}
			}
		}
	}
	return []abUTF8Group{
		{"valid sequences", true, []string{"hello\x24world", "hello\xc2\xa2world", "hello\xe2\x82\xacworld",
			"hello\xf0\xa4\xad\xa2world", kosme}},
		{"prefixes of a valid string", false, prefixes}, // validity per sequence, see below
		{"first sequence of each length", true, []string{"\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80"}},
		{"first sequence of length 5 and 6", false, []string{"\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80"}},
		{"last sequence of each length", true, []string{"\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"}},
		{"last sequence of length 4 5 and 6", false, []string{"\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf"}},
		{"other boundaries", false, []string{"\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80"}},
		{"unexpected continuation bytes", false, unexpected},
		{"lonely start bytes", false, lonely},
		{"last continuation byte missing", false, missing},
		{"concatenated incomplete sequences", false, []string{strings.Join(missing, "")}},
		{"impossible bytes", false, []string{"\xfe", "\xff", "\xfe\xfe\xff\xff"}},
		{"overlong ASCII", false, []string{"\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf"}},
		{"maximum overlong sequences", false, []string{"\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf"}},
		{"overlong NUL", false, []string{"\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80"}},
		{"single UTF-16 surrogates", false, []string{"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf",
			"\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf"}},
		{"paired UTF-16 surrogates", false, []string{"\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xbf\xbf",
			"\xed\xad\xbf\xed\xb0\x80", "\xed\xad\xbf\xed\xbf\xbf", "\xed\xae\x80\xed\xb0\x80", "\xed\xae\x80\xed\xbf\xbf",
			"\xed\xaf\xbf\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf"}},
		{"noncharacters", true, nonchars},
		{"specials", true, []string{"\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbd",
			"\xef\xbf\xbe", "\xef\xbf\xbf"}},
	}
}

// abSeqValid is the suite's verdict on one sequence of a group. It is
// written out for the groups that are all valid or all invalid; the two
// mixed groups (6.6 prefixes, 6.11 boundaries) have their valid
// sequences listed here.
func abSeqValid(g abUTF8Group, s string) bool {
	switch g.name {
	case "prefixes of a valid string":
		// A prefix is valid when it ends on a character boundary.
		return utf8.ValidString(s)
	case "other boundaries":
		return s != "\xf4\x90\x80\x80"
	}
	return g.valid
}

// TestConformanceUTF8 covers 6.x: valid UTF-8 in every fragmentation is
// echoed, invalid UTF-8 fails the connection with 1007, and does so as
// soon as the invalid octet arrives (6.4.x, fail-fast).
func TestConformanceUTF8(t *testing.T) {
	const (
		hello = "Hello-µ@ßöäüàá-UTF-8!!"
		kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
		// 6.3: invalid exactly on octet 12 (a surrogate, U+D800).
		invalid = kosme + "\xed\xa0\x80" + "edited"
	)
	// 6.4: the same message with U+110000 (out of range) in the middle.
	part1, part2, part3 := kosme, "\xf4\x90\x80\x80", "edited"
	failFast := part1 + part2 + part3

	octets := func(c *abConn, s string) [][]byte {
		var fs [][]byte
		for i := range len(s) {
			op := opContinuation
			if i == 0 {
				op = opText
			}
			fs = append(fs, c.frame(i == len(s)-1, 0, op, []byte{s[i]}))
		}
		return fs
	}
	// chops sends one text frame holding all of msg, in writes cut at
	// the given payload offsets, and waits for the server's close after
	// the last of them: the rest of the frame is never sent.
	chops := func(msg string, cuts ...int) func(c *abConn) {
		return func(c *abConn) {
			f := c.fin(opText, msg)
			hdr := len(f) - len(msg)
			from := 0
			for _, cut := range cuts {
				c.writeRaw(f[from : hdr+cut])
				from = hdr + cut
			}
			c.awaitFailFast()
		}
	}

	cases := []abCase{
		{
			name: "6.1.1 empty text", send: func(c *abConn) { c.write(c.fin(opText, "")) },
			want: []abEvent{abText("")}, closedByMe: true, codes: codesNormal,
		},
		{
			name: "6.1.2 text in 3 empty fragments",
			send: func(c *abConn) {
				c.write(c.more(opText, ""), c.more(opContinuation, ""), c.fin(opContinuation, ""))
			},
			want: []abEvent{abText("")}, closedByMe: true, codes: codesNormal,
		},
		{
			name: "6.1.3 text in 3 fragments, first and last empty",
			send: func(c *abConn) {
				c.write(c.more(opText, ""), c.more(opContinuation, "middle frame payload"), c.fin(opContinuation, ""))
			},
			want: []abEvent{abText("middle frame payload")}, closedByMe: true, codes: codesNormal,
		},
		{
			name: "6.2.1 valid UTF-8 in one frame", send: func(c *abConn) { c.write(c.fin(opText, hello)) },
			want: []abEvent{abText(hello)}, closedByMe: true, codes: codesNormal,
		},
		{
			name: "6.2.2 valid UTF-8 in 2 fragments split on a code point",
			send: func(c *abConn) {
				c.write(c.more(opText, "Hello-µ@ßöä"), c.fin(opContinuation, "üàá-UTF-8!!"))
			},
			want: []abEvent{abText(hello)}, closedByMe: true, codes: codesNormal,
		},
		{
			name: "6.2.3 valid UTF-8 in 1-octet fragments", send: func(c *abConn) { c.write(octets(c, hello)...) },
			want: []abEvent{abText(hello)}, closedByMe: true, codes: codesNormal,
		},
		{
			name: "6.2.4 valid UTF-8 (κόσμε) in 1-octet fragments", send: func(c *abConn) { c.write(octets(c, kosme)...) },
			want: []abEvent{abText(kosme)}, closedByMe: true, codes: codesNormal,
		},
		{
			name:  "6.3.1 invalid UTF-8 in one frame",
			send:  func(c *abConn) { c.write(c.fin(opText, invalid)) },
			codes: codesInvalid,
		},
		{
			name:  "6.3.2 invalid UTF-8 in 1-octet fragments",
			send:  func(c *abConn) { c.write(octets(c, invalid)...) },
			codes: codesInvalid,
		},
		{
			name: "6.4.1 fail fast: invalid code point in the 2nd of 3 fragments",
			send: func(c *abConn) {
				c.write(c.more(opText, part1))
				c.write(c.more(opContinuation, part2))
				c.awaitFailFast()
			},
			codes: codesInvalid,
		},
		{
			name: "6.4.2 fail fast: 2nd fragment ends with the invalid octet",
			send: func(c *abConn) {
				c.write(c.more(opText, failFast[:12]))
				c.write(c.more(opContinuation, failFast[12:13]))
				c.awaitFailFast()
			},
			codes: codesInvalid,
		},
		{
			name:  "6.4.3 fail fast: invalid code point in the 2nd of 3 chops of one frame",
			send:  chops(failFast, len(part1), len(part1)+len(part2)),
			codes: codesInvalid,
		},
		{
			name:  "6.4.4 fail fast: 2nd chop of one frame is the invalid octet",
			send:  chops(failFast, 12, 13),
			codes: codesInvalid,
		},
	}
	for i, g := range abUTF8Groups() {
		for j, s := range g.seqs {
			tc := abCase{
				name: fmt.Sprintf("6.%d.%d %s % x", i+5, j+1, g.name, s[:min(len(s), 8)]),
				send: func(c *abConn) { c.write(c.fin(opText, s)) },
			}
			if abSeqValid(g, s) {
				tc.want, tc.closedByMe, tc.codes = []abEvent{abText(s)}, true, codesNormal
			} else {
				tc.codes = codesInvalid
			}
			cases = append(cases, tc)
		}
	}
	runABCases(t, testConfig(), true, cases)
}

// TestConformanceClose covers 7.x: what follows a close frame is ignored,
// the close payload is checked (length, code, UTF-8 reason), and the
// server answers a valid close with the same code.
func TestConformanceClose(t *testing.T) {
	normal := func(reason string) []byte { return abClose(uint16(closeNormal), reason) }
	bigPayload := strings.Repeat("BAsd7&jh23", 256<<10/10+1)[:256<<10]
	cases := []abCase{
		{
			name:       "7.1.1 text then close",
			send:       func(c *abConn) { c.write(c.fin(opText, "Hello World!")) },
			want:       []abEvent{abText("Hello World!")},
			closedByMe: true, codes: codesNormal,
		},
		{
			name:       "7.1.2 two close frames",
			send:       func(c *abConn) { c.write(c.closeFrame(normal("")), c.fin(opClose, "")) },
			closedByMe: true, codes: codesNormal,
		},
		{
			name:       "7.1.3 ping after close is not answered",
			send:       func(c *abConn) { c.write(c.closeFrame(normal("")), c.fin(opPing, "")) },
			closedByMe: true, codes: codesNormal,
		},
		{
			name:       "7.1.4 text after close is not echoed",
			send:       func(c *abConn) { c.write(c.closeFrame(normal("")), c.fin(opText, "Hello World!")) },
			closedByMe: true, codes: codesNormal,
		},
		{
			name: "7.1.5 close between the fragments of a message",
			send: func(c *abConn) {
				c.write(c.more(opText, "fragment1"), c.closeFrame(normal("")), c.fin(opContinuation, "fragment2"))
			},
			closedByMe: true, codes: codesNormal,
		},
		{
			// Informational in the suite; echoing both messages is its
			// "OK" outcome.
			name: "7.1.6 256K text, text, close, ping",
			send: func(c *abConn) {
				c.write(c.fin(opText, bigPayload), c.fin(opText, "Hello World!"), c.closeFrame(normal("")), c.fin(opPing, ""))
			},
			want:       []abEvent{abText(bigPayload), abText("Hello World!")},
			closedByMe: true, codes: codesNormal,
		},
		{
			name:       "7.3.1 close with empty payload",
			send:       func(c *abConn) { c.write(c.closeFrame(nil)) },
			closedByMe: true, codes: codesNormal,
		},
		{
			name:       "7.3.2 close with 1-octet payload",
			send:       func(c *abConn) { c.write(c.closeFrame([]byte("a"))) },
			closedByMe: true, codes: codesProtocol,
		},
		{
			name:       "7.3.3 close with code only",
			send:       func(c *abConn) { c.write(c.closeFrame(normal(""))) },
			closedByMe: true, codes: codesNormal,
		},
		{
			name:       "7.3.4 close with code and reason",
			send:       func(c *abConn) { c.write(c.closeFrame(normal("Hello World!"))) },
			closedByMe: true, codes: codesNormal,
		},
		{
			name:       "7.3.5 close with 123-octet reason",
			send:       func(c *abConn) { c.write(c.closeFrame(normal(strings.Repeat("*", 123)))) },
			closedByMe: true, codes: codesNormal,
		},
		{
			name:       "7.3.6 close with 124-octet reason (126-octet payload)",
			send:       func(c *abConn) { c.write(c.closeFrame(normal(strings.Repeat("*", 124)))) },
			closedByMe: true, codes: codesProtocol,
		},
		{
			name: "7.5.1 close reason that is not valid UTF-8",
			send: func(c *abConn) {
				c.write(c.closeFrame(normal("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64")))
			},
			closedByMe: true, codes: []closeCode{closeProtocolError, closeInvalidPayload},
		},
	}
	for i, code := range []closeCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		cases = append(cases, abCase{
			name:       fmt.Sprintf("7.7.%d valid close code %d", i+1, code),
			send:       func(c *abConn) { c.write(c.closeFrame(abClose(uint16(code), ""))) },
			closedByMe: true, codes: []closeCode{closeNormal, code},
		})
	}
	for i, code := range []uint16{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		cases = append(cases, abCase{
			name:       fmt.Sprintf("7.9.%d invalid close code %d", i+1, code),
			send:       func(c *abConn) { c.write(c.closeFrame(abClose(code, ""))) },
			closedByMe: true, codes: codesProtocol,
		})
	}
	for i, code := range []uint16{5000, 65535} {
		// Informational in the suite, which takes 1000, the code
		// itself or 1002; codes from 5000 up are not allowed on the
		// wire (RFC 6455 §7.4.2), so this server answers 1002.
		cases = append(cases, abCase{
			name:       fmt.Sprintf("7.13.%d close code %d", i+1, code),
			send:       func(c *abConn) { c.write(c.closeFrame(abClose(code, ""))) },
			closedByMe: true, codes: codesProtocol,
		})
	}
	runABCases(t, testConfig(), true, cases)
}

// TestConformanceLimits covers a selection of 9.x through a server that
// takes 16 MiB messages on /ws/echo, as it is configured by default: the
// suite sends messages of up to 16 MiB, whole, fragmented and chopped,
// and round trips of many small ones.
func TestConformanceLimits(t *testing.T) {
	cfg := testConfig()
	cfg.MaxEchoMessage = 16 << 20

	// repeat is the suite's payload_len: payload repeated to length n.
	repeat := func(s string, n int) string { return strings.Repeat(s, n/len(s)+1)[:n] }
	text16M := repeat("BAsd7&jh23", 16<<20)
	text4M := strings.Repeat("*", 4<<20)
	text1M := repeat("BAsd7&jh23", 1<<20)
	// fragments sends msg as one message in fragments of size octets.
	fragments := func(c *abConn, op opcode, msg string, size int) [][]byte {
		var fs [][]byte
		for i := 0; i < len(msg); i += size {
			end := min(i+size, len(msg))
			if i > 0 {
				op = opContinuation
			}
			fs = append(fs, c.frame(end == len(msg), 0, op, []byte(msg[i:end])))
		}
		return fs
	}
	// roundTrips sends count messages one after the other, each once the
	// echo of the one before has arrived, and closes after the last.
	roundTrips := func(op opcode, size, count int) func(c *abConn) {
		return func(c *abConn) {
			payload := strings.Repeat("*", size)
			for i := range count {
				c.write(c.fin(op, payload))
				c.awaitEvents(i + 1)
			}
			want := abEvent{kind: "message", op: op, payload: payload}
			for i, e := range c.events {
				if e != want {
					c.t.Fatalf("round trip %d: got %v, want %v", i, e, want)
				}
			}
			c.events = nil
			c.writeRaw(c.closeFrame(abClose(uint16(closeNormal), "")))
		}
	}

	runABCases(t, cfg, false, []abCase{
		{
			name: "9.1.4 4M text", send: func(c *abConn) { c.write(c.fin(opText, text4M)) },
			want: []abEvent{abText(text4M)}, closedByMe: true, codes: codesNormal,
		},
		{
			name: "9.1.6 16M text", send: func(c *abConn) { c.write(c.fin(opText, text16M)) },
			want: []abEvent{abText(text16M)}, closedByMe: true, codes: codesNormal,
		},
		{
			name: "9.3.1 4M text in 64-octet fragments",
			send: func(c *abConn) { c.write(fragments(c, opText, text4M, 64)...) },
			want: []abEvent{abText(text4M)}, closedByMe: true, codes: codesNormal,
		},
		{
			name: "9.3.6 4M text in 64K fragments",
			send: func(c *abConn) { c.write(fragments(c, opText, text4M, 64<<10)...) },
			want: []abEvent{abText(text4M)}, closedByMe: true, codes: codesNormal,
		},
		{
			// Beyond the suite, which fragments only 4M messages: the
			// largest message it sends, in 64K fragments.
			name: "9.x 16M text in 64K fragments",
			send: func(c *abConn) { c.write(fragments(c, opText, text16M, 64<<10)...) },
			want: []abEvent{abText(text16M)}, closedByMe: true, codes: codesNormal,
		},
		{
			name: "9.5.1 1M text in chops of 64 octets",
			send: func(c *abConn) { c.writeChopped(64, c.fin(opText, text1M)) },
			want: []abEvent{abText(text1M)}, closedByMe: true, codes: codesNormal,
		},
		{
			name: "9.7.6 1000 round trips of 4096-octet text", send: roundTrips(opText, 4096, 1000),
			closedByMe: true, codes: codesNormal,
		},
	})
}

// TestConformanceAutoFragmentation covers 10.1.1: a 64K text message in
// fragments of 1300 octets (50 of them and a last one of 536).
func TestConformanceAutoFragmentation(t *testing.T) {
	payload := strings.Repeat("*", 65536)
	runABCases(t, testConfig(), true, []abCase{{
		name: "10.1.1 64K text in 1300-octet fragments",
		send: func(c *abConn) {
			var fs [][]byte
			for i := 0; i < len(payload); i += 1300 {
				end := min(i+1300, len(payload))
				op := opText
				if i > 0 {
					op = opContinuation
				}
				fs = append(fs, c.frame(end == len(payload), 0, op, []byte(payload[i:end])))
			}
			c.write(fs...)
		},
		want:       []abEvent{abText(payload)},
		closedByMe: true, codes: codesNormal,
	}})
}

// TestConformanceNegotiatesDeflate covers the opening handshake of 12.x
// and 13.x: the suite's default offer is accepted, with both sides
// without context takeover.
func TestConformanceNegotiatesDeflate(t *testing.T) {
	_, addr := startServer(t, testConfig())
	h := http.Header{}
	h.Set("Sec-WebSocket-Extensions", "permessage-deflate; client_no_context_takeover; client_max_window_bits")
	c, resp, err := tryDial(addr, "/ws/echo", h)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %s, want 101", resp.Status)
	}
	defer c.nc.Close()
	want := "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	if v := resp.Header.Values("Sec-WebSocket-Extensions"); len(v) != 1 || v[0] != want {
		t.Errorf("Sec-WebSocket-Extensions %q in the response, want %q", v, want)
	}
}
