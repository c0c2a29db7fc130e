package files

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzCleanName checks the promises of CleanName for any input, and that
// the name survives the Content-Disposition header and the URL path.
func FuzzCleanName(f *testing.F) {
	f.Fuzz(func(t *testing.T, in string) {
		name := CleanName(in)
		if name == "" || len(name) > maxName || !utf8.ValidString(name) {
			t.Fatalf("CleanName(%q) = %q: empty, too long or not UTF-8", in, name)
		}
		if CleanName(name) != name {
			t.Fatalf("CleanName(%q) = %q, not idempotent", name, CleanName(name))
		}
		if strings.ContainsAny(name, `/\<>:"|?*`) || strings.Contains(name, "  ") ||
			strings.Trim(name, " .") != name {
			t.Fatalf("CleanName(%q) = %q", in, name)
		}
		for _, r := range name {
			if !unicode.IsGraphic(r) || r == utf8.RuneError {
				t.Fatalf("CleanName(%q) = %q holds %U", in, name, r)
			}
		}
		d := disposition("attachment", name)
		for i := 0; i < len(d); i++ {
			if d[i] < 0x20 || d[i] >= 0x7f {
				t.Fatalf("disposition %q holds byte %#x", d, d[i])
			}
		}
		if _, params, err := mime.ParseMediaType(d); err != nil || params["filename"] != name {
			t.Fatalf("disposition %q parses as %q, %v; want %q", d, params["filename"], err, name)
		}
		u, err := url.Parse((File{ID: strings.Repeat("0", 32), Name: name}).URLPath())
		if _, got, ok := splitPath(u.Path); err != nil || !ok || got != name {
			t.Fatalf("URL path of %q gives back %q, %v", name, got, err)
		}
	})
}

// FuzzDecodeMeta checks that any sidecar either fails or gives a clean
// name and a positive size, and that it encodes back the same.
func FuzzDecodeMeta(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMeta(data)
		if err != nil {
			return
		}
		if m.Size <= 0 || CleanName(m.Name) != m.Name {
			t.Fatalf("decodeMeta(%q) = %+v", data, m)
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := decodeMeta(again)
		if err != nil || m2.Name != m.Name || m2.Size != m.Size || !m2.Created.Equal(m.Created) {
			t.Fatalf("round trip of %+v: %+v, %v", m, m2, err)
		}
	})
}

// FuzzServe requests any path with any Range header and checks that a
// file is only ever served whole or in range, with its safety headers.
func FuzzServe(f *testing.F) {
	s, err := Open(Options{})
	if err != nil {
		f.Fatal(err)
	}
	page := []byte("<html><script>alert(1)</script></html>")
	file, err := s.Put("", "page.png", strings.NewReader(string(page)))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path, rangeHeader string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path = "/files/" + path
		if path == "ID" {
			r.URL.Path = file.URLPath()
		}
		r.Header.Set("Range", rangeHeader)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		h := w.Result().Header
		if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("%d without nosniff or sandbox: %v", w.Code, h)
		}
		switch w.Code {
		case http.StatusOK, http.StatusPartialContent:
			if r.URL.Path != file.URLPath() || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") {
				t.Fatalf("%s served %d with %q", r.URL.Path, w.Code, h.Get("Content-Disposition"))
			}
			if w.Code == http.StatusOK && w.Body.String() != string(page) {
				t.Fatalf("200 with %q", w.Body)
			}
		case http.StatusNotFound, http.StatusRequestedRangeNotSatisfiable:
		default:
			t.Fatalf("status %d", w.Code)
		}
	})
}
