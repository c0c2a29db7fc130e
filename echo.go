package main

import "net/http"

// /ws/echo: every message back as it came, for checking a client or the
// protocol layer on its own.

// echoHandler is /ws/echo, or with -echo=false a 404 that says it is off.
func (s *Server) echoHandler() http.HandlerFunc {
	if !s.cfg.Echo {
		return func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "/ws/echo is turned off on this server (-echo=false)", http.StatusNotFound)
		}
	}
	return s.websocket(s.cfg.MaxEchoMessage, func(*http.Request) (func(*Conn) func() bool, error) {
		return func(c *Conn) func() bool { return func() bool { return serveEcho(c) } }, nil
	})
}

// serveEcho sends every message back as it came (/ws/echo), and reports
// whether the connection ended rather than parked.
func serveEcho(c *Conn) bool {
	for {
		op, msg, err := c.ReadMessage()
		if err == errParked {
			return false
		}
		if err != nil {
			c.finish(err)
			return true
		}
		if _, behind := c.queueFrame(c.encodeMessage(op, msg)); behind {
			c.awaitDrained()
		}
	}
}
