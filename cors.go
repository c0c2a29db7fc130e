package main

import (
	"net/http"
	"strings"
)

// Cross-origin requests (the Fetch standard's CORS protocol, §3.2). An
// app of someone's own, served from another origin, calls the HTTP API
// (/api/...) and uploads files (/files) with fetch; the origins that may
// open a WebSocket (-origins; empty: any) may make these requests too.
// Credentials are bearer tokens in Authorization, never cookies, so
// nothing allows credentials.

// crossOrigin reports whether path is one a page of another origin may
// call.
func crossOrigin(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/files" || strings.HasPrefix(path, "/files/")
}

// corsHeaders sets the answer's CORS headers for r, when it comes from
// another origin that may call path, and reports whether it does.
func (s *Server) corsHeaders(w http.ResponseWriter, r *http.Request) bool {
	if !crossOrigin(r.URL.Path) {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" || !originAllowed(origin, s.cfg.Origins) {
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "Retry-After")
	return true
}

// preflight answers a CORS preflight (OPTIONS with
// Access-Control-Request-Method) to a path of the API: 204 with what
// may be sent when the origin may call it, 403 otherwise. It reports
// whether r was one.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" || !crossOrigin(r.URL.Path) {
		return false
	}
	if !s.corsHeaders(w, r) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return true
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}
