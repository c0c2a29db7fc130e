package main

import (
	"net/http"
	"strings"
	"testing"
)

// Clients of their own addresses: the rate, the rooms one may open and
// the shares of history, mail and files are a participant's, and without
// tokens a participant is an address, so tests of several people use
// several loopback addresses (127.0.0.0/8 is all loopback on Linux).

// dialFromAddr opens a WebSocket to path from the local address from, or
// ends the test.
func dialFromAddr(t testing.TB, from, addr, path string) *wsClient {
	t.Helper()
	c, resp := handshakeOn(t, dialFrom(t, from, addr), addr, path)
	if c == nil {
		t.Fatalf("dial %s from %s: status %s", path, from, resp.Status)
	}
	return c
}

// joinFromAddr joins the chat as name from the local address from, and
// reads the welcome.
func joinFromAddr(t testing.TB, from, addr, name string) *inbox {
	t.Helper()
	in := listen(dialFromAddr(t, from, addr, "/ws/chat?name="+name))
	if w := in.next(t); !strings.HasPrefix(w, "* welcome, "+name+"!") {
		t.Fatalf("%s: got %q, want a welcome", name, w)
	}
	return in
}

// upgraded reports whether resp is the answer of a WebSocket upgrade.
func upgraded(resp *http.Response) bool {
	return resp != nil && resp.StatusCode == http.StatusSwitchingProtocols
}
