package main

import (
	"container/list"
	"context"
	"net"
	"net/http"
	"net/netip"
	"sync"
)

// gate limits the connections that are waiting to send a request header:
// new ones, and idle keep-alive ones between requests. Each holds a file
// descriptor, and a client that sends half a header and waits holds it
// until the handshake timeout. When a new connection would take the
// waiting ones past the limit, in total or from its address, the one that
// has waited longest (from that address, when that limit is the one
// reached) is closed: a client that sends its request at once gets
// through a flood of stuck ones, which are the oldest.
type gate struct {
	max, maxPerAddr int      // 0 is no limit
	metrics         *metrics // counts the connections closed

	mu      sync.Mutex
	waiting list.List // *waiter, longest waiting first
	byConn  map[net.Conn]*list.Element
	perAddr map[string]int
}

// waiter is a connection waiting to send a request header.
type waiter struct {
	nc   net.Conn
	addr string // its address, as addrKey gives it
}

func newGate(max, maxPerAddr int, m *metrics) *gate {
	return &gate{max: max, maxPerAddr: maxPerAddr, metrics: m,
		byConn: make(map[net.Conn]*list.Element), perAddr: make(map[string]int)}
}

// connState follows a connection through net/http's states
// (http.Server.ConnState): waiting from accept until a request header is
// complete (see requestRead), and again while idle between requests;
// done once hijacked or closed.
func (g *gate) connState(nc net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew, http.StateIdle:
		g.wait(nc)
	case http.StateHijacked, http.StateClosed:
		g.leave(nc)
	}
}

// connKey is the context key under which connContext stores the
// connection a request came on.
type connKey struct{}

// connContext records nc in the context of its requests
// (http.Server.ConnContext), for requestRead.
func (g *gate) connContext(ctx context.Context, nc net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, nc)
}

// requestRead tells the gate that r's header is complete: its connection
// waits no more.
func (g *gate) requestRead(r *http.Request) {
	if nc, ok := r.Context().Value(connKey{}).(net.Conn); ok {
		g.leave(nc)
	}
}

// wait counts nc as waiting, and closes the longest waiting connections
// that take the count past a limit.
func (g *gate) wait(nc net.Conn) {
	addr := addrKey(nc.RemoteAddr().String())
	var cut []net.Conn
	g.mu.Lock()
	if e, ok := g.byConn[nc]; ok {
		g.waiting.MoveToBack(e)
	} else {
		g.byConn[nc] = g.waiting.PushBack(&waiter{nc: nc, addr: addr})
		g.perAddr[addr]++
	}
	for g.max > 0 && g.waiting.Len() > g.max {
		cut = append(cut, g.removeLocked(g.waiting.Front()))
	}
	for g.maxPerAddr > 0 && g.perAddr[addr] > g.maxPerAddr {
		cut = append(cut, g.removeLocked(g.oldestFromLocked(addr)))
	}
	g.mu.Unlock()
	for _, c := range cut {
		c.Close()
		g.metrics.cutWaiting()
	}
}

// oldestFromLocked is the element of the connection from addr that has
// waited longest. There is one: the caller has just counted one in.
func (g *gate) oldestFromLocked(addr string) *list.Element {
	e := g.waiting.Front()
	for e.Value.(*waiter).addr != addr {
		e = e.Next()
	}
	return e
}

// removeLocked takes e out of the count and returns its connection.
func (g *gate) removeLocked(e *list.Element) net.Conn {
	w := g.waiting.Remove(e).(*waiter)
	delete(g.byConn, w.nc)
	if g.perAddr[w.addr]--; g.perAddr[w.addr] == 0 {
		delete(g.perAddr, w.addr)
	}
	return w.nc
}

// leave counts nc out, if it was waiting.
func (g *gate) leave(nc net.Conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e, ok := g.byConn[nc]; ok {
		g.removeLocked(e)
	}
}

// closeWaiting closes every connection still waiting to send a request,
// for a shutdown: none of them has a request to finish.
func (g *gate) closeWaiting() {
	g.mu.Lock()
	var cut []net.Conn
	for g.waiting.Len() > 0 {
		cut = append(cut, g.removeLocked(g.waiting.Front()))
	}
	g.mu.Unlock()
	for _, c := range cut {
		c.Close()
	}
}

// addrKey is the client a connection from hostport counts against, in
// the per-address limits: its IP, without the port; for IPv6, its /64,
// as one host is commonly given a whole /64 (RFC 4291 §2.5.4 interface
// identifiers are 64 bits) and could otherwise pick a new address for
// every connection. Behind a reverse proxy that is the proxy's address.
func addrKey(hostport string) string {
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		return hostname(hostport)
	}
	ip := ap.Addr().Unmap()
	if ip.Is6() {
		return netip.PrefixFrom(ip.WithZone(""), 64).Masked().String()
	}
	return ip.String()
}
