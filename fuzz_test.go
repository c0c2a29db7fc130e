package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"
)

// Fuzz targets for the read side: whatever bytes a client sends, the
// server must not panic, must keep to its limits, and must end the
// connection with a close code it is allowed to send. Seeds are in
// testdata/fuzz.

func FuzzParseFrameHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := parseFrameHeader(b)
		if err != nil {
			// §5.2: only a 64-bit length with its top bit set is an error.
			if !errors.Is(err, errHeaderLength) || n != 0 {
				t.Fatalf("parseFrameHeader(% x) = n %d, err %v", b, n, err)
			}
			if len(b) < 10 || b[1]&0x7F != 127 || b[2]&0x80 == 0 {
				t.Fatalf("errHeaderLength for % x, which has no 64-bit length with the top bit set", b)
			}
			return
		}
		if len(b) < 2 || len(b) < headerSize(b) {
			if n != 0 {
				t.Fatalf("parseFrameHeader(% x) = n %d from too short an input", b, n)
			}
			return
		}
		if n != headerSize(b) {
			t.Fatalf("parseFrameHeader(% x) = n %d, want %d", b, n, headerSize(b))
		}
		if h.length < 0 {
			t.Fatalf("parseFrameHeader(% x): negative length %d", b, h.length)
		}
		enc := appendFrameHeader(nil, h)
		h2, n2, err := parseFrameHeader(enc)
		if err != nil || n2 != len(enc) || h2 != h {
			t.Fatalf("round trip of %+v through % x: got %+v, n %d, err %v", h, enc, h2, n2, err)
		}
		// The encoding is the shortest form: the input's own bytes when
		// the input used it too, shorter when it did not.
		if len(enc) > n || len(enc) == n && !bytes.Equal(enc, b[:n]) {
			t.Fatalf("header % x re-encoded as % x", b[:n], enc)
		}
	})
}

// fuzzConn is a net.Conn whose peer sends the bytes of r and then hangs
// up. What the server writes is kept, and CloseWrite, which the writer
// calls after the close frame, is signalled on shut.
type fuzzConn struct {
	r    io.Reader
	mu   sync.Mutex
	out  []byte
	once sync.Once
	shut chan struct{}
}

func newFuzzConn(r io.Reader) *fuzzConn { return &fuzzConn{r: r, shut: make(chan struct{})} }

func (c *fuzzConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *fuzzConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out = append(c.out, p...)
	return len(p), nil
}

func (c *fuzzConn) written() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.out)
}

func (c *fuzzConn) CloseWrite() error {
	c.once.Do(func() { close(c.shut) })
	return nil
}

func (c *fuzzConn) Close() error                     { return nil }
func (c *fuzzConn) LocalAddr() net.Addr              { return fuzzAddr{} }
func (c *fuzzConn) RemoteAddr() net.Addr             { return fuzzAddr{} }
func (c *fuzzConn) SetDeadline(time.Time) error      { return nil }
func (c *fuzzConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fuzzConn) SetWriteDeadline(time.Time) error { return nil }

type fuzzAddr struct{}

func (fuzzAddr) Network() string { return "fuzz" }
func (fuzzAddr) String() string  { return "fuzz" }

// fuzzMaxMessage is the message limit of the fuzzed connection: small, so
// that inputs reach it.
const fuzzMaxMessage = 1000

// readUntilError reads messages from a connection fed from r until
// ReadMessage fails, checking each message, and returns them with the
// connection and the error.
func readUntilError(t *testing.T, r io.Reader) ([]string, *fuzzConn, error) {
	fc := newFuzzConn(r)
	c := newConn(fc, nil, &connConfig{
		maxMessage:   fuzzMaxMessage,
		maxQueue:     1 << 30, // never drop the peer as too slow here
		writeTimeout: time.Second,
		closeTimeout: time.Second,
	}, nil)
	var msgs []string
	for {
		op, msg, err := c.ReadMessage()
		if err != nil {
			return msgs, fc, err
		}
		switch {
		case op != opText && op != opBinary:
			t.Fatalf("message with opcode %#x", byte(op))
		case len(msg) > fuzzMaxMessage || cap(msg) > fuzzMaxMessage:
			t.Fatalf("message of len %d, cap %d, over the limit of %d", len(msg), cap(msg), fuzzMaxMessage)
		case op == opText && !utf8.Valid(msg):
			t.Fatalf("text message %q is not valid UTF-8", msg)
		}
		msgs = append(msgs, fmt.Sprintf("%x:%q", byte(op), msg))
	}
}

func FuzzReadMessage(f *testing.F) {
	f.Fuzz(func(t *testing.T, input []byte) {
		msgs, fc, err := readUntilError(t, bytes.NewReader(input))

		var ce *CloseError
		switch {
		case errors.As(err, &ce):
			// The peer's close (1005 when it had no code) or the server's
			// own protocol error.
			if !ce.Code.validOnWire() && ce.Code != closeNoStatus {
				t.Fatalf("close code %d (%v)", ce.Code, err)
			}
			// The close frame the server sent: the last frame it wrote,
			// with the same code (1000 answering a close without one).
			select {
			case <-fc.shut:
			case <-time.After(testTimeout):
				t.Fatalf("the writer did not finish after the close frame (%v)", err)
			}
			want := ce.Code
			if want == closeNoStatus {
				want = closeNormal
			}
			checkServerFrames(t, fc.written(), want)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			// The input ran out.
		default:
			t.Fatalf("ReadMessage failed with %v, want a close or the end of the input", err)
		}

		// The same bytes arriving one at a time give the same result.
		msgs1, _, err1 := readUntilError(t, iotest.OneByteReader(bytes.NewReader(input)))
		if fmt.Sprint(msgs1) != fmt.Sprint(msgs) || fmt.Sprint(err1) != fmt.Sprint(err) {
			t.Fatalf("read whole: %v, %v\nread a byte at a time: %v, %v", msgs, err, msgs1, err1)
		}
	})
}

// checkServerFrames parses what the server wrote: pongs, then one close
// frame with code, all unmasked and unfragmented (§5.1, §5.5).
func checkServerFrames(t *testing.T, out []byte, code closeCode) {
	t.Helper()
	for len(out) > 0 {
		h, n, err := parseFrameHeader(out)
		if err != nil || n == 0 || int64(len(out)-n) < h.length {
			t.Fatalf("server wrote a broken frame: % x (err %v)", out, err)
		}
		p := out[n : n+int(h.length)]
		out = out[n+int(h.length):]
		if h.masked || !h.fin || h.rsv != 0 || h.length > maxControlPayload {
			t.Fatalf("server frame %+v is not a valid control frame", h)
		}
		switch h.opcode {
		case opPong:
		case opClose:
			got := decodeClose(p)
			if got.Code != code || !utf8.ValidString(got.Reason) {
				t.Fatalf("server closed with %d %q, want %d", got.Code, got.Reason, code)
			}
			if len(out) > 0 {
				t.Fatalf("server wrote % x after its close frame", out)
			}
			return
		default:
			t.Fatalf("server wrote a frame with opcode %#x", byte(h.opcode))
		}
	}
	t.Fatalf("server wrote no close frame, want %d", code)
}
