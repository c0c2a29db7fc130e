package main

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
)

// webFiles holds the chat page and its assets, and the encryption
// library the page shares with other clients (clients/js/src, served
// under /seal/).
//
//go:embed web clients/js/src/*.js
var webFiles embed.FS

// clientFiles holds the JavaScript client library (clients/js), which
// the page imports from /lib/: the page and the library other apps use
// are one code.
//
//go:embed clients/js/src/*.js
var clientFiles embed.FS

// pageCSP lets the page load only its own script, style and images and
// connect only to its own host (ws and wss included), and forbids being
// framed, forms, <base>, and DOM sinks that take strings as HTML.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

// pageAsset is one file of the page and the route it is served at.
type pageAsset struct {
	route       string // a ServeMux pattern
	file        string // its path in webFiles
	contentType string
}

// pageAssets lists the files the page is made of.
func pageAssets() []pageAsset {
	return []pageAsset{
		{"GET /{$}", "web/index.html", "text/html; charset=utf-8"},
		{"GET /app.js", "web/app.js", "text/javascript; charset=utf-8"},
		{"GET /view.js", "web/view.js", "text/javascript; charset=utf-8"},
		{"GET /auth.js", "web/auth.js", "text/javascript; charset=utf-8"},
		{"GET /share.js", "web/share.js", "text/javascript; charset=utf-8"},
		{"GET /session.js", "web/session.js", "text/javascript; charset=utf-8"},
		{"GET /connection.js", "web/connection.js", "text/javascript; charset=utf-8"},
		{"GET /people.js", "web/people.js", "text/javascript; charset=utf-8"},
		{"GET /lines.js", "web/lines.js", "text/javascript; charset=utf-8"},
		{"GET /log.js", "web/log.js", "text/javascript; charset=utf-8"},
		{"GET /messages.js", "web/messages.js", "text/javascript; charset=utf-8"},
		{"GET /compose.js", "web/compose.js", "text/javascript; charset=utf-8"},
		{"GET /outbox.js", "web/outbox.js", "text/javascript; charset=utf-8"},
		{"GET /finder.js", "web/finder.js", "text/javascript; charset=utf-8"},
		{"GET /keep.js", "web/keep.js", "text/javascript; charset=utf-8"},
		{"GET /alerts.js", "web/alerts.js", "text/javascript; charset=utf-8"},
		{"GET /e2ee/e2ee.js", "web/e2ee/e2ee.js", "text/javascript; charset=utf-8"},
		{"GET /e2ee/store.js", "web/e2ee/store.js", "text/javascript; charset=utf-8"},
		{"GET /e2ee/directory.js", "web/e2ee/directory.js", "text/javascript; charset=utf-8"},
		{"GET /e2ee/inbound.js", "web/e2ee/inbound.js", "text/javascript; charset=utf-8"},
		{"GET /e2ee/outbound.js", "web/e2ee/outbound.js", "text/javascript; charset=utf-8"},
		{"GET /e2ee/files.js", "web/e2ee/files.js", "text/javascript; charset=utf-8"},
		{"GET /e2ee/panel.js", "web/e2ee/panel.js", "text/javascript; charset=utf-8"},
		{"GET /seal/seal.js", "clients/js/src/seal.js", "text/javascript; charset=utf-8"},
		{"GET /seal/body.js", "clients/js/src/body.js", "text/javascript; charset=utf-8"},
		{"GET /seal/encoding.js", "clients/js/src/encoding.js", "text/javascript; charset=utf-8"},
		{"GET /seal/files.js", "clients/js/src/files.js", "text/javascript; charset=utf-8"},
		{"GET /seal/room.js", "clients/js/src/room.js", "text/javascript; charset=utf-8"},
		{"GET /seal/safety.js", "clients/js/src/safety.js", "text/javascript; charset=utf-8"},
		{"GET /moderation.js", "web/moderation.js", "text/javascript; charset=utf-8"},
		{"GET /style.css", "web/style.css", "text/css; charset=utf-8"},
		{"GET /favicon.svg", "web/favicon.svg", "image/svg+xml"},
	}
}

// registerPage adds the built-in chat page and its assets to mux. A GET
// pattern also answers HEAD; other methods get 405 from the mux.
func registerPage(mux *http.ServeMux) {
	for _, a := range pageAssets() {
		mux.Handle(a.route, assetHandler(webFiles, a.file, a.contentType))
	}
	mux.Handle("GET /lib/{file}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		file := "clients/js/src/" + r.PathValue("file")
		if _, err := fs.Stat(clientFiles, file); err != nil || path.Ext(file) != ".js" {
			http.NotFound(w, r)
			return
		}
		assetHandler(clientFiles, file, "text/javascript; charset=utf-8").ServeHTTP(w, r)
	}))
}

// assetHandler serves one embedded file with its content type and the
// page's security headers.
func assetHandler(files fs.FS, file, contentType string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, files, file)
	})
}

// pageConfig answers GET /api/config: how the page should let a person
// in ("none": any name; "accounts": log in or register; "token": a token
// from another service), the limits a person may meet, and the hosts
// pages may connect from (-origins; none: any), so that a page on
// another host can say why it cannot connect, which a browser does not
// tell it.
func (s *Server) pageConfig(w http.ResponseWriter, r *http.Request) {
	c := struct {
		Auth       string   `json:"auth"`
		Signup     bool     `json:"signup"`
		MaxMessage int64    `json:"maxMessage"`
		MaxFile    int64    `json:"maxFile"`
		Origins    []string `json:"origins,omitempty"`
	}{Auth: "none", MaxMessage: s.cfg.MaxMessage, MaxFile: s.cfg.MaxFile, Origins: s.cfg.Origins}
	if a := s.auth; a != nil {
		c.Auth, c.Signup = a.Mode(), a.Signup()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(c)
}
