package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"wschat/internal/auth"
	"wschat/internal/chat"
	"wschat/internal/engine"
	"wschat/internal/engine/memory"
	"wschat/internal/engine/redis"
	"wschat/internal/sealed"
	"wschat/internal/textrules"
)

// The key directory's HTTP API (docs/encryption.md): with tokens, every
// account publishes the public key of each of its devices, and reads
// those of others, to seal messages for them and check who sealed what
// it receives. Every request carries a token (?token= or Authorization:
// Bearer), and a device is published under the token's account only.
//
//	PUT    /api/keys/{id}   {"key":"<32 bytes, base64url>"}   publishes a device; id is its key id
//	DELETE /api/keys/{id}                                     forgets one of one's devices
//	GET    /api/keys/{name}                                   {"name":...,"devices":[{"id":...,"key":...}]}

// Key directory refusals' codes, in the JSON body beside the words.
const (
	codeBadKey         = "bad-key"          // 400: not a 32-byte key in canonical base64url, or not the id's
	codeTooManyDevices = "too-many-devices" // 409: the account has as many devices as it may
	codeDirectoryFull  = "directory-full"   // 507: the directory holds as many accounts as it may
	codeNoDevice       = "no-such-device"   // 404: a deletion of a device the account does not have
)

// maxKeyBody bounds a PUT's body: a key is 43 characters.
const maxKeyBody = 1 << 10

// directoryBounds are the key directory's bounds.
var directoryBounds = engine.DirectoryBounds{Devices: 16, Owners: 100_000, Rooms: 100_000}

// openDirectory opens the key directory: the one every node shares in
// Redis, or this node's own, in -data's keys file or in memory.
func openDirectory(cfg Config, e chatEngine) (engine.Directory, error) {
	if r, ok := e.(*redis.Engine); ok {
		return r.Directory(directoryBounds), nil
	}
	var path string
	if cfg.DataDir != "" {
		path = filepath.Join(cfg.DataDir, "keys")
	}
	return memory.OpenDirectory(path, directoryBounds)
}

// routeKeys routes the key directory's API, which needs tokens.
func (s *Server) routeKeys() {
	if s.auth == nil {
		return
	}
	s.mux.HandleFunc("PUT /api/keys/{id}", s.handlePutKey)
	s.mux.HandleFunc("DELETE /api/keys/{id}", s.handleDeleteKey)
	s.mux.HandleFunc("GET /api/keys/{name}", s.handleGetKeys)
}

// keysAnswer is what GET /api/keys/{name} and PUT answer.
type keysAnswer struct {
	Name    string          `json:"name"`
	Devices []engine.Device `json:"devices"`
}

// identify returns the account a key directory request is made by, or
// answers why there is none.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) (string, bool) {
	c, err := s.auth.Identify(r)
	if err != nil {
		auth.Error(w, http.StatusUnauthorized, string(chat.CodeAuthRequired), err.Error())
		return "", false
	}
	return c.Subject, true
}

func (s *Server) handlePutKey(w http.ResponseWriter, r *http.Request) {
	name, ok := s.identify(w, r)
	if !ok {
		return
	}
	var body struct {
		Key string `json:"key"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxKeyBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		auth.Error(w, http.StatusBadRequest, string(chat.CodeBadRequest), fmt.Sprintf(`send JSON of at most %d bytes: {"key":"..."}`, maxKeyBody))
		return
	}
	id, err := sealed.KeyID(body.Key)
	switch {
	case err != nil:
		auth.Error(w, http.StatusBadRequest, codeBadKey, err.Error())
		return
	case id != r.PathValue("id"):
		auth.Error(w, http.StatusBadRequest, codeBadKey, "the key's id is "+id+", not the one in the path")
		return
	}
	owner := textrules.NameKey(name)
	err = s.directory.AddDevice(r.Context(), owner, engine.Device{ID: id, Key: body.Key})
	if err != nil {
		s.directoryFailed(w, err)
		return
	}
	s.log.Info("device key published", "name", name, "id", id)
	s.answerKeys(w, r, name)
}

func (s *Server) handleDeleteKey(w http.ResponseWriter, r *http.Request) {
	name, ok := s.identify(w, r)
	if !ok {
		return
	}
	had, err := s.directory.RemoveDevice(r.Context(), textrules.NameKey(name), r.PathValue("id"))
	switch {
	case err != nil:
		s.directoryFailed(w, err)
	case !had:
		auth.Error(w, http.StatusNotFound, codeNoDevice, "your account has no device with that key id")
	default:
		s.log.Info("device key removed", "name", name, "id", r.PathValue("id"))
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) handleGetKeys(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.identify(w, r); !ok {
		return
	}
	name := r.PathValue("name")
	if why := textrules.CheckName("name", name); why != "" {
		auth.Error(w, http.StatusBadRequest, string(chat.CodeBadName), why)
		return
	}
	s.answerKeys(w, r, name)
}

// answerKeys answers with name's devices.
func (s *Server) answerKeys(w http.ResponseWriter, r *http.Request, name string) {
	devs, err := s.directory.Devices(r.Context(), textrules.NameKey(name))
	if err != nil {
		s.directoryFailed(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(keysAnswer{Name: name, Devices: append([]engine.Device{}, devs...)})
}

// directoryFailed answers an error of the directory's.
func (s *Server) directoryFailed(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, engine.ErrTooManyDevices):
		auth.Error(w, http.StatusConflict, codeTooManyDevices, fmt.Sprintf("your account has %d devices, the most it may: remove one first", directoryBounds.Devices))
	case errors.Is(err, engine.ErrDirectoryFull):
		auth.Error(w, http.StatusInsufficientStorage, codeDirectoryFull, "the key directory holds as many accounts as it may")
	case errors.Is(err, engine.ErrUnavailable):
		w.Header().Set("Retry-After", "5")
		auth.Error(w, http.StatusServiceUnavailable, string(chat.CodeUnavailable), "the key directory cannot be reached right now: try again shortly")
	default:
		s.log.Error("key directory", "err", err)
		auth.Error(w, http.StatusInternalServerError, "server-error", "the server could not do that")
	}
}
