package main

import (
	"bytes"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestPageServed checks every file of the page is served with its
// content type and the security headers, for GET and for HEAD.
func TestPageServed(t *testing.T) {
	_, addr := startServer(t, testConfig())
	for _, a := range pageAssets() {
		want, err := webFiles.ReadFile(a.file)
		if err != nil {
			t.Fatal(err)
		}
		path := strings.TrimPrefix(strings.TrimSuffix(a.route, "{$}"), "GET ")
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			resp, body := fetchPage(t, method, "http://"+addr+path)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s %s: status %s", method, path, resp.Status)
				continue
			}
			checkPageHeader(t, resp, method+" "+path, "Content-Type", a.contentType)
			checkPageHeader(t, resp, method+" "+path, "Content-Security-Policy", pageCSP)
			checkPageHeader(t, resp, method+" "+path, "X-Content-Type-Options", "nosniff")
			if method == http.MethodHead {
				want = nil
			}
			if !bytes.Equal(body, want) {
				t.Errorf("%s %s: body is not %s (%d bytes, want %d)", method, path, a.file, len(body), len(want))
			}
		}
	}
}

// TestPageMethods checks the page answers only GET and HEAD.
func TestPageMethods(t *testing.T) {
	_, addr := startServer(t, testConfig())
	for _, path := range []string{"/", "/app.js"} {
		resp, _ := fetchPage(t, http.MethodPost, "http://"+addr+path)
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: status %s, want 405", path, resp.Status)
		}
	}
	resp, _ := fetchPage(t, http.MethodGet, "http://"+addr+"/nothing-here.js")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nothing-here.js: status %s, want 404", resp.Status)
	}
}

// TestPagePolicy checks the policy allows the page's own files and
// WebSocket and nothing else: each fetch directive is 'self' or 'none'.
func TestPagePolicy(t *testing.T) {
	directives := map[string]string{}
	for d := range strings.SplitSeq(pageCSP, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for name, want := range map[string]string{
		"default-src":     "'none'",
		"script-src":      "'self'",
		"style-src":       "'self'",
		"img-src":         "'self'",
		"connect-src":     "'self'",
		"base-uri":        "'none'",
		"form-action":     "'none'",
		"frame-ancestors": "'none'",
	} {
		if got := directives[name]; got != want {
			t.Errorf("%s is %q, want %q", name, got, want)
		}
	}
}

// svgNamespace is the one URL the files may hold: an SVG file names its
// XML namespace with it, and nothing fetches it.
const svgNamespace = `xmlns="http://www.w3.org/2000/svg"`

// TestPageSelfContained checks no embedded file (the page's, and the
// client library's it imports) refers to another origin, every file the
// page links to is one that is served, and so is every module a module
// of the page imports.
func TestPageSelfContained(t *testing.T) {
	absolute := regexp.MustCompile(`(?i)\b(?:https?|wss?|ftp):/{2}|(?:src|href|action)\s*=\s*["']?/{2}|url\(\s*["']?/{2}`)
	imports := regexp.MustCompile(`(?m)^import .* from '([^']+)';$`)
	for _, files := range []fs.FS{webFiles, clientFiles} {
		err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(files, path)
			if err != nil {
				return err
			}
			text := strings.ReplaceAll(string(b), svgNamespace, "")
			for _, m := range absolute.FindAllString(text, -1) {
				t.Errorf("%s refers to another origin: %q", path, m)
			}
			for _, m := range imports.FindAllStringSubmatch(text, -1) {
				if lib, ok := strings.CutPrefix(m[1], "/lib/"); ok {
					if _, err := fs.Stat(clientFiles, "clients/js/src/"+lib); err != nil {
						t.Errorf("%s imports %s, which is not served", path, m[1])
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	served := map[string]bool{}
	for _, a := range pageAssets() {
		served[strings.TrimPrefix(a.route, "GET ")] = true
	}
	page, err := webFiles.ReadFile("web/index.html")
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(string(page), -1)
	if len(links) == 0 {
		t.Fatal("index.html links to nothing: the test is out of date")
	}
	for _, m := range links {
		if !served[m[1]] {
			t.Errorf("index.html links to %q, which is not served", m[1])
		}
	}
}

// checkPageHeader reports a response header that is not exactly want.
func checkPageHeader(t *testing.T, resp *http.Response, what, name, want string) {
	t.Helper()
	if got := resp.Header.Get(name); got != want {
		t.Errorf("%s: %s is %q, want %q", what, name, got, want)
	}
}

// TestWebPageTellsTakenName checks the code and pattern the client
// library (which the page runs on) tells a taken name by against the
// reasons the server refuses names with: a client that was in the chat
// retries a reconnection refused as taken (its own previous connection
// may still hold the name), and stops for any other refusal.
func TestWebPageTellsTakenName(t *testing.T) {
	lib, err := clientFiles.ReadFile("clients/js/src/protocol.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^export const TAKEN = '(.+)';$`).FindSubmatch(lib)
	r := regexp.MustCompile(`(?m)^const REASON = /(.+)/s;$`).FindSubmatch(lib)
	if m == nil || r == nil {
		t.Fatal("the library's protocol.js defines no TAKEN code or no REASON pattern: the test is out of date")
	}
	// The pattern is written so that JavaScript and Go read it alike.
	reasonRE, err := regexp.Compile("(?s)" + string(r[1]))
	if err != nil {
		t.Fatalf("REASON pattern %s: %v", r[1], err)
	}
	taken := func(reason string) bool {
		parts := reasonRE.FindStringSubmatch(reason)
		return parts != nil && parts[1] == string(m[1])
	}
	_, addr := startServer(t, testConfig())
	join(t, addr, "alice")
	for query, want := range map[string]bool{
		"name=alice":             true,
		"name=ALICE":             true,
		"name=alice&format=json": true,
		"name=a%20b":             false,
		"name=":                  false,
		"name=zed&format=xml":    false,
	} {
		c := dial(t, addr, "/ws/chat?"+query)
		code, reason := c.expectClose()
		if code != closePolicyViolation {
			t.Errorf("%s: close %d %q, want %d", query, code, reason, closePolicyViolation)
		}
		if got := taken(reason); got != want {
			t.Errorf("%s: the page takes %q for a taken name: %v, want %v", query, reason, got, want)
		}
	}
}

// TestClientLibraryServed: the page imports the client library from
// /lib/, served from the same files as clients/js; nothing else is
// served there.
func TestClientLibraryServed(t *testing.T) {
	_, addr := startServer(t, testConfig())
	lib, err := clientFiles.ReadFile("clients/js/src/protocol.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/lib/protocol.js", 200},
		{"/lib/client.js", 200},
		{"/lib/nothing.js", 404},
		{"/lib/..%2fgo.mod", 404},
		{"/lib/", 404},
	} {
		resp, body := fetchPage(t, "GET", "http://"+addr+tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s: %d, want %d", tc.path, resp.StatusCode, tc.status)
		}
		if tc.path == "/lib/protocol.js" {
			checkPageHeader(t, resp, tc.path, "Content-Type", "text/javascript; charset=utf-8")
			if string(body) != string(lib) {
				t.Errorf("GET %s is not clients/js/src/protocol.js", tc.path)
			}
		}
	}
}
