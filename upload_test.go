package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"wschat/internal/bytesize"
)

// pngBytes is a small real picture.
func pngBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// enterWithUpload joins as a JSON client and returns it with its upload
// credential.
func enterWithUpload(t testing.TB, addr, name, room string) (*inbox, string) {
	t.Helper()
	in := listen(dial(t, addr, "/ws/chat?format=json&name="+name+"&room="+room))
	w := in.event(t)
	if w.Type != "welcome" || len(w.Upload) != 32 {
		t.Fatalf("got %+v, want a welcome with an upload credential", w)
	}
	return in, w.Upload
}

// upload posts body as a file called name to room, with credential.
func upload(t testing.TB, addr, credential, room, name string, body []byte) (*http.Response, map[string]any) {
	t.Helper()
	return callJSON(t, addr, "POST", "/files?"+url.Values{"room": {room}, "name": {name}}.Encode(), credential, bytes.NewReader(body))
}

func TestUploadSharesAFileWithTheRoom(t *testing.T) {
	_, addr := startServer(t, testConfig())
	alice, credential := enterWithUpload(t, addr, "alice", "go")
	bob := enter(t, addr, "bob", "go")
	alice.event(t) // bob joined
	pic := pngBytes(t)

	resp, answer := upload(t, addr, credential, "go", "../../cat.png", pic)
	if resp.StatusCode != http.StatusCreated || answer["name"] != "cat.png" || answer["type"] != "image/png" || answer["size"] != float64(len(pic)) {
		t.Fatalf("upload: %s %v", resp.Status, answer)
	}
	link := answer["url"].(string)
	bob.expect(t, "alice: [file] cat.png ("+bytesize.Approx(int64(len(pic)))+") "+link)
	e := alice.event(t)
	if e.Type != "file" || e.Name != "alice" || e.File == nil || e.File.URL != link || e.File.Type != "image/png" || e.Room != "go" || e.ID == "" {
		t.Errorf("got %+v, want the file event", e)
	}

	if !strings.HasPrefix(link, "/files/") {
		t.Errorf("link %q: want a path relative to the page, with no -public-url", link)
	}
	got, body := fetch(t, "http://"+addr+link)
	if got.StatusCode != 200 || !bytes.Equal(body, pic) || got.Header.Get("Content-Type") != "image/png" ||
		!strings.HasPrefix(got.Header.Get("Content-Disposition"), "inline") || got.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(got.Header.Get("Content-Security-Policy"), "sandbox") || got.Header.Get("ETag") == "" {
		t.Errorf("fetch: %s %v", got.Status, got.Header)
	}
	// Part of the room's history like any message.
	carol := enter(t, addr, "carol", "go")
	carol.expect(t, "alice: [file] cat.png ("+bytesize.Approx(int64(len(pic)))+") "+link)
}

func TestUploadServesNothingButPicturesInline(t *testing.T) {
	_, addr := startServer(t, testConfig())
	_, credential := enterWithUpload(t, addr, "alice", "lobby")
	tests := []struct{ name, body, wantType string }{
		{"page.html", "<!doctype html><script>alert(1)</script>", "text/html; charset=utf-8"},
		{"cat.png", "<html><script>alert(1)</script></html>", "text/html; charset=utf-8"}, // a lying extension
		{"logo.svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, answer := upload(t, addr, credential, "lobby", tt.name, []byte(tt.body))
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("upload: %s %v", resp.Status, answer)
			}
			got, _ := fetch(t, "http://"+addr+answer["url"].(string))
			if got.Header.Get("Content-Type") != tt.wantType || !strings.HasPrefix(got.Header.Get("Content-Disposition"), "attachment") ||
				got.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(got.Header.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("served as %v", got.Header)
			}
		})
	}
}

func TestUploadRefusals(t *testing.T) {
	cfg := testConfig()
	cfg.MaxFile = 1000
	_, addr := startServer(t, cfg)
	alice, credential := enterWithUpload(t, addr, "alice", "lobby")
	enter(t, addr, "bob", "go")
	tests := []struct {
		name, credential, room string
		body                   []byte
		status                 int
		answer                 string
	}{
		{"no credential", "", "lobby", []byte("x"), 401, "send Authorization: Bearer"},
		{"a forged credential", strings.Repeat("0", 32), "lobby", []byte("x"), 401, "not one of a connection that is open"},
		{"another room", credential, "go", []byte("x"), 403, "you are not in go"},
		{"too large", credential, "lobby", bytes.Repeat([]byte("x"), 1001), 413, "the file is too large: at most 1000 B"},
		{"empty", credential, "lobby", nil, 400, "the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, answer := upload(t, addr, tt.credential, tt.room, "f.txt", tt.body)
			if resp.StatusCode != tt.status || !strings.Contains(answer["error"].(string), tt.answer) {
				t.Errorf("got %s %v, want %d %q", resp.Status, answer, tt.status, tt.answer)
			}
		})
	}
	// A credential dies with its connection.
	alice.c.writeFrame(true, opClose, closePayload(closeNormal, ""))
	alice.expect(t, "CLOSE 1000 ")
	if !eventually(func() bool {
		resp, _ := upload(t, addr, credential, "lobby", "late.txt", []byte("x"))
		return resp.StatusCode == http.StatusUnauthorized
	}) {
		t.Error("the credential of a closed connection still uploads")
	}
}

func TestUploadCountsAgainstTheRate(t *testing.T) {
	cfg := testConfig()
	cfg.Rate, cfg.Burst = 0.001, 2
	_, addr := startServer(t, cfg)
	_, credential := enterWithUpload(t, addr, "alice", "lobby")
	for i, want := range []int{201, 201, 429} {
		if resp, answer := upload(t, addr, credential, "lobby", "f.txt", []byte("hello")); resp.StatusCode != want {
			t.Errorf("upload %d: %s %v, want %d", i, resp.Status, answer, want)
		}
	}
}

func TestUploadSurvivesARestartWithData(t *testing.T) {
	cfg := testConfig()
	cfg.DataDir = t.TempDir()
	s, addr := startServer(t, cfg)
	_, credential := enterWithUpload(t, addr, "alice", "lobby")
	resp, answer := upload(t, addr, credential, "lobby", "notes.txt", []byte("kept on disk"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %s %v", resp.Status, answer)
	}
	path := answer["url"].(string)
	shutdown(t, s)
	_, addr = startServer(t, cfg)
	if got, body := fetch(t, "http://"+addr+path); got.StatusCode != 200 || string(body) != "kept on disk" {
		t.Errorf("after a restart: %s %q", got.Status, body)
	}
	bob := join(t, addr, "bob")
	if m := bob.next(t); !strings.HasPrefix(m, "alice: [file] notes.txt (12 B) /files/") {
		t.Errorf("history after a restart: %q", m)
	}
}

func TestUploadWithAnAccountsToken(t *testing.T) {
	_, addr := startServer(t, accountsConfig(t))
	token := register(t, addr, "alice")
	joinWith(t, addr, token, "&room=go")
	if resp, answer := upload(t, addr, token, "go", "f.txt", []byte("hi")); resp.StatusCode != http.StatusCreated {
		t.Errorf("with the account's token: %s %v", resp.Status, answer)
	}
	if resp, _ := upload(t, addr, token, "lobby", "f.txt", []byte("hi")); resp.StatusCode != http.StatusForbidden {
		t.Errorf("into a room alice is not in: %s, want 403", resp.Status)
	}
}

// TestUploadsOnTheRealBinary tries uploads as the tracker found them
// failing, on the real binary: a forged Host header does not get into
// the link the server writes; an honest slow upload, slower than the
// handshake timeout allows a request, goes through; a client that sends
// its whole body past the limit, without waiting for the answer, reads
// the 413 rather than a reset.
func TestUploadsOnTheRealBinary(t *testing.T) {
	if testing.Short() {
		skip(t, "-short: it builds the binary")
	}
	_, addr, _ := startBinary(t, buildBinary(t), "-max-file", "1MiB", "-handshake-timeout", "2s", "-public-url", "https://chat.example")
	in := listen(dial(t, addr, "/ws/chat?format=json&name=alice"))
	credential := in.event(t).Upload

	t.Run("the link is the server's own", func(t *testing.T) {
		req := bearerRequest(t, addr, "POST", "/files?name=a.txt", credential, strings.NewReader("hello"))
		req.Host = "evil.example"
		resp, body := do(t, req)
		var answer map[string]any
		json.Unmarshal(body, &answer)
		if u, _ := answer["url"].(string); resp.StatusCode != http.StatusCreated || !strings.HasPrefix(u, "https://chat.example/files/") {
			t.Fatalf("upload with a forged Host: %s %v, want a link on https://chat.example", resp.Status, answer)
		}
		if e := in.event(t); e.File == nil || !strings.HasPrefix(e.Text, "[file] a.txt (5 B) https://chat.example/files/") {
			t.Errorf("the room's message: %+v", e)
		}
	})

	t.Run("a slow upload goes through", func(t *testing.T) {
		const size, perSecond = 256 << 10, 64 << 10 // 4 s, twice the handshake timeout
		pr, pw := io.Pipe()
		go func() {
			piece := make([]byte, perSecond/8)
			for sent := 0; sent < size; sent += len(piece) {
				if _, err := pw.Write(piece); err != nil {
					return
				}
				time.Sleep(time.Second / 8) // the client's pace, not a wait for the server
			}
			pw.Close()
		}()
		req := bearerRequest(t, addr, "POST", "/files?name=slow.bin", credential, pr)
		req.ContentLength = size
		resp, _ := do(t, req)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("an upload at 64 KiB/s: %s", resp.Status)
		}
		in.event(t) // its message
	})

	for _, declared := range []bool{true, false} {
		t.Run(fmt.Sprintf("past the limit, length declared %v", declared), func(t *testing.T) {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			const size = 4 << 20 // three MiB over
			head := fmt.Sprintf("POST /files?name=big.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n", credential)
			if declared {
				head += fmt.Sprintf("Content-Length: %d\r\n\r\n", size)
			} else {
				head += "Transfer-Encoding: chunked\r\n\r\n"
			}
			// Send it all first, as urllib and fetch do, then read.
			nc.Write([]byte(head))
			piece := make([]byte, 64<<10)
			for sent := 0; sent < size; sent += len(piece) {
				if !declared {
					fmt.Fprintf(nc, "%x\r\n", len(piece))
				}
				if _, err := nc.Write(piece); err != nil {
					t.Fatalf("sending the body: %v, after %d bytes: the server did not let the client finish", err, sent)
				}
				if !declared {
					nc.Write([]byte("\r\n"))
				}
			}
			if !declared {
				nc.Write([]byte("0\r\n\r\n"))
			}
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatalf("reading the answer: %v, want a 413", err)
			}
			var answer map[string]string
			json.NewDecoder(resp.Body).Decode(&answer)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || answer["code"] != "file-too-large" {
				t.Errorf("got %s %v, want 413 file-too-large", resp.Status, answer)
			}
		})
	}
}
