package main

import (
	"bufio"
	"bytes"
	"cmp"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
)

// The opening handshake (RFC 6455 §4.2) against a real server: what a
// client gets back for a valid request, and for each rule it can break.

// rfcKey and rfcAccept are the example of RFC 6455 §1.3.
const (
	rfcKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	rfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

func TestAcceptKey(t *testing.T) {
	for _, tc := range []struct{ name, key, want string }{
		{"RFC 6455 section 1.3 example", rfcKey, rfcAccept},
		{"another client key", "x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := acceptKey(tc.key); got != tc.want {
				t.Errorf("acceptKey(%q) = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

// handshakeRequest writes an opening handshake: method, target and
// protocol version, then Host and header, one line per value.
func handshakeRequest(method, target, proto, host string, header http.Header) string {
	var b strings.Builder
	b.WriteString(method + " " + target + " " + proto + "\r\n")
	b.WriteString("Host: " + host + "\r\n")
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range header {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range header[k] {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

// validHeader is the header of a valid handshake (§4.1) with the key of
// the RFC's example.
func validHeader() http.Header {
	h := http.Header{}
	h.Set("Upgrade", "websocket")
	h.Set("Connection", "Upgrade")
	h.Set("Sec-WebSocket-Key", rfcKey)
	h.Set("Sec-WebSocket-Version", "13")
	return h
}

// roundTrip sends req on a new connection and reads the response, with
// its body, and the reader left at whatever follows the response.
func roundTrip(t *testing.T, addr, req string) (*http.Response, string, net.Conn, *bufio.Reader) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatalf("write handshake: %v", err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp, "", nc, br
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(body), nc, br
}

// checkOneLine checks that a refusal's body is one line of text a person
// can read.
func checkOneLine(t *testing.T, body string) {
	t.Helper()
	line, ok := strings.CutSuffix(body, "\n")
	if !ok || strings.Contains(line, "\n") || strings.TrimSpace(line) == "" {
		t.Errorf("body %q: want one non-empty line", body)
		return
	}
	for _, r := range line {
		if !unicode.IsPrint(r) {
			t.Errorf("body %q has the unprintable %U", body, r)
			return
		}
	}
}

func TestHandshake(t *testing.T) {
	type tc struct {
		name    string
		path    string              // default /ws/echo
		method  string              // default GET
		proto   string              // default HTTP/1.1
		header  func(h http.Header) // changes to a valid handshake
		origins []string            // Config.Origins

		status  int
		want    map[string]string // response headers with these exact values
		absent  []string          // response headers that must not be there
		body    []string          // what the body line must mention
		bodyNot []string          // what it must not
	}
	set := func(kv ...string) func(http.Header) {
		return func(h http.Header) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i+1] == "" {
					h.Del(kv[i])
				} else {
					h.Set(kv[i], kv[i+1])
				}
			}
		}
	}
	switched := map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": rfcAccept}
	noNegotiation := []string{"Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol"}
	needsVersion := map[string]string{"Sec-WebSocket-Version": "13", "Upgrade": "websocket", "Connection": "Upgrade"}
	cases := []tc{
		{name: "valid", status: 101, want: switched, absent: noNegotiation},
		{name: "valid on /ws/chat", path: "/ws/chat?name=alice", status: 101, want: switched, absent: noNegotiation},
		{name: "unknown extension and subprotocol offered are declined",
			header: set("Sec-WebSocket-Extensions", "x-webkit-deflate-frame; no_context_takeover", "Sec-WebSocket-Protocol", "chat, superchat"),
			status: 101, want: switched, absent: noNegotiation},
		{name: "Upgrade token in another case", header: set("Upgrade", "WebSocket"), status: 101, want: switched},
		{name: "Upgrade listing several protocols", header: set("Upgrade", "foo/2, websocket"), status: 101, want: switched},
		{name: "Connection keep-alive, Upgrade", header: set("Connection", "keep-alive, Upgrade"), status: 101, want: switched},
		{name: "Connection token in lower case", header: set("Connection", "upgrade"), status: 101, want: switched},

		{name: "POST", method: "POST", status: 405, want: map[string]string{"Allow": "GET"}, body: []string{"GET"}},
		{name: "PUT", method: "PUT", status: 405, want: map[string]string{"Allow": "GET"}, body: []string{"GET"}},
		{name: "HTTP/1.0", proto: "HTTP/1.0", status: 505, body: []string{"HTTP/1.1"}},

		{name: "Upgrade without websocket", header: set("Upgrade", "h2c"), status: 400, body: []string{"Upgrade", "websocket"}},
		{name: "Upgrade missing", header: set("Upgrade", ""), status: 400, body: []string{"Upgrade", "websocket"}},
		{name: "Connection without upgrade", header: set("Connection", "keep-alive"), status: 400, body: []string{"Connection", "Upgrade"}},
		{name: "Connection missing", header: set("Connection", ""), status: 400, body: []string{"Connection", "Upgrade"}},

		{name: "key of 15 bytes", header: set("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAA"), status: 400, body: []string{"Sec-WebSocket-Key"}},
		{name: "key of 17 bytes", header: set("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAAA="), status: 400, body: []string{"Sec-WebSocket-Key"}},
		{name: "key not base64", header: set("Sec-WebSocket-Key", "this is not base64!!!!=="), status: 400, body: []string{"Sec-WebSocket-Key"}},
		{name: "key without padding", header: set("Sec-WebSocket-Key", strings.TrimRight(rfcKey, "=")), status: 400, body: []string{"Sec-WebSocket-Key"}},
		{name: "key missing", header: set("Sec-WebSocket-Key", ""), status: 400, body: []string{"Sec-WebSocket-Key"}},
		{name: "two keys", header: func(h http.Header) { h.Add("Sec-WebSocket-Key", "x3JJHMbDL1EzLkh9GBhXDw==") }, status: 400, body: []string{"Sec-WebSocket-Key"}},

		{name: "version 8", header: set("Sec-WebSocket-Version", "8"), status: 426, want: needsVersion, body: []string{"13"}},
		{name: "version 14", header: set("Sec-WebSocket-Version", "14"), status: 426, want: needsVersion, body: []string{"13"}},
		{name: "version missing", header: set("Sec-WebSocket-Version", ""), status: 426, want: needsVersion, body: []string{"13"}},

		{name: "plain GET to /ws/chat", path: "/ws/chat", header: func(h http.Header) { clear(h) },
			status: 426, want: needsVersion, body: []string{"WebSocket client", "ws://", "/ws/chat?name="}},
		{name: "plain GET to /ws/echo", path: "/ws/echo", header: func(h http.Header) { clear(h) },
			status: 426, want: needsVersion, body: []string{"WebSocket client", "ws://", "/ws/echo"}, bodyNot: []string{"/ws/chat"}},

		{name: "allowed origin", origins: []string{"example.com"}, header: set("Origin", "http://example.com"), status: 101, want: switched},
		{name: "allowed origin on another port", origins: []string{"example.com"}, header: set("Origin", "https://example.com:8443"), status: 101, want: switched},
		{name: "allowed origin in another case", origins: []string{"example.com"}, header: set("Origin", "http://EXAMPLE.com"), status: 101, want: switched},
		{name: "other origin", origins: []string{"example.com"}, header: set("Origin", "http://evil.example"), status: 403, body: []string{"origin", "example.com"}},
		{name: "origin ending like an allowed one", origins: []string{"example.com"}, header: set("Origin", "http://notexample.com"), status: 403, body: []string{"origin"}},
		{name: "origin starting like an allowed one", origins: []string{"example.com"}, header: set("Origin", "http://example.com.evil.example"), status: 403, body: []string{"origin"}},
		{name: "null origin with an allow list", origins: []string{"example.com"}, header: set("Origin", "null"), status: 403, body: []string{"origin"}},
		{name: "no origin (not a browser) with an allow list", origins: []string{"example.com"}, status: 101, want: switched},
		{name: "any origin without an allow list", header: set("Origin", "http://anywhere.example"), status: 101, want: switched},
		{name: "null origin without an allow list", header: set("Origin", "null"), status: 101, want: switched},
	}
	servers := map[string]string{} // address by allow list
	for _, tc := range cases {
		list := strings.Join(tc.origins, ",")
		if _, ok := servers[list]; !ok {
			cfg := testConfig()
			cfg.Origins = tc.origins
			_, servers[list] = startServer(t, cfg)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := servers[strings.Join(tc.origins, ",")]
			header := validHeader()
			if tc.header != nil {
				tc.header(header)
			}
			req := handshakeRequest(cmp.Or(tc.method, "GET"), cmp.Or(tc.path, "/ws/echo"), cmp.Or(tc.proto, "HTTP/1.1"), addr, header)
			resp, body, _, _ := roundTrip(t, addr, req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %s (body %q), want %d", resp.Status, body, tc.status)
			}
			for k, v := range tc.want {
				if got := resp.Header.Values(k); len(got) != 1 || got[0] != v {
					t.Errorf("header %s: %q, want %q", k, got, v)
				}
			}
			for _, k := range tc.absent {
				if got := resp.Header.Values(k); len(got) != 0 {
					t.Errorf("header %s: %q, want none", k, got)
				}
			}
			if tc.status == http.StatusSwitchingProtocols {
				return
			}
			checkOneLine(t, body)
			for _, s := range tc.body {
				if !strings.Contains(strings.ToLower(body), strings.ToLower(s)) {
					t.Errorf("body %q does not mention %q", body, s)
				}
			}
			for _, s := range tc.bodyNot {
				if strings.Contains(body, s) {
					t.Errorf("body %q mentions %q", body, s)
				}
			}
		})
	}
}

// TestHandshakeEarlyData sends frames in the same write as the
// handshake. §4.1 has a client wait for the 101 before sending more, but
// bytes can still arrive together with the request (from an eager client,
// or coalesced on the way), and a server that dropped them would go on
// reading the stream from the middle of a frame. They must be read as if
// they had come after the 101.
func TestHandshakeEarlyData(t *testing.T) {
	_, addr := startServer(t, testConfig())
	big := bytes.Repeat([]byte("0123456789"), 7000) // more than net/http buffers
	type message struct {
		op opcode
		p  []byte
	}
	for _, tc := range []struct {
		name   string
		frames [][]byte
		want   []message
	}{
		{"text frame", [][]byte{masked(true, opText, []byte("early bird"))},
			[]message{{opText, []byte("early bird")}}},
		{"ping then two messages", [][]byte{masked(true, opPing, []byte("p")), masked(true, opText, []byte("one")), masked(true, opBinary, []byte{2})},
			[]message{{opPong, []byte("p")}, {opText, []byte("one")}, {opBinary, []byte{2}}}},
		{"frame longer than the server's buffer", [][]byte{masked(true, opBinary, big)},
			[]message{{opBinary, big}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := handshakeRequest("GET", "/ws/echo", "HTTP/1.1", addr, validHeader())
			resp, body, nc, br := roundTrip(t, addr, req+string(bytes.Join(tc.frames, nil)))
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("status %s (body %q), want 101", resp.Status, body)
			}
			c := &wsClient{t: t, nc: nc, br: br, key: testKey}
			for _, w := range tc.want {
				expectMessage(t, c, w.op, w.p)
			}
		})
	}
}
