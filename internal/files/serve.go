package files

import (
	"io"
	"net/http"
	"os"
	"strings"
)

// Headers on every response of ServeHTTP. The CSP makes any document a
// browser renders from a file a sandboxed, unique origin that may load
// nothing, run no script and not be framed (CSP Level 3 §6.3.2, §6.4.2).
const (
	csp = "default-src 'none'; sandbox; frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
	// A file never changes under its id; private keeps shared caches
	// from holding files meant for a room's participants.
	cacheControl = "private, max-age=31536000, immutable"
)

// ServeHTTP serves GET and HEAD of .../{id}/{name}, the path URLPath
// gives, with http.ServeContent: ranges, an ETag (the id: a file never
// changes), Last-Modified (its creation), conditional requests. An
// unknown id, or a name other than the file's, is 404.
//
// The response carries the sniffed Content-Type, nosniff, the sandboxing
// CSP, Referrer-Policy: no-referrer (the URL is the secret) and a
// Content-Disposition inline for the pictures of File.Inline and
// attachment for everything else.
func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	id, name, ok := splitPath(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	e, ok := s.lookup(id)
	if !ok || e.Name != name {
		http.NotFound(w, r)
		return
	}
	content, done, err := s.content(e)
	if err != nil { // removed since the lookup
		http.NotFound(w, r)
		return
	}
	defer done()
	kind := "attachment"
	if e.Inline() {
		kind = "inline"
	}
	h.Set("Content-Type", e.Type)
	h.Set("Content-Disposition", disposition(kind, e.Name))
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", `"`+e.ID+`"`)
	http.ServeContent(w, r, "", e.Created, content)
}

// splitPath takes the last two elements of a path: id and name.
func splitPath(p string) (id, name string, ok bool) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", "", false
	}
	j := strings.LastIndexByte(p[:i], '/')
	if j < 0 {
		return "", "", false
	}
	return p[j+1 : i], p[i+1:], true
}

// content opens the bytes of e; done releases them. A file removed while
// it is read stays readable: in memory its chunks stay referenced, on
// disk an open file survives its unlinking (on Unix).
func (s *Store) content(e *entry) (io.ReadSeeker, func(), error) {
	if e.data != nil {
		return io.NewSectionReader(e.data, 0, e.Size), func() {}, nil
	}
	f, err := os.Open(s.path(e.ID))
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
