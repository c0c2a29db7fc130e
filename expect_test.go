package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// This file tests what a new user met that the README did not say, or
// said otherwise: the start-up line with tokens on, a bad flag, the
// commit -version names, and files shared privately.

// TestStartUpLineNamesWhatLetsOneIn: the line that says where to connect
// names ?name= without tokens, and ?token= with them, where ?name= alone
// is refused.
func TestStartUpLineNamesWhatLetsOneIn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no tokens", Config{}, "/ws/chat?name=yourname"},
		{"accounts", Config{Accounts: true}, "/ws/chat?token=YOURTOKEN"},
		{"tokens from elsewhere", Config{JWTKey: "key.pem"}, "/ws/chat?token=YOURTOKEN"},
	} {
		var b bytes.Buffer
		logListening(slog.New(slog.NewTextHandler(&b, nil)), ln, nil, tc.cfg)
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("%s: %s, want %s", tc.name, b.String(), tc.want)
		}
	}
}

// TestBadFlagIsOneLine: a mistake in a flag is said in one line that
// says where the flags are listed, not buried in the usage.
func TestBadFlagIsOneLine(t *testing.T) {
	for _, args := range [][]string{{"-rate", "x"}, {"-nope"}, {"-max-message", "64KB"}} {
		err := run(args)
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.HasSuffix(err.Error(), "(wschat -h lists the flags)") {
			t.Errorf("%q: %v", args, err)
		}
	}
}

// TestVersionNamesTheCommit: without a commit recorded by the go command
// (go run and go test record none), -version says how to record one,
// and names the one -ldflags gave.
func TestVersionNamesTheCommit(t *testing.T) {
	if got := versionText(); !strings.Contains(got, "no commit recorded: go run and go test record none") {
		t.Errorf("without a commit: %q", got)
	}
	commit = "0123abcd"
	defer func() { commit = "" }()
	if got := versionText(); !strings.HasSuffix(got, "\ncommit 0123abcd") {
		t.Errorf("with -ldflags -X main.commit: %q", got)
	}
}

// TestPrivateFileReachesTheTwoAlone: a file shared with to=NAME reaches
// NAME and its uploader as a private message, and nobody else; one to
// nobody online is refused before the file is kept.
func TestPrivateFileReachesTheTwoAlone(t *testing.T) {
	_, addr := startServer(t, testConfig())
	alice, credential := enterWithUpload(t, addr, "alice", "lobby")
	bob, _ := enterWithUpload(t, addr, "bob", "elsewhere")
	carol, _ := enterWithUpload(t, addr, "carol", "lobby")
	post := func(to string) (int, map[string]any) {
		resp, answer := callJSON(t, addr, "POST", "/files?"+url.Values{"to": {to}, "name": {"note.txt"}}.Encode(), credential, strings.NewReader("for bob"))
		return resp.StatusCode, answer
	}
	if status, answer := post("bob"); status != http.StatusCreated {
		t.Fatalf("to bob: %d %v", status, answer)
	}
	for who, in := range map[string]*inbox{"bob": bob, "alice": alice} {
		e := in.awaitEvent(t, "private")
		if e.Name != "alice" || e.To != "bob" || e.File == nil || e.File.Name != "note.txt" {
			t.Errorf("%s got %+v", who, e)
		}
	}
	if status, answer := post("nobody"); status != http.StatusNotFound || answer["code"] != "not-online" {
		t.Errorf("to nobody: %d %v", status, answer)
	}
	alice.c.sendText("after the file")
	for m := carol.next(t); !strings.Contains(m, "after the file"); m = carol.next(t) {
		if strings.Contains(m, "note.txt") {
			t.Errorf("carol got %s", m)
		}
	}
}

// TestReactionFloodIsCutByTheRate: a raw client sending ten thousand
// reactions as fast as it can is a flood like any other: the rate lets
// its burst through, nine notices more, then closes it; the room kept
// no more of it than the burst.
func TestReactionFloodIsCutByTheRate(t *testing.T) {
	cfg := testConfig()
	cfg.Rate, cfg.Burst = 3, 20
	_, addr := startServer(t, cfg)
	alice := joinJSONAt(t, addr, "alice", "lobby")
	alice.ask(t, map[string]any{"type": "message", "text": "react to me"})
	id := alice.awaitEvent(t, "message").ID
	flood := listen(dialFromAddr(t, "127.0.0.9", addr, "/ws/chat?format=json&name=flood"))
	flood.awaitEvent(t, "welcome")
	frame := []byte(`{"type":"react","id":"` + id + `","emoji":"👍"}`)
	go func() {
		for range 10_000 {
			if _, err := flood.c.nc.Write(clientFrame(true, opText, true, flood.c.key, frame)); err != nil {
				return
			}
		}
	}()
	var reactions, refusals int
	for {
		m := flood.next(t)
		if strings.HasPrefix(m, "CLOSE ") {
			if !strings.HasPrefix(m, "CLOSE 1008 too-fast: ") {
				t.Fatalf("the flood ended with %q", m)
			}
			break
		}
		var e wireEvent
		json.Unmarshal([]byte(m), &e)
		switch {
		case e.Type == "react":
			reactions++
		case e.Type == "error" && e.Code == "slow-down":
			refusals++
		}
	}
	if reactions > cfg.Burst+2 || refusals != 9 {
		t.Errorf("%d reactions kept, %d refused before the close; want at most the burst and 9", reactions, refusals)
	}
	t.Logf("of 10,000 reactions, %d were kept and %d refused before the connection was closed", reactions, refusals)
}
