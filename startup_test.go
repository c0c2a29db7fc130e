package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// This file tests what a person starting the server meets: the flags, the
// start-up errors, the logs, the metrics listener and the default rate
// limit.

func TestBinaryFlagsAndStartUpErrors(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	bin := buildBinary(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   []string // each appears in standard output
		stderr   []string // each appears in standard error
		noStderr string   // never appears in standard error
	}{
		{"version", []string{"-version"}, 0, []string{"wschat ", "built with go1."}, nil, "listening"},
		{"help shows sizes with units", []string{"-h"}, 0, nil, []string{
			"-max-message size", "(default 64KiB)", "(default 16MiB)", "(default 4MiB)", "(default 64MiB)", "(default 10MiB)",
			"-rate float", "(default 3)", "(default 20)", `(default "127.0.0.1:9001")`, "-log-format", "-log-level", "-version",
		}, "65536"},
		{"size with a unit", []string{"-max-message", "1MiB", "-max-file", "64KB"}, 1, nil,
			[]string{`invalid value "64KB" for flag -max-file: want a whole number of bytes, or of KiB, MiB or GiB`}, "listening"},
		{"missing certificate", []string{"-addr", "127.0.0.1:0", "-metrics-addr", "off", "-tls-cert", missing, "-tls-key", missing}, 1, nil,
			[]string{"wschat: load -tls-cert and -tls-key: open " + missing + ": no such file or directory"}, "listening"},
		{"metrics address taken", []string{"-addr", "127.0.0.1:0", "-metrics-addr", busy.Addr().String()}, 1, nil,
			[]string{"wschat: metrics listener (-metrics-addr, or off): listen tcp " + busy.Addr().String() + ": bind: address already in use"}, "listening"},
		{"log format", []string{"-log-format", "xml"}, 1, nil, []string{`wschat: -log-format "xml": want text or json`}, "listening"},
		{"log level", []string{"-log-level", "loud"}, 1, nil, []string{`wschat: -log-level "loud": want debug, info, warn or error`}, "listening"},
		{"redis ttl too short", []string{"-redis-ttl", "1ms"}, 1, nil, []string{"wschat: -redis-ttl must be at least 100ms"}, "listening"},
		{"stray word", []string{"stray", "-addr", ":9188"}, 1, nil, []string{`wschat: unexpected argument "stray"`}, "listening"},
		{"admins without accounts", []string{"-admins", "root"}, 1, nil,
			[]string{"wschat: -admins needs accounts or tokens (-accounts or -jwt-key): administrators are accounts"}, "listening"},
		{"admins with a bad name", []string{"-accounts", "-data", missing + ".d", "-admins", "root,no way"}, 1, nil, []string{"wschat: -admins: "}, "listening"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBinary(t, bin, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("standard output has no %q:\n%s", want, stdout)
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("standard error has no %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stderr, tc.noStderr) {
				t.Errorf("standard error has %q:\n%s", tc.noStderr, stderr)
			}
		})
	}
}

func TestBinaryServesMetricsOnItsOwnListenerOnly(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	bin := buildBinary(t)
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		return resp.StatusCode, body.String()
	}
	_, addr, logs := startBinary(t, bin)
	if code, _ := get("http://" + addr + "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the chat's address: %d, want 404", code)
	}
	if code, body := get("http://" + metricsAddr(t, logs) + "/metrics"); code != http.StatusOK || !strings.Contains(body, "\nwschat_connections 0\n") {
		t.Errorf("/metrics on -metrics-addr: %d\n%.300s", code, body)
	}

	_, addr, logs = startBinary(t, bin, "-metrics-addr", "off")
	if strings.Contains(logs.String(), "metrics=") {
		t.Errorf("-metrics-addr off still logs a metrics address:\n%s", logs)
	}
	if code, _ := get("http://" + addr + "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the chat's address: %d, want 404", code)
	}
}

func TestLogFormatAndLevel(t *testing.T) {
	for _, tc := range []struct {
		name, format, level string
		want                []string // each line written, in order, as a prefix or JSON level
	}{
		{"text at info", "text", "info", []string{"level=INFO msg=join", "level=WARN msg=slow"}},
		{"text at warn drops info", "text", "warn", []string{"level=WARN msg=slow"}},
		{"json at debug", "json", "debug", []string{"DEBUG", "INFO", "WARN"}},
		{"json at error drops the rest", "json", "error", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := newLogger(&buf, tc.format, tc.level)
			if err != nil {
				t.Fatal(err)
			}
			log.Debug("detail")
			log.Info("join", "name", "alice")
			log.Warn("slow", "name", "bob")
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if buf.Len() == 0 {
				lines = nil
			}
			if len(lines) != len(tc.want) {
				t.Fatalf("wrote %d lines, want %d:\n%s", len(lines), len(tc.want), buf.String())
			}
			for i, line := range lines {
				if tc.format == "text" {
					if !strings.Contains(line, " "+tc.want[i]) {
						t.Errorf("line %d = %q, want %q in it", i, line, tc.want[i])
					}
					continue
				}
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["level"] != tc.want[i] {
					t.Errorf("line %d = %q (%v), want a JSON record at %s", i, line, err, tc.want[i])
				}
			}
		})
	}
}

// TestDefaultRateLimitCutsAFloodButNotAPaste runs the binary with its
// default -rate and -burst: ten lines pasted at once all arrive, and a
// burst of 3,000 messages is answered with slow-down notices and closed
// with 1008 after a handful reached the room.
func TestDefaultRateLimitCutsAFloodButNotAPaste(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	_, addr, logs := startBinaryDefaults(t, buildBinary(t))
	bob := join(t, addr, "bob")
	alice := join(t, addr, "alice")
	bob.expect(t, "* alice joined")
	var paste []byte
	for i := range 10 {
		paste = append(paste, clientFrame(true, opText, true, alice.c.key, fmt.Appendf(nil, "line %d", i))...)
	}
	alice.c.writeRaw(paste)
	for i := range 10 {
		bob.expect(t, fmt.Sprintf("alice: line %d", i))
		alice.expect(t, fmt.Sprintf("alice: line %d", i))
	}

	flood := joinFromAddr(t, "127.0.0.2", addr, "flood") // not alice, who spent half her burst
	bob.expect(t, "* flood joined")
	const n = 3000
	go func() {
		for i := range n {
			// The server closes the connection long before the end:
			// the writes after that fail, which is what the test expects.
			if _, err := flood.c.nc.Write(clientFrame(true, opText, true, flood.c.key, fmt.Appendf(nil, "f%d", i))); err != nil {
				return
			}
		}
	}()
	var echoed, notices int
	for {
		m := flood.next(t)
		if strings.HasPrefix(m, "CLOSE ") {
			if !strings.HasPrefix(m, "CLOSE 1008 too-fast: sending too fast: 10 messages in a row over the limit of 3 messages a second, 20 at once") {
				t.Fatalf("the flood ended with %q, want a 1008 close", m)
			}
			break
		}
		switch {
		case strings.HasPrefix(m, "alice: line "): // the room's history, replayed on joining
		case strings.HasPrefix(m, "flood: f"):
			echoed++
		case strings.HasPrefix(m, "* slow down: the limit is 3 messages a second, 20 at once"):
			notices++
		default:
			t.Fatalf("the flooder got %q", m)
		}
	}
	reached := 0
	for m := bob.next(t); m != "* flood left"; m = bob.next(t) {
		if !strings.HasPrefix(m, "flood: f") {
			t.Fatalf("bob got %q during the flood", m)
		}
		reached++
	}
	t.Logf("of %d messages, %d reached the room; the flooder got %d slow-down notices", n, reached, notices)
	if reached < 20 || reached > 40 || reached != echoed || notices == 0 {
		t.Errorf("%d of the flood reached bob, %d came back to the flooder, with %d notices; want 20 to 40 and notices\n%s", reached, echoed, notices, logs)
	}
}

// TestPlainGETOnAWebSocketEndpointSaysHowToConnect checks the hint a
// browser or curl gets: a command to copy, its URL quoted so a shell
// keeps the ? and & in it.
func TestPlainGETOnAWebSocketEndpointSaysHowToConnect(t *testing.T) {
	_, addr := startServer(t, testConfig())
	for _, tc := range []struct{ name, path, want string }{
		{"chat", "/ws/chat", `e.g. wscat -c "ws://` + addr + `/ws/chat?name=yourname"`},
		{"chat with a query", "/ws/chat?room=x", `e.g. wscat -c "ws://` + addr + `/ws/chat?name=yourname"`},
		{"echo", "/ws/echo", `e.g. wscat -c "ws://` + addr + `/ws/echo"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get("http://" + addr + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			body.ReadFrom(resp.Body)
			if resp.StatusCode != http.StatusUpgradeRequired || !strings.HasSuffix(strings.TrimSpace(body.String()), tc.want) {
				t.Errorf("GET %s: %s %q, want 426 ending %q", tc.path, resp.Status, body.String(), tc.want)
			}
		})
	}
}
