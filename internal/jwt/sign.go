package jwt

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// hs256Header is the JOSE Header of every token Sign makes.
const hs256Header = `{"alg":"HS256","typ":"JWT"}`

// wireClaims is the JSON form of Claims that Sign writes.
type wireClaims struct {
	Subject   string `json:"sub"`
	Issuer    string `json:"iss,omitempty"`
	Audience  any    `json:"aud,omitempty"`
	Expires   int64  `json:"exp"`
	NotBefore *int64 `json:"nbf,omitempty"`
	IssuedAt  *int64 `json:"iat,omitempty"`
	ID        string `json:"jti,omitempty"`
	Admin     bool   `json:"admin,omitempty"`
}

// Sign makes an HS256 token (RFC 7519 §7.1) holding c. Times are written
// as whole seconds; zero times and empty strings are left out, and a
// single audience is written as a string. Sign refuses what Verify would
// refuse: an empty Subject or a zero Expires. Only an HMAC key can sign;
// public keys only check.
func Sign(k *Key, c Claims) (string, error) {
	if k == nil || k.alg != HS256 {
		return "", errors.New("jwt: Sign needs an HMAC secret; a public key can only check tokens")
	}
	if c.Subject == "" {
		return "", fmt.Errorf("jwt: sign: %w: sub", ErrMissingClaim)
	}
	if c.Expires.IsZero() {
		return "", fmt.Errorf("jwt: sign: %w: exp", ErrMissingClaim)
	}
	payload, err := json.Marshal(toWire(c))
	if err != nil {
		return "", fmt.Errorf("jwt: sign: %w", err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(hs256Header)) + "." + enc.EncodeToString(payload)
	return input + "." + enc.EncodeToString(k.mac([]byte(input))), nil
}

func toWire(c Claims) wireClaims {
	w := wireClaims{
		Subject:   c.Subject,
		Issuer:    c.Issuer,
		Expires:   c.Expires.Unix(),
		NotBefore: unixOrNil(c.NotBefore),
		IssuedAt:  unixOrNil(c.IssuedAt),
		ID:        c.ID,
		Admin:     c.Admin,
	}
	switch len(c.Audience) {
	case 0:
	case 1:
		w.Audience = c.Audience[0]
	default:
		w.Audience = c.Audience
	}
	return w
}

func unixOrNil(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	u := t.Unix()
	return &u
}
