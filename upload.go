package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"

	"wschat/internal/auth"
	"wschat/internal/bytesize"
	"wschat/internal/chat"
	"wschat/internal/files"
)

// Sharing files. A participant uploads with POST /files?room=ROOM&name=
// FILENAME, proving who it is with the credential its connection was
// given in its JSON welcome ("upload"), or with its account's token; it
// must be in ROOM. The file is stored (internal/files), and the room gets
// a message for it, kept in its history like any other.

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
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	p, status, refusal := s.uploader(r)
	if p == nil {
		auth.Error(w, status, string(refusal.Code), refusal.Text)
		return
	}
	if !p.Allow() {
		w.Header().Set("Retry-After", "1")
		auth.Error(w, http.StatusTooManyRequests, "slow-down", "slow down: uploads count against your message rate")
		return
	}
	body, err := s.files.Limit(w, r)
	var f files.File
	if err == nil {
		f, err = s.files.Put(r.URL.Query().Get("name"), body)
	}
	switch {
	case errors.Is(err, files.ErrTooLarge):
		auth.Error(w, http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("the file is too large: at most %s", bytesize.Approx(s.cfg.MaxFile)))
		return
	case errors.Is(err, files.ErrEmpty):
		auth.Error(w, http.StatusBadRequest, "empty", "the file is empty")
		return
	case errors.Is(err, files.ErrFull):
		w.Header().Set("Retry-After", "10")
		auth.Error(w, http.StatusServiceUnavailable, "files-full", "the server has no room for files just now: try again later")
		return
	case err != nil:
		s.log.Error("store an upload", "name", p.Name(), "err", err)
		auth.Error(w, http.StatusInternalServerError, "server-error", "the server could not store the file")
		return
	}
	info := chat.FileInfo{Name: f.Name, Size: f.Size, Type: f.Type, URL: scheme(r) + "://" + r.Host + f.URLPath()}
	if !p.Share(info) {
		auth.Error(w, http.StatusServiceUnavailable, "not-stored", "the server could not post the file's message: try again later")
		return
	}
	s.log.Info("upload", "name", p.Name(), "room", p.RoomName(), "size", f.Size, "type", f.Type)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(info)
}

// uploader returns the participant an upload comes from, who must be in
// the room it names, or the status and refusal to answer with.
func (s *Server) uploader(r *http.Request) (*chat.Session, int, *chat.Refusal) {
	scheme, credential, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || credential == "" {
		return nil, http.StatusUnauthorized, &chat.Refusal{Code: chat.CodeAuthRequired, Text: "send Authorization: Bearer with the upload credential of your connection's welcome"}
	}
	subject := ""
	if !s.chat.Credential(credential) && s.auth != nil {
		c, err := s.auth.Verify(credential)
		if err != nil {
			return nil, http.StatusUnauthorized, &chat.Refusal{Code: chat.CodeAuthRequired, Text: err.Error()}
		}
		subject = c.Subject
	}
	p, err := s.chat.Uploader(credential, subject, strings.TrimSpace(r.URL.Query().Get("room")))
	var refusal *chat.Refusal
	switch {
	case err == nil:
		return p, 0, nil
	case errors.As(err, &refusal) && refusal.Code == chat.CodeNotInRoom:
		return nil, http.StatusForbidden, refusal
	case errors.As(err, &refusal):
		return nil, http.StatusUnauthorized, refusal
	}
	return nil, http.StatusInternalServerError, &chat.Refusal{Code: "server-error", Text: err.Error()}
}

// scheme is how the request came: https or http.
func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
