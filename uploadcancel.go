package main

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"wschat/internal/auth"
)

// Cancelling an upload. A client that names its upload (POST /files?...
// &upload=KEY) may cancel it with DELETE /files/uploads/KEY, with the
// same credential and room (or to): the server stops reading it and
// keeps nothing. Aborting the request alone is not enough: the bytes the
// client already handed to its network may still reach the server whole,
// and then the file is shared. The DELETE's answer says which happened:
// 204 cancelled, 409 already shared, 404 not (or no longer) under way.

// maxUploadKey is the longest key an upload may be named by, in bytes.
const maxUploadKey = 64

// Codes of the answers to a cancel.
const (
	codeNoUpload      = "no-upload"      // 404: no upload of that key under way
	codeAlreadyShared = "already-shared" // 409: it was whole, and is shared
	codeCancelled     = "cancelled"      // 409: the POST of an upload that was cancelled
	codeBadUploadKey  = "bad-upload-key" // 400: a key empty or too long
)

// errCancelled ends the reading of an upload that was cancelled.
var errCancelled = errors.New("the upload was cancelled")

// uploadsUnderWay are the named uploads being read, each under the
// credential it was sent with and its key: only that credential's holder
// may cancel it. It holds one entry per upload in progress, so it
// is bounded as uploads in progress are (files.Store's Pending budget).
type uploadsUnderWay struct {
	mu sync.Mutex
	m  map[string]*uploadUnderWay
}

// uploadUnderWay is one named upload being read, owned by its POST's
// handler; it reads the upload's body.
type uploadUnderWay struct {
	r     io.Reader
	rc    *http.ResponseController
	state atomic.Int32 // reading, then cancelled or whole
}

// The states of an upload under way.
const (
	reading int32 = iota
	cancelled
	whole // read to its end: too late to cancel
)

// Read reads the upload's body, failing with errCancelled once it is
// cancelled, its end included.
func (up *uploadUnderWay) Read(p []byte) (int, error) {
	if up.state.Load() == cancelled {
		return 0, errCancelled
	}
	n, err := up.r.Read(p)
	if err == io.EOF && !up.state.CompareAndSwap(reading, whole) || up.state.Load() == cancelled {
		return 0, errCancelled
	}
	return n, err
}

// start records the upload named key, sent with credential, whose body
// is r; it returns nil when an upload of that credential and key is
// under way already.
func (u *uploadsUnderWay) start(credential, key string, r io.Reader, rc *http.ResponseController) *uploadUnderWay {
	u.mu.Lock()
	defer u.mu.Unlock()
	k := credential + "\x00" + key
	if u.m[k] != nil {
		return nil
	}
	if u.m == nil {
		u.m = map[string]*uploadUnderWay{}
	}
	up := &uploadUnderWay{r: r, rc: rc}
	u.m[k] = up
	return up
}

// end forgets the upload of credential named key.
func (u *uploadsUnderWay) end(credential, key string) {
	u.mu.Lock()
	delete(u.m, credential+"\x00"+key)
	u.mu.Unlock()
}

// cancel stops the upload of credential named key. It reports whether
// there was one under way, and whether it was too late: read whole.
func (u *uploadsUnderWay) cancel(credential, key string) (found, tooLate bool) {
	u.mu.Lock()
	up := u.m[credential+"\x00"+key]
	u.mu.Unlock()
	if up == nil {
		return false, false
	}
	if !up.state.CompareAndSwap(reading, cancelled) {
		return true, true
	}
	up.rc.SetReadDeadline(time.Now()) // a read waiting for bytes ends now
	return true, false
}

// wasCancelled reports whether up, which may be nil, was cancelled.
func (up *uploadUnderWay) wasCancelled() bool {
	return up != nil && up.state.Load() == cancelled
}

// handleCancelUpload answers DELETE /files/uploads/{key}.
func (s *Server) handleCancelUpload(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if key == "" || len(key) > maxUploadKey {
		auth.Error(w, http.StatusBadRequest, codeBadUploadKey, "an upload's key is 1 to 64 bytes")
		return
	}
	p, status, refusal := s.uploader(r, r.URL.Query().Get("to"))
	if p == nil {
		auth.Error(w, status, string(refusal.Code), refusal.Text)
		return
	}
	switch found, tooLate := s.uploads.cancel(bearer(r), key); {
	case !found:
		auth.Error(w, http.StatusNotFound, codeNoUpload, "no upload "+key+" of yours is under way: it may have ended")
	case tooLate:
		auth.Error(w, http.StatusConflict, codeAlreadyShared, "the upload "+key+" had reached the server whole: it is shared")
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}
