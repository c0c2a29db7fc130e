package main

import (
	"bytes"
	"encoding/json"
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

// transcript is one transcript block: its lines, and whether the server
// it is played against has tokens ("```transcript tokens").
type transcript struct {
	tokens bool
	lines  []string
}

// transcripts returns the document's transcript blocks.
func transcripts(t *testing.T, doc string) []transcript {
	t.Helper()
	var out []transcript
	for _, m := range regexp.MustCompile("(?s)```transcript( tokens)?\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		out = append(out, transcript{tokens: m[1] != "", lines: strings.Split(strings.TrimSuffix(m[2], "\n"), "\n")})
	}
	if len(out) == 0 {
		t.Fatalf("%s has no transcripts", protocolDoc)
	}
	if opened := strings.Count(doc, "```transcript"); opened != len(out) {
		t.Fatalf("%s opens %d transcripts, of which %d read: one is not closed, or says more than tokens", protocolDoc, opened, len(out))
	}
	return out
}

// sameFrame reports whether got is what the transcript says, want: JSON
// alike, where "*" matches any value present; other frames exactly, or
// up to a final "*".
func sameFrame(want, got string) bool {
	if strings.HasPrefix(want, "{") || httpJSON.MatchString(want) {
		return sameJSONFrame(want, got)
	}
	if prefix, ok := strings.CutSuffix(want, "*"); ok {
		return strings.HasPrefix(got, prefix)
	}
	return want == got
}

// httpJSON is an HTTP answer with a JSON body: "STATUS {...}".
var httpJSON = regexp.MustCompile(`^[1-5][0-9][0-9] \{`)

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

// docMatches compares decoded JSON, lists item by item; "*" in want
// matches anything.
func docMatches(want, got any) bool {
	if want == "*" {
		return got != nil
	}
	if wl, ok := want.([]any); ok {
		gl, ok := got.([]any)
		if !ok || len(wl) != len(gl) {
			return false
		}
		for i := range wl {
			if !docMatches(wl[i], gl[i]) {
				return false
			}
		}
		return true
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

// httpLine answers a transcript's HTTP request, "METHOD /path [BODY]",
// as "STATUS BODY".
func httpLine(t *testing.T, addr, line string) string {
	t.Helper()
	method, rest, _ := strings.Cut(line, " ")
	path, body, _ := strings.Cut(rest, " ")
	resp, answer := do(t, bearerRequest(t, addr, method, path, "", strings.NewReader(body)))
	return strings.TrimSpace(resp.Status[:3] + " " + string(bytes.TrimSpace(answer)))
}

// TestProtocolDoc plays each transcript of the protocol reference against
// a server of its own, in order: what each client sends, and what it must
// receive next. A client that never connects makes HTTP requests. Against
// a server with tokens, root is an administrator, and TOKEN in what a
// client sends is a token for the client's name.
func TestProtocolDoc(t *testing.T) {
	doc, err := os.ReadFile(protocolDoc)
	if err != nil {
		t.Fatal(err)
	}
	for i, tr := range transcripts(t, string(doc)) {
		cfg := testConfig()
		if tr.tokens {
			tokensOn(t, &cfg)
			cfg.Admins = []string{"root"}
		}
		_, addr := startServer(t, cfg)
		clients := map[string]*inbox{}
		httpAnswers := map[string]string{}
		for _, line := range tr.lines {
			who, rest, ok := strings.Cut(line, "> ")
			sends := ok && !strings.Contains(who, " ")
			if !sends {
				who, rest, ok = strings.Cut(line, "< ")
			}
			if !ok || strings.Contains(who, " ") {
				t.Fatalf("transcript %d: %q is neither NAME> nor NAME<", i+1, line)
			}
			if sends && tr.tokens {
				rest = strings.ReplaceAll(rest, "TOKEN", contractToken(t, who))
			}
			switch {
			case sends && strings.HasPrefix(rest, "connect "):
				clients[who] = listen(dial(t, addr, strings.TrimPrefix(rest, "connect ")))
			case sends && clients[who] == nil:
				httpAnswers[who] = httpLine(t, addr, rest)
			case sends:
				clients[who].c.sendText(rest)
			case clients[who] == nil:
				if !sameFrame(rest, httpAnswers[who]) {
					t.Errorf("transcript %d: HTTP answered %s\n\t%s\nthe document says\n\t%s", i+1, who, httpAnswers[who], rest)
				}
			default:
				if got := clients[who].next(t); !sameFrame(rest, got) {
					t.Errorf("transcript %d: %s got\n\t%s\nthe document says\n\t%s", i+1, who, got, rest)
				}
			}
		}
	}
}

// TestProtocolDocCodes: every code of the chat's, the accounts API's,
// the uploads', the key directory's and the administrators' API's is in
// the protocol reference, in backquotes.
func TestProtocolDocCodes(t *testing.T) {
	doc, err := os.ReadFile(protocolDoc)
	if err != nil {
		t.Fatal(err)
	}
	declared := regexp.MustCompile(`code\w+\s*=\s*"([a-z-]+)"`)
	answered := regexp.MustCompile(`Error\(w, http\.Status\w+, "([a-z-]+)"`)
	sources := []struct {
		file  string
		re    *regexp.Regexp
		least int // how many codes it has at the least
	}{
		{"internal/chat/codes.go", regexp.MustCompile(`Code\s*=\s*"([a-z-]+)"`), 40},
		{"internal/auth/api.go", answered, 5},
		{"upload.go", declared, 7},
		{"uploadcancel.go", declared, 4},
		{"keys.go", declared, 4},
		{"admin.go", answered, 5},
	}
	for _, src := range sources {
		text, err := os.ReadFile(src.file)
		if err != nil {
			t.Fatal(err)
		}
		codes := src.re.FindAllSubmatch(text, -1)
		if len(codes) < src.least {
			t.Fatalf("%s: found only %d codes: has the way they are written changed?", src.file, len(codes))
		}
		for _, c := range codes {
			if !bytes.Contains(doc, []byte("`"+string(c[1])+"`")) {
				t.Errorf("code %s (%s) is not in %s", c[1], src.file, protocolDoc)
			}
		}
	}
}
