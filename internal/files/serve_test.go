package files

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestServeKinds fetches files of every kind and checks the headers that
// keep a browser from running them: sniffed type, nosniff, sandbox CSP,
// inline only for pictures.
func TestServeKinds(t *testing.T) {
	files := []struct {
		name, file string
		data       []byte
		wantType   string
		wantDisp   string
	}{
		{"png", "cat.png", pngBytes(t), "image/png", `inline; filename="cat.png"`},
		{"jpeg", "cat.jpeg", jpegBytes(t), "image/jpeg", `inline; filename="cat.jpeg"`},
		{"gif", "cat.gif", gifBytes(t), "image/gif", `inline; filename="cat.gif"`},
		{"webp", "cat.webp", webpBytes(), "image/webp", `inline; filename="cat.webp"`},
		{"html named png", "cat.png", []byte("<html><script>alert(document.cookie)</script>"), "text/html; charset=utf-8", `attachment; filename="cat.png"`},
		{"svg with script", "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "text/plain; charset=utf-8", `attachment; filename="x.svg"`},
		{"xml", "x.xml", []byte(`<?xml version="1.0"?><a/>`), "text/xml; charset=utf-8", `attachment; filename="x.xml"`},
		{"pdf", "r.pdf", []byte("%PDF-1.4\n%\xe2\xe3"), "application/pdf", `attachment; filename="r.pdf"`},
		{"text", "notes.txt", []byte("hello"), "text/plain; charset=utf-8", `attachment; filename="notes.txt"`},
		{"name needing escapes", "a (1) #?.png", pngBytes(t), "image/png", `inline; filename="a (1) #_.png"`},
	}
	for _, m := range modes {
		s := open(t, m.disk, Options{})
		for _, tt := range files {
			t.Run(m.name+"/"+tt.name, func(t *testing.T) {
				f := mustPut(t, s, tt.file, tt.data)
				res := fetch(s, http.MethodGet, f.URLPath(), nil)
				if res.StatusCode != http.StatusOK || !bytes.Equal(body(t, res), tt.data) {
					t.Fatalf("GET %s: %s, or other bytes than uploaded", f.URLPath(), res.Status)
				}
				h := res.Header
				want := map[string]string{
					"Content-Type":           tt.wantType,
					"X-Content-Type-Options": "nosniff",
					"Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'; " +
						"form-action 'none'; base-uri 'none'",
					"Etag":           `"` + f.ID + `"`,
					"Last-Modified":  f.Created.Format(http.TimeFormat),
					"Cache-Control":  "private, max-age=31536000, immutable",
					"Content-Length": strconv.Itoa(len(tt.data)),
				}
				for k, v := range want {
					if h.Get(k) != v {
						t.Errorf("%s: %q, want %q", k, h.Get(k), v)
					}
				}
				if d := h.Get("Content-Disposition"); !strings.HasPrefix(d, tt.wantDisp+"; filename*=UTF-8''") {
					t.Errorf("Content-Disposition: %q, want %q and filename*", d, tt.wantDisp)
				}
			})
		}
	}
}

// TestServeRequests checks ranges, conditional requests, HEAD and the
// ways to ask for what is not there.
func TestServeRequests(t *testing.T) {
	data := []byte("0123456789abcdef")
	for _, m := range modes {
		s := open(t, m.disk, Options{})
		f := mustPut(t, s, "digits.txt", data)
		etag := `"` + f.ID + `"`
		tests := []struct {
			name, method, path string
			header             http.Header
			wantStatus         int
			wantBody           string
		}{
			{"get", "GET", f.URLPath(), nil, 200, string(data)},
			{"head", "HEAD", f.URLPath(), nil, 200, ""},
			{"range", "GET", f.URLPath(), http.Header{"Range": {"bytes=2-5"}}, 206, "2345"},
			{"suffix range", "GET", f.URLPath(), http.Header{"Range": {"bytes=-3"}}, 206, "def"},
			{"open range", "GET", f.URLPath(), http.Header{"Range": {"bytes=14-"}}, 206, "ef"},
			{"unsatisfiable range", "GET", f.URLPath(), http.Header{"Range": {"bytes=100-"}}, 416, ""},
			{"if-none-match", "GET", f.URLPath(), http.Header{"If-None-Match": {etag}}, 304, ""},
			{"if-none-match other", "GET", f.URLPath(), http.Header{"If-None-Match": {`"other"`}}, 200, string(data)},
			{"if-modified-since", "GET", f.URLPath(), http.Header{"If-Modified-Since": {f.Created.Format(http.TimeFormat)}}, 304, ""},
			{"if-range with etag", "GET", f.URLPath(), http.Header{"Range": {"bytes=0-1"}, "If-Range": {etag}}, 206, "01"},
			{"if-range stale", "GET", f.URLPath(), http.Header{"Range": {"bytes=0-1"}, "If-Range": {`"old"`}}, 200, string(data)},
			{"unknown id", "GET", "/files/00000000000000000000000000000000/digits.txt", nil, 404, ""},
			{"id not hex", "GET", "/files/..%2F..%2Fetc/passwd", nil, 404, ""},
			{"wrong name", "GET", "/files/" + f.ID + "/other.txt", nil, 404, ""},
			{"name in other case", "GET", "/files/" + f.ID + "/DIGITS.TXT", nil, 404, ""},
			{"no name", "GET", "/files/" + f.ID, nil, 404, ""},
			{"empty name", "GET", "/files/" + f.ID + "/", nil, 404, ""},
			{"post", "POST", f.URLPath(), nil, 405, ""},
			{"delete", "DELETE", f.URLPath(), nil, 405, ""},
		}
		for _, tt := range tests {
			t.Run(m.name+"/"+tt.name, func(t *testing.T) {
				res := fetch(s, tt.method, tt.path, tt.header)
				got := body(t, res)
				if res.StatusCode != tt.wantStatus {
					t.Fatalf("%s %s: %s, want %d", tt.method, tt.path, res.Status, tt.wantStatus)
				}
				if tt.wantBody != "" && string(got) != tt.wantBody {
					t.Errorf("body %q, want %q", got, tt.wantBody)
				}
				if res.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("no nosniff on a %d", res.StatusCode)
				}
				if tt.wantStatus == 404 && strings.Contains(string(got), "digits") {
					t.Errorf("404 tells the name: %q", got)
				}
			})
		}
	}
}
