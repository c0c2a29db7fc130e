package main

import (
	_ "embed"
	"net/http"
)

//go:embed web/index.html
var indexHTML []byte

// pageHandler serves the built-in chat page.
func pageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(indexHTML)
	})
}
