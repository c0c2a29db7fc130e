package main

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wschat/internal/resp"
	"wschat/internal/resp/resptest"
)

// secret is the word every secret of e2e/e2ee.mjs says: the server must
// keep it nowhere.
const secret = "zanzibar"

// TestBrowserE2EE drives two browser profiles and a third (bob's second
// device) with e2e/e2ee.mjs on one node with -data: encrypted private
// messages and files both ways, mail read after a restart, one safety
// number on both sides, the warning when bob's keys change, a tampered
// message, an encrypted room. Then the secret is nowhere in -data or in
// the server's log, and a text client sees envelopes only.
func TestBrowserE2EE(t *testing.T) {
	if testing.Short() {
		skip(t, "skipping the browser test in -short mode")
	}
	cfg := accountsConfig(t)
	var logged syncBuffer
	live := &liveServer{t: t, cfg: cfg, logTo: &logged}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	live.addr = ln.Addr().String()
	live.serve(ln)
	t.Cleanup(func() { live.stop() })
	restart := func() error {
		if err := live.stop(); err != nil {
			return err
		}
		return live.start()
	}
	runDriver(t, "e2ee.mjs", []string{"WSCHAT_URL=http://" + live.addr + "/", "RESTART=1"},
		map[string]request{"RESTART": {"RESTARTED", restart}})

	textClientSeesEnvelopes(t, live.addr)
	noSecretInDir(t, cfg.DataDir)
	if strings.Contains(strings.ToLower(logged.String()), secret) {
		t.Errorf("the server's log holds %q", secret)
	}
}

// TestBrowserE2EENodes is TestBrowserE2EE on two nodes sharing Redis,
// alice on one and bob on the other, without files (each node keeps the
// files it takes, so bob's page would ask the wrong one): then the secret is nowhere in
// Redis, in any key of any type, or in either node's log.
func TestBrowserE2EENodes(t *testing.T) {
	if testing.Short() {
		skip(t, "skipping the browser test in -short mode")
	}
	r := resptest.Start(t)
	var logged syncBuffer
	var addrs []string
	for range 2 {
		cfg := redisConfig(r, 0)
		cfg.Accounts, cfg.Signup = true, true
		s := newTestServer(t, cfg, slog.New(slog.NewTextHandler(&logged, nil)))
		hs := httptest.NewServer(s)
		t.Cleanup(func() {
			hs.Close()
			s.Shutdown(context.Background())
		})
		addrs = append(addrs, strings.TrimPrefix(hs.URL, "http://"))
	}
	runDriver(t, "e2ee.mjs", []string{"WSCHAT_URL=http://" + addrs[0] + "/", "WSCHAT_URL_B=http://" + addrs[1] + "/", "FILES=0"}, nil)

	textClientSeesEnvelopes(t, addrs[1])
	noSecretInRedis(t, r)
	if strings.Contains(strings.ToLower(logged.String()), secret) {
		t.Errorf("a node's log holds %q", secret)
	}
}

// textClientSeesEnvelopes connects bob as a plain text client: his
// mailbox's sealed messages, and the encrypted room's, show as
// envelopes, and the secret nowhere.
func textClientSeesEnvelopes(t *testing.T, addr string) {
	t.Helper()
	status, answer, _ := apiCall(t, addr, "/api/login", `{"name":"bob","password":"correct horse battery"}`)
	if status != 200 {
		t.Fatalf("log in as bob: %d %v", status, answer)
	}
	mail := joinWith(t, addr, answer["token"], "")
	line := mail.awaitLine(t, "alice → bob: ")
	if line != "alice → bob: [encrypted message]" {
		t.Errorf("bob's text client shows alice's private message as %q", line)
	}
	mail.c.nc.Close()
	room := joinWith(t, addr, answer["token"], "&room=vault")
	room.await(t, "* this room is encrypted: its messages show as [encrypted message] here")
	if line := room.awaitLine(t, "alice: "); line != "alice: [encrypted message]" {
		t.Errorf("bob's text client shows alice's room message as %q", line)
	}
}

// noSecretInDir fails the test if any file under dir holds the secret.
func noSecretInDir(t *testing.T, dir string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if bytes.Contains(bytes.ToLower(b), []byte(secret)) {
			t.Errorf("%s holds %q", path, secret)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 3 {
		t.Fatalf("-data holds %d files: the test looked in the wrong place", files)
	}
}

// noSecretInRedis fails the test if any key of r, or any value of any
// key, holds the secret.
func noSecretInRedis(t *testing.T, r *resptest.Server) {
	t.Helper()
	ctx := t.Context()
	c, err := resp.Dial(ctx, r.URL("", ""), resp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	do := func(args ...string) resp.Value {
		v, err := c.Do(ctx, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return v
	}
	keys := 0
	cursor := "0"
	for {
		v := do("SCAN", cursor, "COUNT", "1000").Elems()
		cursor = v[0].Str()
		for _, k := range v[1].Elems() {
			keys++
			key := k.Str()
			var contents resp.Value
			switch typ := do("TYPE", key).Str(); typ {
			case "string":
				contents = do("GET", key)
			case "hash":
				contents = do("HGETALL", key)
			case "set":
				contents = do("SMEMBERS", key)
			case "zset":
				contents = do("ZRANGE", key, "0", "-1", "WITHSCORES")
			case "list":
				contents = do("LRANGE", key, "0", "-1")
			case "stream":
				contents = do("XRANGE", key, "-", "+")
			case "none":
				continue // gone since the scan: a presence key of someone who left
			default:
				t.Errorf("key %s is a %s, which the test does not read", key, typ)
			}
			if strings.Contains(strings.ToLower(key+" "+flat(contents)), secret) {
				t.Errorf("redis key %s holds %q", key, secret)
			}
		}
		if cursor == "0" {
			break
		}
	}
	if keys < 5 {
		t.Fatalf("redis holds %d keys: the test looked in the wrong place", keys)
	}
}

// flat is every string in v, nested ones included, joined.
func flat(v resp.Value) string {
	var b strings.Builder
	b.WriteString(v.Str())
	for _, e := range v.Elems() {
		b.WriteString(" ")
		b.WriteString(flat(e))
	}
	return b.String()
}
