package files

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// upload is the handler package main is expected to write: Limit, then
// Put, errors as statuses.
func upload(s *Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := s.Limit(w, r)
		var f File
		if err == nil {
			f, err = s.Put("", r.URL.Query().Get("name"), body)
		}
		switch {
		case errors.Is(err, ErrTooLarge):
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		case errors.Is(err, ErrEmpty):
			http.Error(w, err.Error(), http.StatusBadRequest)
		case errors.Is(err, ErrBusy):
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		case errors.Is(err, ErrTooSlow):
			http.Error(w, err.Error(), http.StatusRequestTimeout)
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(map[string]any{"url": f.URLPath(), "size": f.Size, "type": f.Type})
		}
	}
}

// counting counts the bytes the client sends.
type counting struct {
	r    io.Reader
	read *atomic.Int64
}

func (c counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// TestLimitOverHTTP uploads through a real server and checks the status
// for each size, and that a declared length over the limit is refused
// before the client is asked for the body (Expect: 100-continue,
// RFC 9110 §10.1.1).
func TestLimitOverHTTP(t *testing.T) {
	const max = 100 << 10
	tests := []struct {
		name       string
		size       int64
		chunked    bool // no Content-Length
		wantStatus int
		maxSent    int64 // bytes the client may have sent
	}{
		{"at the limit", max, false, 201, max},
		{"at the limit, chunked", max, true, 201, max},
		{"over by one byte, declared", max + 1, false, 413, 0},
		{"far over, declared", 1 << 30, false, 413, 0},
		{"over by one byte, chunked", max + 1, true, 413, max + 1},
		{"empty", 0, false, 400, 0},
		{"empty, chunked", 0, true, 400, 0},
	}
	s := open(t, true, Options{MaxFile: max})
	srv := httptest.NewServer(upload(s))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 10 * time.Second}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent atomic.Int64
			var body io.Reader = counting{newStream(tt.size), &sent}
			if tt.chunked {
				body = io.MultiReader(body) // hides the length
			}
			req, err := http.NewRequest("POST", srv.URL+"/files?name=a.bin", body)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.chunked {
				req.ContentLength = tt.size
			}
			req.Header.Set("Expect", "100-continue")
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if sent.Load() > tt.maxSent {
				t.Errorf("client sent %d bytes, want at most %d", sent.Load(), tt.maxSent)
			}
		})
	}
	if st := s.Stats(); st.Files != 2 || st.Bytes != 2*max || st.Pending != 0 {
		t.Errorf("stats %+v, want the two uploads at the limit", st)
	}
}

// TestUploadThenFetch is the round trip main will make: upload a file
// whose name lies about its type, fetch it at the returned URL.
func TestUploadThenFetch(t *testing.T) {
	s := open(t, false, Options{})
	mux := http.NewServeMux()
	mux.Handle("POST /files", upload(s))
	mux.Handle("GET /files/{id}/{name}", s)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	page := []byte("<html><script>alert(1)</script>")
	res, err := http.Post(srv.URL+"/files?name="+"my%20cat.png", "image/png", bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		URL  string
		Type string
	}
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil || res.StatusCode != 201 {
		t.Fatalf("upload: %s, %v", res.Status, err)
	}
	res.Body.Close()
	if !strings.HasPrefix(got.URL, "/files/") || !strings.HasSuffix(got.URL, "/my%20cat.png") {
		t.Errorf("url %q", got.URL)
	}
	res, err = http.Get(srv.URL + got.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(b, page) || res.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("fetched %q as %q, %q", b, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
}
