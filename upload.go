package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"wschat/internal/files"
	"wschat/internal/textrules"
)

// Sharing files. A participant uploads with POST /files?room=ROOM&name=
// FILENAME, proving who it is with a credential its connection was given
// in its JSON welcome ("upload"), or with its account's token; it must be
// in ROOM. The file is stored (internal/files), and the room gets a
// message for it, kept in its history like any other.

// uploads maps the upload credentials handed out to the connections they
// were handed to.
type uploads struct {
	mu   sync.Mutex
	byID map[string]*peer
}

// grant hands p a new upload credential.
func (u *uploads) grant(p *peer) {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	p.upload = hex.EncodeToString(b)
	u.mu.Lock()
	u.byID[p.upload] = p
	u.mu.Unlock()
}

// revoke takes back p's credential, once p has left.
func (u *uploads) revoke(p *peer) {
	if p.upload == "" {
		return
	}
	u.mu.Lock()
	delete(u.byID, p.upload)
	u.mu.Unlock()
}

func (u *uploads) find(credential string) *peer {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.byID[credential]
}

// fileInfo is what a file message says of its file.
type fileInfo struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	Type string `json:"type"`
	URL  string `json:"url"`
}

// openFiles opens the store of shared files: in dir/files when dir is
// set, in memory otherwise.
func openFiles(cfg Config, log *slog.Logger) (*files.Store, error) {
	opts := files.Options{MaxFile: cfg.MaxFile, Budget: cfg.FilesBudget, Logger: log}
	if cfg.DataDir != "" {
		opts.Dir = filepath.Join(cfg.DataDir, "files")
	}
	s, err := files.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open the shared files: %w", err)
	}
	return s, nil
}

// handleUpload answers POST /files.
func (ch *chat) handleUpload(w http.ResponseWriter, r *http.Request) {
	p, status, why := ch.uploader(r)
	if p == nil {
		apiError(w, status, why)
		return
	}
	if p.lim != nil && p.lim.check(time.Now()) != withinLimit {
		ch.metrics.limited.Add(1)
		w.Header().Set("Retry-After", "1")
		apiError(w, http.StatusTooManyRequests, "slow down: uploads count against the message rate of "+ch.limit.describe())
		return
	}
	body, err := ch.files.Limit(w, r)
	var f files.File
	if err == nil {
		f, err = ch.files.Put(r.URL.Query().Get("name"), body)
	}
	switch {
	case errors.Is(err, files.ErrTooLarge):
		apiError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the file is too large: at most %s", humanSize(ch.maxFile)))
		return
	case errors.Is(err, files.ErrEmpty):
		apiError(w, http.StatusBadRequest, "the file is empty")
		return
	case errors.Is(err, files.ErrFull):
		w.Header().Set("Retry-After", "10")
		apiError(w, http.StatusServiceUnavailable, "the server has no room for files just now: try again later")
		return
	case err != nil:
		ch.log.Error("store an upload", "name", p.name, "err", err)
		apiError(w, http.StatusInternalServerError, "the server could not store the file")
		return
	}
	info := fileInfo{Name: f.Name, Size: f.Size, Type: f.Type, URL: scheme(r) + "://" + r.Host + f.URLPath()}
	m := storedMessage{Type: "file", Name: p.name, File: &info,
		Text: fmt.Sprintf("[file] %s (%s) %s", info.Name, humanSize(info.Size), info.URL)}
	if !ch.post(p, m, make(chan struct{}, 1)) {
		apiError(w, http.StatusServiceUnavailable, "the server could not post the file's message: try again later")
		return
	}
	ch.log.Info("upload", "name", p.name, "room", p.room.name, "size", f.Size, "type", f.Type)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(info)
}

// uploader returns the participant an upload comes from, who must be in
// the room it names, or the status and reason to refuse it with.
func (ch *chat) uploader(r *http.Request) (*peer, int, string) {
	scheme, credential, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || credential == "" {
		return nil, http.StatusUnauthorized, "send Authorization: Bearer with the upload credential of your connection's welcome"
	}
	conns := []*peer{ch.uploads.find(credential)}
	if conns[0] == nil {
		if ch.auth == nil {
			return nil, http.StatusUnauthorized, "that credential is not one of a connection that is open"
		}
		c, err := ch.auth.verifier.Verify(credential)
		if err != nil {
			return nil, http.StatusUnauthorized, err.Error()
		}
		conns = ch.hub.find(textrules.Fold(c.Subject))
	}
	room := strings.TrimSpace(r.URL.Query().Get("room"))
	if room == "" {
		room = lobby
	}
	if p := ch.hub.inRoom(conns, textrules.Fold(room)); p != nil {
		return p, 0, ""
	}
	return nil, http.StatusForbidden, fmt.Sprintf("you are not in %s: join it to share files there", room)
}

// scheme is how the request came: https or http.
func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// humanSize writes a byte count as a person reads it: 120 KiB.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", (n+1<<9)>>10)
	}
	return fmt.Sprintf("%d B", n)
}
