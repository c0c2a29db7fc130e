// Package auth says who a chat connection is when names belong to
// someone: with tokens from another service, checked with its key; or
// with the server's own accounts, which it registers, logs in and signs
// tokens for through a small HTTP API (api.go). A server without either
// lets any free name in, and has no Auth.
package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"wschat/internal/accounts"
	"wschat/internal/jwt"
	"wschat/internal/textrules"
)

// Options says how names belong to people.
type Options struct {
	// JWTKey is the file of the key that checks tokens from another
	// service, with what their iss and aud must say ("" checks nothing).
	JWTKey, Issuer, Audience string

	// Accounts turns the server's own accounts on, kept in Records (by
	// default the accounts file of DataDir) and signed for with TokenKey
	// (by default the key in DataDir, made on first start). Signup lets
	// anyone register.
	Accounts bool
	DataDir  string
	Records  accounts.Records
	TokenKey func(ctx context.Context, local []byte, minSize int) ([]byte, error)
	Signup   bool

	// ClientAddr gives the address a request counts against for the
	// limits on logins and registrations; nil: the remote address, an
	// IPv6 one by its /64 (accounts.AddrKey).
	ClientAddr func(*http.Request) string

	Logger *slog.Logger
}

// Auth is who may be whom. Its methods are safe for concurrent use.
type Auth struct {
	verifier   jwt.Verifier
	signer     *jwt.Key                // signs the accounts' tokens; nil for tokens from another service
	accounts   *accounts.Store         // nil for tokens from another service
	logins     *accounts.LoginThrottle // guesses, per name and address and per address
	signups    *accounts.Limiter       // registrations, per address
	signup     bool
	clientAddr func(*http.Request) string
	log        *slog.Logger
}

// Why a token is refused.
var (
	ErrNoToken = errors.New("authentication required: log in, or connect with ?token=YOUR_TOKEN")
	ErrExpired = errors.New("token expired: log in again")
)

// TokenLifetime is how long a token the server signs is good for.
const TokenLifetime = time.Hour

// New returns the Auth o asks for, or nil when any name may join.
func New(o Options) (*Auth, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ClientAddr == nil {
		o.ClientAddr = remoteAddr
	}
	switch {
	case o.JWTKey != "" && o.Accounts:
		return nil, errors.New("-jwt-key and -accounts do not go together: tokens come from one or the other")
	case o.JWTKey != "":
		data, err := os.ReadFile(o.JWTKey)
		if err != nil {
			return nil, fmt.Errorf("-jwt-key: %w", err)
		}
		key, err := jwt.ParseKey(data)
		if err != nil {
			return nil, fmt.Errorf("-jwt-key %s: %w", o.JWTKey, err)
		}
		return &Auth{verifier: jwt.Verifier{Key: key, Issuer: o.Issuer, Audience: o.Audience}, log: o.Logger}, nil
	case o.Accounts:
		return openAccounts(o)
	}
	return nil, nil
}

// openAccounts opens the server's own accounts and the key their tokens
// are signed with.
func openAccounts(o Options) (*Auth, error) {
	if o.Records == nil {
		if o.DataDir == "" {
			return nil, errors.New("-accounts needs -data (or -redis): the accounts are kept there")
		}
		f, err := accounts.OpenFile(o.DataDir, textrules.NameKey)
		if err != nil {
			return nil, fmt.Errorf("open the accounts: %w", err)
		}
		o.Records = f
	}
	secret, err := localSecret(o.DataDir)
	if err == nil && o.TokenKey != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		secret, err = o.TokenKey(ctx, secret, accounts.SecretSize)
		cancel()
	}
	if err != nil {
		return nil, fmt.Errorf("the token key: %w", err)
	}
	key, err := jwt.NewHMACKey(secret)
	if err != nil {
		return nil, fmt.Errorf("the token key: %w", err)
	}
	return &Auth{
		verifier:   jwt.Verifier{Key: key, Issuer: "wschat"},
		signer:     key,
		accounts:   accounts.New(o.Records),
		logins:     accounts.NewLoginThrottle(accounts.DefaultLoginLimits),
		signups:    accounts.NewLimiter(signupRate, maxAddresses),
		signup:     o.Signup,
		clientAddr: o.ClientAddr,
		log:        o.Logger,
	}, nil
}

// localSecret is the token key of dir, made on first start; without a
// directory, a new one for this run (a store several servers share then
// holds the one they all use).
func localSecret(dir string) ([]byte, error) {
	if dir != "" {
		return accounts.LoadOrCreateSecret(dir)
	}
	secret := make([]byte, accounts.SecretSize)
	rand.Read(secret) // never fails (crypto/rand)
	return secret, nil
}

// Mode is how the page should let a person in: "accounts" (log in or
// register) or "token" (a token from another service).
func (a *Auth) Mode() string {
	if a.accounts != nil {
		return "accounts"
	}
	return "token"
}

// Signup reports whether anyone may register.
func (a *Auth) Signup() bool { return a.signup }

// Verify checks a token and returns its claims.
func (a *Auth) Verify(token string) (jwt.Claims, error) {
	c, err := a.verifier.Verify(token)
	if errors.Is(err, jwt.ErrExpired) {
		return c, ErrExpired
	}
	return c, err
}

// Identify checks the token a request brings, in ?token= (what a browser
// can send) or an Authorization: Bearer header, and returns its claims.
// Its errors are the reasons a person reads: ErrNoToken, ErrExpired, or
// what is wrong with the token.
func (a *Auth) Identify(r *http.Request) (jwt.Claims, error) {
	token := r.URL.Query().Get("token")
	if h := r.Header.Get("Authorization"); token == "" && h != "" {
		scheme, t, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			token = strings.TrimSpace(t)
		}
	}
	if token == "" {
		return jwt.Claims{}, ErrNoToken
	}
	c, err := a.Verify(token)
	if err != nil {
		return c, err
	}
	if why := textrules.CheckName("name", c.Subject); why != "" {
		return c, errors.New("the token's subject cannot be a chat name: " + why)
	}
	return c, nil
}

// Known reports whether the name is someone's: a registered account, or
// with tokens from another service any valid name, since only that
// service knows its accounts.
func (a *Auth) Known(ctx context.Context, name string) bool {
	if a.accounts == nil {
		return textrules.CheckName("name", name) == ""
	}
	ok, err := a.accounts.Exists(ctx, textrules.NameKey(name))
	return err == nil && ok
}

// sign makes a token for the account name.
func (a *Auth) sign(name string) (string, time.Time, error) {
	now := time.Now()
	exp := now.Add(TokenLifetime).Truncate(time.Second)
	t, err := jwt.Sign(a.signer, jwt.Claims{Subject: name, Issuer: "wschat", IssuedAt: now, Expires: exp})
	return t, exp, err
}

// remoteAddr is the address a request came from, an IPv6 one by its /64.
func remoteAddr(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return accounts.AddrKey(ap.Addr())
}
