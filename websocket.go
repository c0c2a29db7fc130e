package main

import (
	"log/slog"
	"net/http"
	"slices"
)

// The WebSocket endpoints' common path: the handshake's checks, the
// connection limits, the upgrade, and the goroutine that serves the
// connection from then on.

// endpoint prepares a session for a checked handshake, before the upgrade.
// It returns the session's start, which runs on the HTTP server's
// goroutine right after the upgrade (to join a chat, say, and send a
// welcome) and returns the loop that serves the connection until it ends.
type endpoint func(r *http.Request) (start func(*Conn) (loop func() (ended bool)), err error)

// websocket returns the handler for a WebSocket endpoint: it checks the
// handshake, upgrades, starts the session, and runs its loop on a
// goroutine of its own. The HTTP server's goroutine, whose stack grew deep
// parsing the request and starting the session, ends; the loop's starts
// small and stays small while the connection is idle, which is most of
// what a chat connection costs.
func (s *Server) websocket(maxMessage int64, prepare endpoint) http.HandlerFunc {
	cfg := &connConfig{
		maxMessage:   maxMessage,
		maxQueue:     s.cfg.MaxQueue,
		writeTimeout: s.cfg.WriteTimeout,
		closeTimeout: closeTimeout,
		metrics:      s.metrics,

		messageTimeout: s.cfg.MessageTimeout,
		reassembly:     s.partial,

		deflater: s.deflater,
		poller:   s.poller,
		ended:    s.ended,
		release:  s.memory,
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if e := checkHandshake(r, s.cfg.Origins); e != nil {
			s.refuse(w, r, refusalOf(r, e), e)
			return
		}
		ip := s.clientIP(r)
		if why, e := s.admit(ip); e != nil {
			s.refuse(w, r, why, e)
			return
		}
		c, start := s.accept(w, r, cfg, prepare)
		if c == nil {
			s.release(ip)
			return
		}
		c.admittedAs = ip
		c.loop = start(c)
		go c.run()
	}
}

// ended counts out a connection whose loop has ended.
func (s *Server) ended(c *Conn) {
	s.untrack(c)
	s.release(c.admittedAs)
}

// refuse answers a refused handshake, counts it and logs it: the
// connection limits at Info, for the operator who may want to raise them,
// and the rest, which are the client's business, at Debug.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, why refusal, e *handshakeError) {
	s.metrics.refuse(why)
	level := slog.LevelDebug
	if why == refusedMaxConns || why == refusedMaxConnsPerIP {
		level = slog.LevelInfo
	}
	s.log.Log(r.Context(), level, "handshake refused", "remote", r.RemoteAddr, "status", e.status, "reason", e.reason)
	refuseHandshake(w, e)
}

// refusalOf names the reason checkHandshake refused r, for /metrics.
func refusalOf(r *http.Request, e *handshakeError) refusal {
	switch e.status {
	case http.StatusMethodNotAllowed:
		return refusedMethod
	case http.StatusForbidden:
		return refusedOrigin
	case http.StatusUpgradeRequired:
		if r.Header.Get("Upgrade") == "" && r.Header.Get("Sec-WebSocket-Key") == "" {
			return refusedNotWebSocket
		}
		return refusedVersion
	}
	return refusedBadRequest
}

// accept prepares the session and upgrades the connection, or answers
// with the reason it cannot. It returns a nil Conn when it did not upgrade.
func (s *Server) accept(w http.ResponseWriter, r *http.Request, cfg *connConfig, prepare endpoint) (*Conn, func(*Conn) func() bool) {
	start, err := prepare(r)
	if err != nil {
		s.log.Error("prepare session", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "cannot start a session", http.StatusInternalServerError)
		return nil, nil
	}
	var (
		params     deflateParams
		extensions string
		compress   bool
	)
	if s.deflater != nil {
		params, extensions, compress = negotiateDeflate(r.Header.Values("Sec-WebSocket-Extensions"))
	}
	nc, early, err := upgrade(w, r, extensions, s.cfg.WriteTimeout)
	if err != nil {
		s.log.Warn("upgrade failed", "remote", r.RemoteAddr, "err", err)
		return nil, nil
	}
	c := newConn(nc, early, cfg, s.flushers[s.nextFlusher.Add(1)%uint32(len(s.flushers))])
	if compress {
		c.deflateParams = params
		s.metrics.compressedConns.Add(1)
	}
	s.track(c)
	return c, start
}

// track adds c to the live connections; one that arrives while shutdown
// is under way is closed with 1001 at once.
func (s *Server) track(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.tracked = int32(len(s.conns))
	s.conns = append(s.conns, c)
	s.metrics.connections.Add(1)
	if s.shutdown {
		c.Close(closeGoingAway, "server shutting down")
	}
}

func (s *Server) untrack(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	last := s.conns[len(s.conns)-1]
	s.conns[c.tracked], last.tracked = last, c.tracked
	s.conns[len(s.conns)-1] = nil
	s.conns = s.conns[:len(s.conns)-1]
	if len(s.conns) < cap(s.conns)/4 {
		s.conns = slices.Clone(s.conns) // let go of the room a crowd took
	}
	s.metrics.connections.Add(-1)
}
