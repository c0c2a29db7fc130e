package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"wschat/internal/auth"
	"wschat/internal/bytesize"
	"wschat/internal/chat"
	"wschat/internal/files"
)

// Sharing files. A participant uploads with POST /files?room=ROOM&name=
// FILENAME, proving who it is with the credential its connection was
// given in its JSON welcome ("upload"), or with its account's token; it
// must be in ROOM. The file is stored (internal/files), and the room gets
// a message for it, kept in its history like any other. With to=NAME
// instead of a room, the file goes to NAME as a private message: the two
// of them get its link, and nobody else. With sealed=1 the file is one
// encrypted in the browser (docs/encryption.md, "Files"): it is kept
// under the name "file" and nothing is posted; the answer's url goes in
// the sealed message that announces it. A room that is encrypted takes
// only such files.

// openFiles opens the store of shared files: in dir/files when dir is
// set, in memory otherwise.
func openFiles(cfg Config, log *slog.Logger) (*files.Store, error) {
	opts := files.Options{MaxFile: cfg.MaxFile, Budget: cfg.FilesBudget, Share: cfg.FilesShare,
		IdleTimeout: cfg.HandshakeTimeout, Logger: log}
	if cfg.DataDir != "" {
		opts.Dir = filepath.Join(cfg.DataDir, "files")
	}
	s, err := files.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open the shared files: %w", err)
	}
	return s, nil
}

// Upload refusals' codes, in the JSON body beside the words ("code"):
// each says which limit was met.
const (
	codeFileTooLarge = "file-too-large" // 413: past -max-file
	codeEmptyFile    = "empty-file"     // 400
	codeUploadShare  = "upload-share"   // 429: the uploader's uploads in progress hold its share
	codeUploadsBusy  = "uploads-busy"   // 503: uploads in progress hold all the room for them
	codeFilesFull    = "files-full"     // 507: the disk is full
	codeNotPosted    = "not-posted"     // 503: the file was kept, but its message could not be
	codeTooSlow      = "too-slow"       // 408: the body came slower than files.Options.MinRate
)

// What is left of a refused upload's body is read and dropped, after the
// answer is out, up to lingerBytes and for at most lingerTime, as nginx's
// lingering close does: a client that sends its whole body before it
// reads the answer (Python's urllib, a browser's fetch; all but those that
// send Expect: 100-continue) would otherwise see the connection reset, the
// answer lost, when the server closes with body still coming.
const (
	lingerBytes = 64 << 20
	lingerTime  = 30 * time.Second
)

// handleUpload answers POST /files. The file is the uploader's
// participant's (see chat.ParticipantOf): it counts against that share.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	var up *uploadUnderWay            // set when the upload is named, and may be cancelled
	if rc.EnableFullDuplex() == nil { // read the body after answering: see linger
		body := r.Body
		defer func() {
			if !up.wasCancelled() { // whoever cancelled reads no answer
				linger(rc, body)
			}
		}()
	}
	to := strings.TrimSpace(r.URL.Query().Get("to"))
	p, status, refusal := s.uploader(r, to)
	if p == nil {
		auth.Error(w, status, string(refusal.Code), refusal.Text)
		return
	}
	sealed := r.URL.Query().Get("sealed") == "1"
	if !sealed && to == "" && p.RoomEncrypted() {
		auth.Error(w, http.StatusForbidden, string(chat.CodeRoomEncrypted), "this room is encrypted: share files in it encrypted (sealed=1)")
		return
	}
	if !p.Allow() {
		w.Header().Set("Retry-After", "1")
		auth.Error(w, http.StatusTooManyRequests, string(chat.CodeSlowDown), "slow down: uploads count against your message rate")
		return
	}
	body, err := s.files.Limit(w, r)
	if key := r.URL.Query().Get("upload"); key != "" && err == nil {
		if len(key) > maxUploadKey {
			auth.Error(w, http.StatusBadRequest, codeBadUploadKey, "an upload's key is 1 to 64 bytes")
			return
		}
		up = s.uploads.start(bearer(r), key, body, rc)
		if up == nil {
			auth.Error(w, http.StatusConflict, codeBadUploadKey, "an upload of yours named "+key+" is under way already")
			return
		}
		defer s.uploads.end(bearer(r), key)
		body = up
	}
	var f files.File
	name := r.URL.Query().Get("name")
	if sealed {
		name = "file"
	}
	if err == nil {
		f, err = s.files.Put(p.Participant(), name, body)
	}
	if err != nil {
		s.uploadFailed(w, p, err)
		return
	}
	info := chat.FileInfo{Name: f.Name, Size: f.Size, Type: f.Type, URL: s.cfg.PublicURL + f.URLPath()}
	switch {
	case sealed:
		s.log.Info("upload", "name", p.Name(), "sealed", true, "size", f.Size)
	case to != "":
		if err := p.ShareWith(to, info); err != nil {
			status, refusal := privateRefusal(err)
			auth.Error(w, status, string(refusal.Code), refusal.Text)
			return
		}
		s.log.Info("upload", "name", p.Name(), "to", to, "size", f.Size, "type", f.Type)
	case !p.Share(info):
		auth.Error(w, http.StatusServiceUnavailable, codeNotPosted, "the file was kept, but its message could not be posted (your room or your share of history may be full): try again later")
		return
	default:
		s.log.Info("upload", "name", p.Name(), "room", p.RoomName(), "size", f.Size, "type", f.Type)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(info)
}

// uploadFailed answers an upload Put refused, naming the limit it met.
func (s *Server) uploadFailed(w http.ResponseWriter, p *chat.Session, err error) {
	switch {
	case errors.Is(err, files.ErrTooLarge):
		auth.Error(w, http.StatusRequestEntityTooLarge, codeFileTooLarge, fmt.Sprintf("the file is too large: at most %s (-max-file)", bytesize.Approx(s.cfg.MaxFile)))
	case errors.Is(err, files.ErrEmpty):
		auth.Error(w, http.StatusBadRequest, codeEmptyFile, "the file is empty")
	case errors.Is(err, files.ErrShare):
		w.Header().Set("Retry-After", "10")
		auth.Error(w, http.StatusTooManyRequests, codeUploadShare, "your uploads in progress hold your share of the room for files: wait for them to finish")
	case errors.Is(err, files.ErrBusy):
		w.Header().Set("Retry-After", "10")
		auth.Error(w, http.StatusServiceUnavailable, codeUploadsBusy, "uploads in progress hold all the room the server gives them: try again shortly")
	case errors.Is(err, errCancelled):
		auth.Error(w, http.StatusConflict, codeCancelled, "the upload was cancelled: nothing was kept")
	case errors.Is(err, files.ErrTooSlow):
		auth.Error(w, http.StatusRequestTimeout, codeTooSlow, "the file came too slowly: "+err.Error())
	case errors.Is(err, syscall.ENOSPC):
		auth.Error(w, http.StatusInsufficientStorage, codeFilesFull, "the server's disk is full: the file was not kept")
	default:
		s.log.Error("store an upload", "name", p.Name(), "err", err)
		auth.Error(w, http.StatusInternalServerError, "server-error", "the server could not store the file")
	}
}

// privateRefusal is the answer to an upload whose private message could
// not be delivered: its status, and the chat's refusal.
func privateRefusal(err error) (int, *chat.Refusal) {
	var r *chat.Refusal
	if !errors.As(err, &r) {
		return http.StatusInternalServerError, &chat.Refusal{Code: "server-error", Text: err.Error()}
	}
	switch r.Code {
	case chat.CodeNotOnline, chat.CodeNoMailbox:
		return http.StatusNotFound, r
	case chat.CodeBadName:
		return http.StatusBadRequest, r
	case chat.CodeMailShare, chat.CodeMailFull:
		return http.StatusTooManyRequests, r
	}
	return http.StatusServiceUnavailable, r
}

// uploader returns the participant an upload comes from, who must be in
// the room it names, or able to reach the participant called to (a file
// shared privately), or the status and refusal to answer with.
func (s *Server) uploader(r *http.Request, to string) (*chat.Session, int, *chat.Refusal) {
	credential := bearer(r)
	if credential == "" {
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
	var p *chat.Session
	var err error
	if to != "" {
		if p, err = s.chat.PrivateUploader(credential, subject); err == nil {
			if err = p.Reaches(to); err != nil {
				status, refusal := privateRefusal(err)
				return nil, status, refusal
			}
		}
	} else {
		p, err = s.chat.Uploader(credential, subject, strings.TrimSpace(r.URL.Query().Get("room")))
	}
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

// bearer is the credential r carries as Authorization: Bearer, or "".
func bearer(r *http.Request) string {
	scheme, credential, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return credential
}

// linger drops what the client still sends of body, once the answer is
// out, within lingerBytes and lingerTime.
func linger(rc *http.ResponseController, body io.Reader) {
	if rc.Flush() != nil {
		return
	}
	rc.SetReadDeadline(time.Now().Add(lingerTime))
	io.CopyN(io.Discard, body, lingerBytes)
}
