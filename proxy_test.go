package main

import (
	"net/http"
	"strings"
	"testing"
)

func TestTrustedProxiesNameTheClient(t *testing.T) {
	ps, err := parseProxies("10.0.0.0/8, ::1, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy: the header is ignored", "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5:4000"},
		{"a trusted proxy: the client it names", "10.1.2.3:4000", []string{"198.51.100.1"}, "198.51.100.1:0"},
		{"what the client wrote to the left proves nothing", "10.1.2.3:4000", []string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1:0"},
		{"proxies in a chain are skipped", "192.0.2.7:4000", []string{"198.51.100.1, 10.9.9.9", "10.0.0.1"}, "198.51.100.1:0"},
		{"every hop trusted: the leftmost", "[::1]:4000", []string{"10.0.0.2, 10.0.0.1"}, "10.0.0.2:0"},
		{"a malformed hop stops the walk", "10.1.2.3:4000", []string{"198.51.100.1, bogus"}, "10.1.2.3:0"},
		{"no header from a proxy: the proxy", "10.1.2.3:4000", nil, "10.1.2.3:0"},
		{"IPv6 client", "10.1.2.3:4000", []string{"2001:db8:1:2::99"}, "[2001:db8:1:2::99]:0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tt.peer, Header: http.Header{}}
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ps.clientAddr(r); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	// The limits count by what addrKey makes of it: an IPv6 client's /64.
	s := &Server{cfg: Config{TrustedProxies: ps}}
	r := &http.Request{RemoteAddr: "10.1.2.3:4000", Header: http.Header{"X-Forwarded-For": {"2001:db8:1:2::99"}}}
	if got := s.clientIP(r); got != "2001:db8:1:2::/64" {
		t.Errorf("clientIP = %s, want the client's /64", got)
	}
}

func TestTrustedProxiesRefusesWhatIsNoAddress(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0.1:80"} {
		if _, err := parseProxies(bad); err == nil || !strings.Contains(err.Error(), "-trusted-proxies") {
			t.Errorf("%q: %v, want an error naming the flag", bad, err)
		}
	}
}

// Behind a trusted proxy, clients it names are counted apart; a client
// that is not a proxy cannot pass for another.
func TestTrustedProxyClientsCountedApart(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnsPerIP = 1
	cfg.TrustedProxies, _ = parseProxies("127.0.0.1")
	_, addr := startServer(t, cfg)
	via := func(client string) http.Header { return http.Header{"X-Forwarded-For": {client}} }
	for _, client := range []string{"198.51.100.1", "198.51.100.2"} {
		c, resp, err := tryDial(addr, "/ws/echo", via(client))
		if err != nil || !upgraded(resp) {
			t.Fatalf("client %s through the proxy: %v %v", client, err, resp)
		}
		t.Cleanup(func() { c.nc.Close() })
	}
	_, resp, err := tryDial(addr, "/ws/echo", via("198.51.100.1"))
	if err != nil {
		t.Fatal(err)
	}
	expectRefused(t, resp, http.StatusTooManyRequests, "too many connections from 198.51.100.1: at most 1 from one address")
	// From an address that is no proxy, the header is the client's own
	// words: it is counted as itself, not as the client it names.
	nc := dialFrom(t, "127.0.0.2", addr)
	defer nc.Close()
	if c, resp, err := handshakeOver(nc, addr, "/ws/echo", via("198.51.100.1")); err != nil || c == nil {
		t.Fatalf("from 127.0.0.2, naming a client at its limit: %v %v", err, resp)
	}
}
