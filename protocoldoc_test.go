package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// The protocol reference, docs/protocol.md, is checked against the
// server: every transcript in it is played against a real one, and
// every code the server has is in it.

const protocolDoc = "docs/protocol.md"

// transcripts returns the document's transcript blocks, each as its lines.
func transcripts(t *testing.T, doc string) [][]string {
	t.Helper()
	var out [][]string
	for _, m := range regexp.MustCompile("(?s)```transcript\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		out = append(out, strings.Split(strings.TrimSuffix(m[1], "\n"), "\n"))
	}
	if len(out) == 0 {
		t.Fatalf("%s has no transcripts", protocolDoc)
	}
	return out
}

// sameFrame reports whether got is what the transcript says, want: JSON
// alike, where "*" matches any value present; other frames exactly, or
// up to a final "*".
func sameFrame(want, got string) bool {
	if strings.HasPrefix(want, "{") || (strings.HasPrefix(want, "20") && strings.Contains(want, "{")) {
		return sameJSONFrame(want, got)
	}
	if prefix, ok := strings.CutSuffix(want, "*"); ok {
		return strings.HasPrefix(got, prefix)
	}
	return want == got
}

// sameJSONFrame compares JSON frames, or HTTP answers "STATUS {...}".
func sameJSONFrame(want, got string) bool {
	ws, wj, _ := strings.Cut(want, "{")
	gs, gj, _ := strings.Cut(got, "{")
	var w, g any
	if ws != gs || json.Unmarshal([]byte("{"+wj), &w) != nil || json.Unmarshal([]byte("{"+gj), &g) != nil {
		return false
	}
	return docMatches(w, g)
}

// docMatches compares decoded JSON; "*" in want matches anything.
func docMatches(want, got any) bool {
	if want == "*" {
		return got != nil
	}
	wm, ok := want.(map[string]any)
	if !ok {
		return reflect.DeepEqual(want, got)
	}
	gm, ok := got.(map[string]any)
	if !ok || len(wm) != len(gm) {
		return false
	}
	for k, v := range wm {
		if !docMatches(v, gm[k]) {
			return false
		}
	}
	return true
}

// httpLine answers a transcript's HTTP request, "GET /path", as
// "STATUS BODY".
func httpLine(t *testing.T, addr, line string) string {
	t.Helper()
	method, path, _ := strings.Cut(line, " ")
	req, err := http.NewRequest(method, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.Status[:3] + " " + string(bytes.TrimSpace(body))
}

// TestProtocolDoc plays each transcript of the protocol reference against
// a server of its own, in order: what each client sends, and what it must
// receive next.
func TestProtocolDoc(t *testing.T) {
	doc, err := os.ReadFile(protocolDoc)
	if err != nil {
		t.Fatal(err)
	}
	for i, lines := range transcripts(t, string(doc)) {
		_, addr := startServer(t, testConfig())
		clients := map[string]*inbox{}
		var httpAnswer string
		for _, line := range lines {
			who, rest, ok := strings.Cut(line, "> ")
			sends := ok && !strings.Contains(who, " ")
			if !sends {
				who, rest, ok = strings.Cut(line, "< ")
			}
			if !ok || strings.Contains(who, " ") {
				t.Fatalf("transcript %d: %q is neither NAME> nor NAME<", i+1, line)
			}
			switch {
			case sends && who == "http":
				httpAnswer = httpLine(t, addr, rest)
			case sends && strings.HasPrefix(rest, "connect "):
				clients[who] = listen(dial(t, addr, strings.TrimPrefix(rest, "connect ")))
			case sends:
				clients[who].c.sendText(rest)
			case who == "http":
				if !sameFrame(rest, httpAnswer) {
					t.Errorf("transcript %d: HTTP answered\n\t%s\nthe document says\n\t%s", i+1, httpAnswer, rest)
				}
			default:
				if got := clients[who].next(t); !sameFrame(rest, got) {
					t.Errorf("transcript %d: %s got\n\t%s\nthe document says\n\t%s", i+1, who, got, rest)
				}
			}
		}
	}
}

// TestProtocolDocCodes: every code of the chat's, the accounts API's and
// the uploads' is in the protocol reference, in backquotes.
func TestProtocolDocCodes(t *testing.T) {
	doc, err := os.ReadFile(protocolDoc)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]*regexp.Regexp{
		"internal/chat/codes.go": regexp.MustCompile(`Code\s*=\s*"([a-z-]+)"`),
		"internal/auth/api.go":   regexp.MustCompile(`Error\(w, http\.Status\w+, "([a-z-]+)"`),
		"upload.go":              regexp.MustCompile(`code\w+\s*=\s*"([a-z-]+)"`),
	}
	for file, re := range sources {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		codes := re.FindAllSubmatch(src, -1)
		if len(codes) < 5 {
			t.Fatalf("%s: found only %d codes: has the way they are written changed?", file, len(codes))
		}
		for _, c := range codes {
			if !bytes.Contains(doc, []byte("`"+string(c[1])+"`")) {
				t.Errorf("code %s (%s) is not in %s", c[1], file, protocolDoc)
			}
		}
	}
}
