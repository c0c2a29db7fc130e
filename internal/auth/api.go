package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"wschat/internal/accounts"
	"wschat/internal/engine"
	"wschat/internal/textrules"
)

// The accounts' API: POST /api/register and /api/login take
// {"name":...,"password":...} and answer {"token":...,"name":...,
// "expires":...}; POST /api/token renews a token still good. Refusals
// answer {"error": words, "code": code}, with Retry-After where waiting
// helps.

// Limits of the API.
const (
	maxBody      = 4 << 10 // the largest register or login request
	maxAddresses = 100_000 // addresses the registration limit remembers
)

// signupRate is how many registrations one address may make: five at
// once, then one every twelve minutes.
var signupRate = accounts.Rate{Burst: 5, Every: 12 * time.Minute}

// Routes routes the accounts' API on mux; tokens from another service
// have none.
func (a *Auth) Routes(mux *http.ServeMux) {
	if a.accounts == nil {
		return
	}
	mux.HandleFunc("POST /api/register", a.handleRegister)
	mux.HandleFunc("POST /api/login", a.handleLogin)
	mux.HandleFunc("POST /api/token", a.handleRenew)
}

// credentials is the body of a register or login request.
type credentials struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// tokenAnswer is what a register, login or renewal answers.
type tokenAnswer struct {
	Token   string `json:"token"`
	Name    string `json:"name"`
	Expires string `json:"expires"`
}

// readCredentials reads a request's JSON body, or answers why it cannot.
func readCredentials(w http.ResponseWriter, r *http.Request) (credentials, bool) {
	var c credentials
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			Error(w, http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("the request is too large: at most %d bytes", maxBody))
		} else {
			Error(w, http.StatusBadRequest, "bad-request", `send JSON: {"name":"...","password":"..."}`)
		}
		return c, false
	}
	c.Name = strings.TrimSpace(c.Name)
	return c, true
}

func (a *Auth) handleRegister(w http.ResponseWriter, r *http.Request) {
	if !a.signup {
		Error(w, http.StatusForbidden, "signup-closed", "registration is closed on this server")
		return
	}
	c, ok := readCredentials(w, r)
	if !ok {
		return
	}
	if why := textrules.CheckName("name", c.Name); why != "" {
		Error(w, http.StatusBadRequest, "bad-name", why)
		return
	}
	addr := a.clientAddr(r)
	if err := a.signups.Take(addr, time.Now()); err != nil {
		a.refuse(w, "register", err)
		return
	}
	switch err := a.accounts.Register(r.Context(), addr, textrules.NameKey(c.Name), c.Name, c.Password); {
	case errors.Is(err, accounts.ErrTaken):
		Error(w, http.StatusConflict, "name-taken", fmt.Sprintf("name %q is taken, or one that reads the same: choose another", c.Name))
	case errors.Is(err, accounts.ErrWeakPassword):
		Error(w, http.StatusBadRequest, "weak-password", err.Error())
	case err != nil:
		a.refuse(w, "register", err)
	default:
		a.log.Info("account registered", "name", c.Name, "remote", r.RemoteAddr)
		a.answerToken(w, http.StatusCreated, c.Name)
	}
}

func (a *Auth) handleLogin(w http.ResponseWriter, r *http.Request) {
	c, ok := readCredentials(w, r)
	if !ok {
		return
	}
	key, addr, now := textrules.NameKey(c.Name), a.clientAddr(r), time.Now()
	attempt, err := a.logins.Begin(key, addr, now)
	if err != nil {
		a.refuse(w, "log in", err)
		return
	}
	name, err := a.accounts.Check(r.Context(), addr, key, c.Password)
	switch {
	case errors.Is(err, accounts.ErrBadCredentials):
		a.log.Info("login failed", "name", c.Name, "remote", r.RemoteAddr)
		Error(w, http.StatusUnauthorized, "bad-credentials", "wrong name or password")
	case err != nil:
		attempt.NotChecked(now)
		a.refuse(w, "log in", err)
	default:
		attempt.Succeeded(now)
		a.answerToken(w, http.StatusOK, name)
	}
}

// handleRenew answers a token of an account, still good, with a new one:
// the page renews its token this way before it runs out.
func (a *Auth) handleRenew(w http.ResponseWriter, r *http.Request) {
	c, err := a.Identify(r)
	if err != nil {
		Error(w, http.StatusUnauthorized, "auth-required", err.Error())
		return
	}
	if !a.Known(r.Context(), c.Subject) {
		Error(w, http.StatusUnauthorized, "auth-required", "no such account")
		return
	}
	a.answerToken(w, http.StatusOK, c.Subject)
}

// answerToken answers with a new token for name.
func (a *Auth) answerToken(w http.ResponseWriter, status int, name string) {
	token, exp, err := a.sign(name)
	if err != nil {
		a.refuse(w, "sign a token", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(tokenAnswer{Token: token, Name: name, Expires: exp.UTC().Format(time.RFC3339)})
}

// refuse answers an error that is not the client's doing wrong: 429 when
// the client is over its share or throttled, 503 when the server is busy
// or what keeps the accounts is out of reach, each with Retry-After; 500
// otherwise.
func (a *Auth) refuse(w http.ResponseWriter, what string, err error) {
	var retry *accounts.RetryError
	switch {
	case errors.As(err, &retry) && errors.Is(err, accounts.ErrBusy):
		w.Header().Set("Retry-After", strconv.Itoa(retry.Seconds()))
		Error(w, http.StatusServiceUnavailable, "busy", err.Error())
	case errors.As(err, &retry):
		w.Header().Set("Retry-After", strconv.Itoa(retry.Seconds()))
		Error(w, http.StatusTooManyRequests, "too-many-tries", err.Error())
	case errors.Is(err, engine.ErrUnavailable):
		w.Header().Set("Retry-After", "5")
		Error(w, http.StatusServiceUnavailable, "unavailable", "the accounts cannot be reached right now: try again shortly")
	default:
		a.log.Error(what, "err", err)
		Error(w, http.StatusInternalServerError, "server-error", "the server could not do that")
	}
}

// Error answers {"error": why, "code": code} with status.
func Error(w http.ResponseWriter, status int, code, why string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}{why, code})
}
