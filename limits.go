package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
)

// maxHeaderBytes bounds the request line and headers of a request, the
// opening handshake included. net/http answers a larger one with 431.
const maxHeaderBytes = 8 << 10

// checkLimits reports the first limit in cfg that makes no sense.
func checkLimits(cfg Config) error {
	switch {
	case cfg.MaxConns < 0:
		return errors.New("-max-conns must be 0 (no limit) or more")
	case cfg.MaxConnsPerIP < 0:
		return errors.New("-max-conns-per-ip must be 0 (no limit) or more")
	case cfg.HandshakeTimeout <= 0:
		return errors.New("-handshake-timeout must be more than 0")
	}
	return nil
}

// clientIP is the address a connection counts against for
// -max-conns-per-ip: the peer's IP, without its port. Behind a reverse
// proxy that is the proxy's address.
func clientIP(r *http.Request) string {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().String()
	}
	return hostname(r.RemoteAddr)
}

// admit counts a WebSocket connection from ip in before its upgrade, for
// the connection limits and for Shutdown to wait on, or tells why it
// cannot come in. Every admitted connection is released once.
//
// A full server answers 503 Service Unavailable: the whole service is out
// of room, for everyone. A client over its own share answers 429 Too Many
// Requests: the limit is about that client, which can free room by
// closing one of its own connections.
func (s *Server) admit(ip string) (refusal, *handshakeError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.shutdown:
		return refusedShuttingDown, &handshakeError{http.StatusServiceUnavailable, "the server is shutting down"}
	case s.cfg.MaxConns > 0 && s.admitted >= s.cfg.MaxConns:
		return refusedMaxConns, &handshakeError{http.StatusServiceUnavailable, fmt.Sprintf(
			"the server is full: it takes at most %d connections; try again later", s.cfg.MaxConns)}
	case s.cfg.MaxConnsPerIP > 0 && s.perIP[ip] >= s.cfg.MaxConnsPerIP:
		return refusedMaxConnsPerIP, &handshakeError{http.StatusTooManyRequests, fmt.Sprintf(
			"too many connections from %s: at most %d from one address", ip, s.cfg.MaxConnsPerIP)}
	}
	s.admitted++
	if s.cfg.MaxConnsPerIP > 0 {
		s.perIP[ip]++
	}
	s.wg.Add(1)
	return 0, nil
}

// release counts out a connection admit let in.
func (s *Server) release(ip string) {
	s.mu.Lock()
	s.admitted--
	if s.cfg.MaxConnsPerIP > 0 {
		if s.perIP[ip]--; s.perIP[ip] == 0 {
			delete(s.perIP, ip)
		}
	}
	s.mu.Unlock()
	s.wg.Done()
}
