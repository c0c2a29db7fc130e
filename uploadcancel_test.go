package main

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// cancelUpload asks the server to cancel the upload credential named
// key in room, and returns the answer's status and code.
func cancelUpload(t testing.TB, addr, credential, room, key string) (int, string) {
	t.Helper()
	resp, answer := callJSON(t, addr, "DELETE", "/files/uploads/"+url.PathEscape(key)+"?room="+room, credential, nil)
	code, _ := answer["code"].(string)
	return resp.StatusCode, code
}

// startNamedUpload posts to room a file named key whose body is what
// the test writes to the returned pipe; the answer comes on the channel.
func startNamedUpload(t testing.TB, addr, credential, room, key string) (*io.PipeWriter, <-chan *http.Response) {
	t.Helper()
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	q := url.Values{"room": {room}, "name": {"big.bin"}, "upload": {key}}
	req := bearerRequest(t, addr, "POST", "/files?"+q.Encode(), credential, pr)
	answered := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- nil
			return
		}
		resp.Body.Close()
		answered <- resp
	}()
	return pw, answered
}

// TestUploadCancel: an upload named by its client and cancelled while
// under way keeps nothing, reaches nobody and ends its POST at once; a
// cancel is its uploader's alone, comes too late once the upload has
// ended, and a key too long, or one under way already, is refused.
func TestUploadCancel(t *testing.T) {
	srv, addr := startServer(t, testConfig())
	alice, credential := enterWithUpload(t, addr, "alice", "lobby")
	bob, bobs := enterWithUpload(t, addr, "bob", "lobby")
	alice.event(t) // bob joined

	body, answered := startNamedUpload(t, addr, credential, "lobby", "k1")
	body.Write(bytes.Repeat([]byte("x"), 64<<10))
	scrapeUntil(t, srv, map[string]float64{"wschat_files_pending_bytes": 64 << 10})

	if status, code := cancelUpload(t, addr, credential, "lobby", "k1-other"); status != http.StatusNotFound || code != codeNoUpload {
		t.Errorf("a key never used: %d %q, want 404 %s", status, code, codeNoUpload)
	}
	if status, code := cancelUpload(t, addr, bobs, "lobby", "k1"); status != http.StatusNotFound || code != codeNoUpload {
		t.Errorf("bob cancelling alice's upload: %d %q, want 404 %s", status, code, codeNoUpload)
	}
	pw2, second := startNamedUpload(t, addr, credential, "lobby", "k1")
	pw2.Write([]byte("y"))
	if resp := <-second; resp == nil || resp.StatusCode != http.StatusConflict {
		t.Errorf("a second upload named k1 while the first is under way: %v, want 409", resp)
	}
	if status, code := cancelUpload(t, addr, credential, "lobby", "k1"); status != http.StatusNoContent {
		t.Fatalf("alice cancelling her upload: %d %q, want 204", status, code)
	}
	if resp := <-answered; resp != nil && resp.StatusCode != http.StatusConflict {
		t.Errorf("the cancelled upload's POST: %s, want 409 or a cut connection", resp.Status)
	}
	scrapeUntil(t, srv, map[string]float64{"wschat_files_pending_bytes": 0, "wschat_files_bytes": 0})

	// What comes after is all bob sees: the cancelled file never was.
	if resp, _ := upload(t, addr, credential, "lobby", "after.txt", []byte("after")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("an upload after the cancel: %s", resp.Status)
	}
	if e := bob.event(t); e.File == nil || e.File.Name != "after.txt" {
		t.Errorf("bob got %+v, want the file after.txt alone", e)
	}
	if status, code := cancelUpload(t, addr, credential, "lobby", "k1"); status != http.StatusNotFound || code != codeNoUpload {
		t.Errorf("a cancel once the upload has ended: %d %q, want 404 %s", status, code, codeNoUpload)
	}
	long := strings.Repeat("k", maxUploadKey+1)
	if status, code := cancelUpload(t, addr, credential, "lobby", long); status != http.StatusBadRequest || code != codeBadUploadKey {
		t.Errorf("a key too long: %d %q, want 400 %s", status, code, codeBadUploadKey)
	}
}
