// Package jwt checks JSON Web Tokens (RFC 7519) in the JWS Compact
// Serialization (RFC 7515 §7.1), and signs HS256 tokens for built-in
// accounts.
//
// The algorithm is fixed by the Key, never read from the token: a token
// whose header names another algorithm is refused before its signature is
// looked at, which rules out the "none" and HMAC-with-a-public-key
// confusions. One key means one algorithm: HS256, RS256, ES256 or EdDSA
// (RFC 7518 §3, RFC 8037 §3.1).
//
// Parsing is strict: at most MaxTokenSize bytes; exactly three segments in
// the unpadded base64url alphabet (RFC 7515 §2), with no line breaks or
// non-canonical trailing bits; header and claims are JSON objects in valid
// UTF-8 with no duplicate member names; a "crit" header is refused, as this
// package implements no extension (RFC 7515 §4.1.11). Member names are
// matched exactly, not case-insensitively. Error values never repeat any
// part of the token, so they are safe to log and to show to the client.
package jwt

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MaxTokenSize bounds the token, in bytes, before anything is decoded.
const MaxTokenSize = 8 << 10

// DefaultLeeway is the clock skew allowed when Verifier.Leeway is zero.
const DefaultLeeway = 30 * time.Second

// Reasons a token is refused. Verify wraps them with detail; test with
// errors.Is.
var (
	ErrMalformed    = errors.New("token is malformed")
	ErrAlgorithm    = errors.New("token algorithm is not accepted")
	ErrSignature    = errors.New("token signature is invalid")
	ErrExpired      = errors.New("token expired")
	ErrNotYetValid  = errors.New("token is not valid yet")
	ErrIssuer       = errors.New("token issuer is not accepted")
	ErrAudience     = errors.New("token audience is not accepted")
	ErrMissingClaim = errors.New("token lacks a required claim")
)

// Claims are the registered claims of RFC 7519 §4.1 that this package
// reads. A zero time means the claim was absent. Times are in UTC.
type Claims struct {
	Subject   string    // "sub", required and non-empty
	Issuer    string    // "iss"
	Audience  []string  // "aud": a string or an array of strings (§4.1.3)
	Expires   time.Time // "exp", required
	NotBefore time.Time // "nbf"
	IssuedAt  time.Time // "iat", read but not checked
	ID        string    // "jti"
	// Admin is the private claim "admin": true, by which the service
	// that issues tokens names the chat's administrators.
	Admin bool
}

// Verifier checks tokens against one key and the expected claims.
type Verifier struct {
	Key *Key
	// Issuer, when not empty, must equal the token's "iss".
	Issuer string
	// Audience, when not empty, must be one of the token's "aud" values.
	// When empty, "aud" is not checked; a server that accepts tokens from
	// an identity provider shared with other services should set it
	// (RFC 7519 §4.1.3).
	Audience string
	// Leeway is the clock skew allowed on "exp" and "nbf". Zero means
	// DefaultLeeway; a negative value means none.
	Leeway time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Verify checks token's size, syntax, algorithm, signature and claims, in
// that order, and returns its claims. The claims are decoded only once
// the signature is good.
func (v *Verifier) Verify(token string) (Claims, error) {
	if v.Key == nil || v.Key.alg == "" {
		return Claims{}, errors.New("jwt: verifier has no key")
	}
	seg, err := splitToken(token)
	if err != nil {
		return Claims{}, err
	}
	if err := v.checkHeader(seg.header); err != nil {
		return Claims{}, err
	}
	if !v.Key.verify([]byte(seg.signingInput), seg.signature) {
		return Claims{}, ErrSignature
	}
	c, err := parseClaims(seg.payload)
	if err != nil {
		return Claims{}, err
	}
	if err := v.checkClaims(c); err != nil {
		return Claims{}, err
	}
	return c, nil
}

// checkHeader applies RFC 7515 §5.2 steps 4-5 to the JOSE Header.
func (v *Verifier) checkHeader(data []byte) error {
	h, err := parseObject(data)
	if err != nil {
		return fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if _, ok := h["crit"]; ok { // RFC 7515 §4.1.11
		return fmt.Errorf("%w: header lists critical extensions (crit), and none is supported", ErrMalformed)
	}
	raw, ok := h["alg"]
	if !ok {
		return fmt.Errorf("%w: header has no alg", ErrAlgorithm)
	}
	alg, err := stringMember(raw)
	if err != nil {
		return fmt.Errorf("%w: header alg is not a string", ErrMalformed)
	}
	if strings.EqualFold(alg, "none") { // RFC 7518 §3.6, RFC 8725 §3.1
		return fmt.Errorf("%w: unsecured tokens (alg none) are refused", ErrAlgorithm)
	}
	if alg != v.Key.alg {
		return fmt.Errorf("%w: the key only accepts %s", ErrAlgorithm, v.Key.alg)
	}
	return nil
}

// checkClaims applies RFC 7519 §4.1 to signed claims.
func (v *Verifier) checkClaims(c Claims) error {
	if c.Subject == "" {
		return fmt.Errorf("%w: sub", ErrMissingClaim)
	}
	if c.Expires.IsZero() {
		return fmt.Errorf("%w: exp", ErrMissingClaim)
	}
	if v.Issuer != "" && c.Issuer != v.Issuer {
		return ErrIssuer
	}
	if v.Audience != "" && !slices.Contains(c.Audience, v.Audience) {
		return ErrAudience
	}
	now, leeway := v.now(), v.leeway()
	if !now.Before(c.Expires.Add(leeway)) { // §4.1.4
		return ErrExpired
	}
	if !c.NotBefore.IsZero() && now.Add(leeway).Before(c.NotBefore) { // §4.1.5
		return ErrNotYetValid
	}
	return nil
}

func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

func (v *Verifier) leeway() time.Duration {
	switch {
	case v.Leeway == 0:
		return DefaultLeeway
	case v.Leeway < 0:
		return 0
	}
	return v.Leeway
}
