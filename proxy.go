package main

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// proxies are the reverse proxies -trusted-proxies names: a request from
// one of them is taken to come from the client its X-Forwarded-For says,
// for every limit and quota that counts by address. Without it, or from
// anyone else, the header is ignored: a client could write anything
// there.
type proxies []netip.Prefix

// parseProxies reads -trusted-proxies: comma-separated addresses or
// CIDR prefixes (10.0.0.0/8, ::1).
func parseProxies(s string) (proxies, error) {
	var out proxies
	for _, f := range splitList(s) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("-trusted-proxies: %q is neither an address nor a prefix such as 10.0.0.0/8", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// trusts reports whether a is one of the proxies'.
func (ps proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is where r comes from, as host:port, for the limits that
// count by address: its peer, unless that is a trusted proxy; then the
// rightmost address of X-Forwarded-For that is not a trusted proxy's
// (each proxy appends the address it was reached from, so everything
// left of that was written by the client and proves nothing), or the
// leftmost if every one is trusted. A malformed entry stops the walk at
// the last address known.
func (ps proxies) clientAddr(r *http.Request) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || len(ps) == 0 || !ps.trusts(peer.Addr()) {
		return r.RemoteAddr
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer.Addr()
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		client = a.Unmap()
		if !ps.trusts(client) {
			break
		}
	}
	return netip.AddrPortFrom(client, 0).String()
}
