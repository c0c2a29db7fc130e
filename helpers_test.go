package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The top-level package's shared test helpers live in the helpers_*
// files; the other test files hold tests, and what only they use.
//
//	helpers_test.go          the test client: wsClient (dial, tryDial,
//	                         handshakeOn, frames in and out, masked,
//	                         expectMessage), syncBuffer, eventually,
//	                         testTimeout
//	helpers_deflate_test.go  the client's permessage-deflate:
//	                         deflateClient, writeCompressed, readMessage
//	helpers_inbox_test.go    the chat as a client sees it: inbox (listen,
//	                         expect, await, event), join, enter, joinWith
//	helpers_addrs_test.go    clients from loopback addresses of their own,
//	                         other people's: dialFromAddr, joinFromAddr
//	helpers_http_test.go     HTTP as clients and operators use it: get,
//	                         status, expectRefused, apiCall, apiCallFrom,
//	                         register, and /metrics (scrape, scrapeUntil)
//	helpers_servers_test.go  servers in the test's process and their
//	                         configurations: testConfig, accountsConfig,
//	                         benchConfig, redisConfig; startServer,
//	                         startHTTP, startLiveServer, startNode(s)
//	helpers_binary_test.go   the server as a process: buildBinary,
//	                         startBinary, runBinary, stopBinary, rssKiB,
//	                         needTool
//	helpers_expect_test.go   acting on messages and finding them:
//	                         wireEvent, ask, awaitEvent, awaitLine,
//	                         joinJSONAt
//	helpers_bench_test.go    what the benchmarks share: dialBench,
//	                         benchReceiver, pace, benchText, procCPU,
//	                         loadAverage, envInt
//
// This file holds the test side of the protocol: a minimal client built
// on the project's own frame codec.

// testTimeout bounds every wait in the tests.
const testTimeout = 10 * time.Second

// wsClient is a test client: it writes masked frames and reads whole
// frames, control frames included, so tests see exactly what the server
// sent.
type wsClient struct {
	t   testing.TB
	nc  net.Conn
	br  *bufio.Reader
	key [4]byte
}

// dial opens a WebSocket connection to path on addr and checks the 101.
func dial(t testing.TB, addr, path string) *wsClient {
	t.Helper()
	c, resp, err := tryDial(addr, path, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("dial %s: status %s", path, resp.Status)
	}
	c.t = t
	t.Cleanup(func() { c.nc.Close() })
	return c
}

// tryDial opens a TCP connection to addr and sends an opening handshake
// for path with extra headers; see handshakeOver.
func tryDial(addr, path string, header http.Header) (*wsClient, *http.Response, error) {
	nc, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		return nil, nil, err
	}
	c, resp, err := handshakeOver(nc, addr, path, header)
	if c == nil {
		nc.Close()
	}
	return c, resp, err
}

// upgradeRequest is a client's opening handshake for path on host, with
// extra headers.
func upgradeRequest(host, path string, header http.Header) string {
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n", path, host)
	for k, vs := range header {
		for _, v := range vs {
			req += k + ": " + v + "\r\n"
		}
	}
	return req + "\r\n"
}

// handshakeOver sends the opening handshake on nc and reads the answer. It
// returns a client when the server switched protocols, and otherwise the
// response with its body read.
func handshakeOver(nc net.Conn, host, path string, header http.Header) (*wsClient, *http.Response, error) {
	nc.SetDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(nc, upgradeRequest(host, path, header)); err != nil {
		return nil, nil, err
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		return nil, resp, nil
	}
	return &wsClient{nc: nc, br: br, key: [4]byte{0x12, 0x34, 0x56, 0x78}}, resp, nil
}

// writeFrame sends one frame with the given header bits, masking the
// payload unless masked is false.
func (c *wsClient) writeFrame(fin bool, op opcode, payload []byte) {
	c.t.Helper()
	c.writeRaw(clientFrame(fin, op, true, c.key, payload))
}

// clientFrame encodes a frame as a client sends it.
func clientFrame(fin bool, op opcode, masked bool, key [4]byte, payload []byte) []byte {
	h := frameHeader{fin: fin, opcode: op, masked: masked, maskKey: key, length: int64(len(payload))}
	b := appendFrameHeader(nil, h)
	n := len(b)
	b = append(b, payload...)
	if masked {
		maskBytes(key, 0, b[n:])
	}
	return b
}

func (c *wsClient) writeRaw(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// sendText sends one text message in a single frame.
func (c *wsClient) sendText(s string) {
	c.t.Helper()
	c.writeFrame(true, opText, []byte(s))
}

// readFrame reads the next frame the server sent, within testTimeout.
func (c *wsClient) readFrame() (frameHeader, []byte, error) {
	c.nc.SetReadDeadline(time.Now().Add(testTimeout))
	return c.receive()
}

// receive reads the next frame the server sent, however long it takes:
// for a reader that stays connected while the test does other things (an
// inbox), whose waits are bounded where the test waits.
func (c *wsClient) receive() (frameHeader, []byte, error) {
	var hdr [maxHeaderSize]byte
	if _, err := io.ReadFull(c.br, hdr[:2]); err != nil {
		return frameHeader{}, nil, err
	}
	n := headerSize(hdr[:2])
	if _, err := io.ReadFull(c.br, hdr[2:n]); err != nil {
		return frameHeader{}, nil, err
	}
	h, _, err := parseFrameHeader(hdr[:n])
	if err != nil {
		return h, nil, err
	}
	p := make([]byte, h.length)
	if _, err := io.ReadFull(c.br, p); err != nil {
		return h, nil, err
	}
	return h, p, nil
}

// next returns the next data frame's payload as a string, skipping pings.
func (c *wsClient) next() string {
	c.t.Helper()
	for {
		h, p, err := c.readFrame()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		switch h.opcode {
		case opPing, opPong:
			continue
		case opClose:
			c.t.Fatalf("read: got close %v, want a message", decodeClose(p))
		}
		return string(p)
	}
}

// expectClose reads until the server's close frame and returns its code
// and reason, checking that the server then ends the TCP connection.
func (c *wsClient) expectClose() (closeCode, string) {
	c.t.Helper()
	for {
		h, p, err := c.readFrame()
		if err != nil {
			c.t.Fatalf("waiting for close: %v", err)
		}
		if h.opcode != opClose {
			continue
		}
		ce := decodeClose(p)
		c.writeFrame(true, opClose, closePayload(ce.Code, ""))
		if _, _, err := c.readFrame(); !errors.Is(err, io.EOF) {
			c.t.Errorf("after close: got %v, want the server to close TCP (EOF)", err)
		}
		return ce.Code, ce.Reason
	}
}

// decodeClose reads a close frame body as the server sent it.
func decodeClose(p []byte) *CloseError {
	if len(p) < 2 {
		return &CloseError{Code: closeNoStatus}
	}
	return &CloseError{Code: closeCode(binary.BigEndian.Uint16(p)), Reason: string(p[2:])}
}

// eventually polls cond until it holds or testTimeout passes, and reports
// whether it held: for states no event announces, such as a goroutine
// count or a line a copier has yet to write.
func eventually(cond func() bool) bool {
	return eventuallyWithin(testTimeout, cond)
}

// eventuallyWithin is eventually with a bound of d: for what takes long
// by design, such as thousands of benchmark clients joining.
func eventuallyWithin(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// handshakeOn sends the opening handshake on nc and reads the answer. It
// returns a client when the server switched protocols, and the response
// with its body read otherwise.
func handshakeOn(t testing.TB, nc net.Conn, host, path string) (*wsClient, *http.Response) {
	t.Helper()
	t.Cleanup(func() { nc.Close() })
	c, resp, err := handshakeOver(nc, host, path, nil)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if c != nil {
		c.t = t
	}
	return c, resp
}

// dialFrom opens a TCP connection to addr from the local IP from.
func dialFrom(t testing.TB, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: testTimeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	return nc
}

// drainFrames reads and drops whatever c is sent, as a client that keeps
// up does, until the connection ends.
func drainFrames(c *wsClient) {
	c.nc.SetReadDeadline(time.Time{})
	buf := make([]byte, 64<<10)
	for {
		if _, err := c.br.Read(buf); err != nil {
			return
		}
	}
}

// syncBuffer is a log destination tests can read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testKey is the masking key the tests' frames use.
var testKey = [4]byte{0x12, 0x34, 0x56, 0x78}

// masked is a client frame, masked as §5.3 requires.
func masked(fin bool, op opcode, payload []byte) []byte {
	return clientFrame(fin, op, true, testKey, payload)
}

// expectMessage reads the next frame and checks that it is the whole
// message op/payload as a server must send it: final, unmasked, no RSV
// bits (§5.1, §5.2).
func expectMessage(t *testing.T, c *wsClient, op opcode, payload []byte) {
	t.Helper()
	h, p, err := c.readFrame()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if h.opcode == opClose {
		t.Fatalf("got close %v, want opcode %#x", decodeClose(p), byte(op))
	}
	if h.opcode != op || !h.fin || h.masked || h.rsv != 0 {
		t.Fatalf("got frame opcode %#x fin %v masked %v rsv %#x, want opcode %#x, fin, unmasked, no RSV",
			byte(h.opcode), h.fin, h.masked, h.rsv, byte(op))
	}
	if !bytes.Equal(p, payload) {
		t.Fatalf("got %d bytes %.40q, want %d bytes %.40q", len(p), p, len(payload), payload)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
