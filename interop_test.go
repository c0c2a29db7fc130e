package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/websocket"
)

// These tests talk to the server through golang.org/x/net/websocket, a
// client written independently of this project's frame codec, so that a
// mistake shared by the server and the test client in helpers_test.go
// cannot go unnoticed.

// xnetOrigin is the Origin the x/net client sends; it requires one.
const xnetOrigin = "http://localhost/"

// xnetDial connects an x/net/websocket client to path on addr. Every read
// and write on the connection is bounded by testTimeout.
func xnetDial(t *testing.T, addr, path string) *websocket.Conn {
	t.Helper()
	cfg, err := websocket.NewConfig("ws://"+addr+path, xnetOrigin)
	if err != nil {
		t.Fatalf("config for %s: %v", path, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ws, err := cfg.DialContext(ctx)
	if err != nil {
		t.Fatalf("x/net dial %s: %v", path, err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.SetDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	return ws
}

// xnetMessage is one message as x/net/websocket sends or receives it:
// its frame type (websocket.TextFrame or websocket.BinaryFrame) and data.
type xnetMessage struct {
	frameType byte
	data      []byte
}

// xnetCodec sends an xnetMessage as a frame of its own type and, on
// receipt, records the type of the frame that arrived, which the stock
// websocket.Message codec does not tell.
var xnetCodec = websocket.Codec{
	Marshal: func(v any) ([]byte, byte, error) {
		m := v.(xnetMessage)
		return m.data, m.frameType, nil
	},
	Unmarshal: func(data []byte, frameType byte, v any) error {
		m := v.(*xnetMessage)
		m.frameType, m.data = frameType, data
		return nil
	},
}

func frameTypeName(ft byte) string {
	switch ft {
	case websocket.TextFrame:
		return "text"
	case websocket.BinaryFrame:
		return "binary"
	}
	return fmt.Sprintf("frame type %d", ft)
}

// textOfSize returns valid UTF-8 text of exactly n bytes, with multi-byte
// characters in it wherever n leaves room for them.
func textOfSize(n int) []byte {
	const pattern = "wschat ✓ héllo — 😀 "
	b := make([]byte, 0, n)
	for len(b) < n {
		for _, r := range pattern {
			if len(b) == n {
				break
			}
			if utf8.RuneLen(r) > n-len(b) {
				r = 'x' // no room left for this character
			}
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

// binaryOfSize returns n bytes that take every byte value, invalid UTF-8
// included.
func binaryOfSize(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// TestInteropEcho sends text and binary messages of the sizes at which
// the frame length encoding changes (7-bit, 16-bit and 64-bit lengths)
// through /ws/echo and expects each back whole, as the same frame type.
func TestInteropEcho(t *testing.T) {
	_, addr := startServer(t, testConfig())
	sizes := []int{0, 1, 125, 126, 65535, 65536, 200 << 10, 1 << 20}
	kinds := []struct {
		name      string
		frameType byte
		payload   func(int) []byte
	}{
		{"text", websocket.TextFrame, textOfSize},
		{"binary", websocket.BinaryFrame, binaryOfSize},
	}
	for _, k := range kinds {
		for _, n := range sizes {
			t.Run(fmt.Sprintf("%s/%d", k.name, n), func(t *testing.T) {
				want := k.payload(n)
				if len(want) != n || k.frameType == websocket.TextFrame && !utf8.Valid(want) {
					t.Fatalf("bad test payload: %d bytes, want %d of valid UTF-8 for text", len(want), n)
				}
				ws := xnetDial(t, addr, "/ws/echo")
				if err := xnetCodec.Send(ws, xnetMessage{k.frameType, want}); err != nil {
					t.Fatalf("send %d bytes: %v", n, err)
				}
				var got xnetMessage
				if err := xnetCodec.Receive(ws, &got); err != nil {
					t.Fatalf("receive the echo of %d bytes: %v", n, err)
				}
				if got.frameType != k.frameType {
					t.Errorf("echo came back as %s, want %s", frameTypeName(got.frameType), k.name)
				}
				if !bytes.Equal(got.data, want) {
					t.Errorf("echo differs: got %d bytes, want %d (first difference at %d)",
						len(got.data), n, firstDifference(got.data, want))
				}
			})
		}
	}
}

// firstDifference returns the index of the first byte where a and b
// differ, or the length of the shorter one.
func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// xnetReceiveText reads the next message and checks it is a text frame.
func xnetReceiveText(t *testing.T, who string, ws *websocket.Conn) string {
	t.Helper()
	var m xnetMessage
	if err := xnetCodec.Receive(ws, &m); err != nil {
		t.Fatalf("%s: receive: %v", who, err)
	}
	if m.frameType != websocket.TextFrame {
		t.Fatalf("%s: got a %s message %q, want text", who, frameTypeName(m.frameType), m.data)
	}
	return string(m.data)
}

// TestInteropChat has two x/net clients chat: each sees the other arrive
// and leave, and a message reaches both, the sender included.
func TestInteropChat(t *testing.T) {
	_, addr := startServer(t, testConfig())

	alice := xnetDial(t, addr, "/ws/chat?name=alice")
	if got, want := xnetReceiveText(t, "alice", alice), "* welcome, alice! 1 online: alice"; got != want {
		t.Fatalf("alice's welcome: got %q, want %q", got, want)
	}
	bob := xnetDial(t, addr, "/ws/chat?name=bob")
	if got, want := xnetReceiveText(t, "bob", bob), "* welcome, bob! "; !strings.HasPrefix(got, want) {
		t.Fatalf("bob's welcome: got %q, want it to start with %q", got, want)
	}
	if got, want := xnetReceiveText(t, "alice", alice), "* bob joined"; got != want {
		t.Fatalf("alice: got %q, want %q", got, want)
	}

	if err := websocket.Message.Send(alice, "Hello!"); err != nil {
		t.Fatalf("alice: send: %v", err)
	}
	for _, c := range []struct {
		who string
		ws  *websocket.Conn
	}{{"alice", alice}, {"bob", bob}} {
		if got, want := xnetReceiveText(t, c.who, c.ws), "alice: Hello!"; got != want {
			t.Errorf("%s: got %q, want %q", c.who, got, want)
		}
	}

	if err := bob.Close(); err != nil {
		t.Fatalf("bob: close: %v", err)
	}
	if got, want := xnetReceiveText(t, "alice", alice), "* bob left"; got != want {
		t.Errorf("alice: got %q, want %q", got, want)
	}
}
