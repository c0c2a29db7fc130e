package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"wschat/internal/accounts"
	"wschat/internal/chat"
	"wschat/internal/engine"
	"wschat/internal/jwt"
	"wschat/internal/textrules"
)

// auth decides who a chat connection is, when tokens are on: with
// -jwt-key, tokens come from another service and are checked with its
// key; with -accounts, the server keeps accounts of its own and signs the
// tokens its logins hand out.
type auth struct {
	verifier jwt.Verifier
	signer   *jwt.Key           // signs tokens for built-in accounts; nil with -jwt-key
	accounts *accounts.Store    // nil with -jwt-key
	throttle *accounts.Throttle // failed logins, by name and by address
	signups  *accounts.Throttle // registrations, by address
	signup   bool               // POST /api/register is open
	shared   sharedAccounts     // with -redis, where built-in accounts and their token key are shared; nil keeps them here
	log      *slog.Logger
}

// Built-in accounts' tokens, and the throttle on their logins.
const (
	tokenLifetime = time.Hour        // how long a token the server signs is good for
	loginTries    = 5                // failed logins at once, per name and per address
	loginWindow   = 15 * time.Minute // in which loginTries more are allowed, one by one
	loginEntries  = 100_000          // names and addresses the throttle remembers
	signupTries   = 5                // registrations at once from one address
	signupWindow  = time.Hour        // in which signupTries more are allowed, one by one
	maxAuthBody   = 4 << 10          // the largest register or login request
)

// newAuth returns the authentication cfg asks for, or nil when the chat
// is open to any name.
func newAuth(cfg Config, log *slog.Logger, shared sharedAccounts) (*auth, error) {
	switch {
	case cfg.JWTKey != "" && cfg.Accounts:
		return nil, errors.New("-jwt-key and -accounts do not go together: tokens come from one or the other")
	case cfg.JWTKey != "":
		data, err := os.ReadFile(cfg.JWTKey)
		if err != nil {
			return nil, fmt.Errorf("-jwt-key: %w", err)
		}
		key, err := jwt.ParseKey(data)
		if err != nil {
			return nil, fmt.Errorf("-jwt-key %s: %w", cfg.JWTKey, err)
		}
		return &auth{verifier: jwt.Verifier{Key: key, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience}, log: log}, nil
	case cfg.Accounts:
		if cfg.DataDir == "" {
			return nil, errors.New("-accounts needs -data: the accounts are kept there")
		}
		return openAccounts(cfg.DataDir, cfg.Signup, log, shared)
	}
	return nil, nil
}

// openAccounts opens the built-in accounts kept in dir, and the key their
// tokens are signed with, made on first start.
func openAccounts(dir string, signup bool, log *slog.Logger, shared sharedAccounts) (*auth, error) {
	store, err := accounts.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open the accounts: %w", err)
	}
	secret, err := accounts.LoadOrCreateSecret(dir)
	if err == nil && shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
		secret, err = shared.TokenKey(ctx, secret, accounts.SecretSize)
		cancel()
	}
	if err != nil {
		return nil, fmt.Errorf("the token key: %w", err)
	}
	key, err := jwt.NewHMACKey(secret)
	if err != nil {
		return nil, fmt.Errorf("the token key: %w", err)
	}
	return &auth{
		verifier: jwt.Verifier{Key: key, Issuer: "wschat"},
		signer:   key,
		accounts: store,
		throttle: accounts.NewThrottle(loginTries, loginTries, loginWindow, loginEntries),
		signups:  accounts.NewThrottle(0, signupTries, signupWindow, loginEntries),
		signup:   signup,
		shared:   shared,
		log:      log,
	}, nil
}

// identify checks the token a chat connection brings, in ?token= (what a
// browser can send) or an Authorization: Bearer header, and returns its
// claims, or the refusal.
func (a *auth) identify(r *http.Request) (jwt.Claims, error) {
	c, why := a.check(r)
	switch {
	case why == "":
		return c, nil
	case why == tokenExpired:
		return c, &chat.Refusal{Code: chat.CodeTokenExpired, Text: why}
	}
	return c, &chat.Refusal{Code: chat.CodeAuthRequired, Text: why}
}

// tokenExpired is the reason a token that ran out is refused with.
const tokenExpired = "token expired: log in again"

// check checks the token a request brings, and returns its claims, or
// the reason a person reads when it is refused.
func (a *auth) check(r *http.Request) (jwt.Claims, string) {
	token := r.URL.Query().Get("token")
	if h := r.Header.Get("Authorization"); token == "" && h != "" {
		scheme, t, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			token = strings.TrimSpace(t)
		}
	}
	if token == "" {
		return jwt.Claims{}, "authentication required: log in, or connect with ?token=YOUR_TOKEN"
	}
	c, err := a.verifier.Verify(token)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return c, tokenExpired
	case err != nil:
		return c, err.Error()
	}
	if why := textrules.CheckName("name", c.Subject); why != "" {
		return c, "the token's subject cannot be a chat name: " + why
	}
	return c, ""
}

// sign makes a token for the built-in account name.
func (a *auth) sign(name string) (string, time.Time, error) {
	now := time.Now()
	exp := now.Add(tokenLifetime).Truncate(time.Second)
	t, err := jwt.Sign(a.signer, jwt.Claims{Subject: name, Issuer: "wschat", IssuedAt: now, Expires: exp})
	return t, exp, err
}

// register routes the built-in accounts' API on mux.
func (a *auth) register(mux *http.ServeMux) {
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
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAuthBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			apiError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request is too large: at most %d bytes", maxAuthBody))
		} else {
			apiError(w, http.StatusBadRequest, `send JSON: {"name":"...","password":"..."}`)
		}
		return c, false
	}
	c.Name = strings.TrimSpace(c.Name)
	return c, true
}

func (a *auth) handleRegister(w http.ResponseWriter, r *http.Request) {
	if !a.signup {
		apiError(w, http.StatusForbidden, "registration is closed on this server")
		return
	}
	c, ok := readCredentials(w, r)
	if !ok {
		return
	}
	if why := textrules.CheckName("name", c.Name); why != "" {
		apiError(w, http.StatusBadRequest, why)
		return
	}
	if !allow(w, r, a.signups, "") {
		return
	}
	a.signups.Failed("", addrKey(r.RemoteAddr), time.Now()) // every registration counts
	switch err := a.registerAccount(textrules.Fold(c.Name), c.Name, c.Password); {
	case errors.Is(err, accounts.ErrTaken):
		apiError(w, http.StatusConflict, fmt.Sprintf("name %q is taken: choose another", c.Name))
	case errors.Is(err, accounts.ErrWeakPassword):
		apiError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, engine.ErrUnavailable):
		apiError(w, http.StatusServiceUnavailable, "registration is closed while the chat cannot reach Redis: try again shortly")
	case err != nil:
		a.serverError(w, "register", err)
	default:
		a.log.Info("account registered", "name", c.Name, "remote", r.RemoteAddr)
		a.answerToken(w, http.StatusCreated, c.Name)
	}
}

func (a *auth) handleLogin(w http.ResponseWriter, r *http.Request) {
	c, ok := readCredentials(w, r)
	if !ok {
		return
	}
	key := textrules.Fold(c.Name)
	if !allow(w, r, a.throttle, key) {
		return
	}
	a.exists(key) // with -redis, brings an account registered on another node here
	name, err := a.accounts.Check(key, c.Password)
	switch {
	case errors.Is(err, accounts.ErrBadCredentials):
		a.throttle.Failed(key, addrKey(r.RemoteAddr), time.Now())
		a.log.Info("login failed", "name", c.Name, "remote", r.RemoteAddr)
		apiError(w, http.StatusUnauthorized, "wrong name or password")
	case err != nil:
		a.serverError(w, "log in", err)
	default:
		a.throttle.Succeeded(key, addrKey(r.RemoteAddr))
		a.share(key)
		a.answerToken(w, http.StatusOK, name)
	}
}

// handleRenew answers a token of a built-in account, still good, with a
// new one: the page renews its token this way before it runs out.
func (a *auth) handleRenew(w http.ResponseWriter, r *http.Request) {
	c, why := a.check(r)
	if why != "" {
		apiError(w, http.StatusUnauthorized, why)
		return
	}
	if !a.exists(textrules.Fold(c.Subject)) {
		apiError(w, http.StatusUnauthorized, "no such account")
		return
	}
	a.answerToken(w, http.StatusOK, c.Subject)
}

// allow applies throttle t to a request for the account key, answering
// 429 with Retry-After when it is over.
func allow(w http.ResponseWriter, r *http.Request, t *accounts.Throttle, key string) bool {
	wait, ok := t.Allow(key, addrKey(r.RemoteAddr), time.Now())
	if ok {
		return true
	}
	secs := int(wait.Round(time.Second) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	apiError(w, http.StatusTooManyRequests, fmt.Sprintf("too many tries: wait %d s", max(secs, 1)))
	return false
}

// answerToken answers with a new token for name.
func (a *auth) answerToken(w http.ResponseWriter, status int, name string) {
	token, exp, err := a.sign(name)
	if err != nil {
		a.serverError(w, "sign a token", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(tokenAnswer{Token: token, Name: name, Expires: exp.UTC().Format(time.RFC3339)})
}

// serverError answers 503 to a hashing queue that is full, 500 otherwise.
func (a *auth) serverError(w http.ResponseWriter, what string, err error) {
	if errors.Is(err, accounts.ErrBusy) {
		w.Header().Set("Retry-After", "1")
		apiError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	a.log.Error(what, "err", err)
	apiError(w, http.StatusInternalServerError, "the server could not do that")
}

// apiError answers {"error": why} with status.
func apiError(w http.ResponseWriter, status int, why string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{why})
}
