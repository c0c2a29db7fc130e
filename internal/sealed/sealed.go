// Package sealed checks the envelope of end-to-end encrypted messages
// (docs/encryption.md, "sealed format v1") as the server carries them: it
// cannot open one, but it checks that one has the shape and sizes of the
// format, that it names its sender as the server knows the sender, and,
// for a private message, its recipient, and it re-encodes the fields it
// knows, so that what is kept and passed on is the format and nothing
// beside it.
package sealed

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// The suites of format v1, as "alg" names them.
const (
	PrivateAlg = "X25519-HKDF-SHA256-A256GCM"
	RoomAlg    = "PBKDF2-SHA256-A256GCM"
)

// Bounds of format v1 (docs/encryption.md, "Limits").
const (
	MaxBody       = 32 << 10 // the plaintext body, in bytes
	MaxDevices    = 64       // devices a private message is sealed for
	MaxRecipients = 16       // accounts a private message is addressed to
	MaxName       = 128      // an account's name, in bytes
	// MaxSize bounds a sealed object as a client sends it, in bytes: a
	// private message for MaxDevices with a full body is about 51 KiB.
	MaxSize = 56 << 10
)

const tag = 16 // AES-GCM's tag, in bytes

// Private is a sealed private message's envelope.
type Private struct {
	V      int      `json:"v"`
	Alg    string   `json:"alg"`
	Sender string   `json:"sender"`
	SKID   string   `json:"skid"`
	To     []string `json:"to"`
	Nonce  string   `json:"nonce"`
	KC     string   `json:"kc"`
	Keys   []Key    `json:"keys"`
	CT     string   `json:"ct"`
}

// Key is one device's wrapped content key.
type Key struct {
	KID string `json:"kid"`
	WK  string `json:"wk"`
}

// Room is a sealed room message's envelope.
type Room struct {
	V      int    `json:"v"`
	Alg    string `json:"alg"`
	Sender string `json:"sender"`
	KID    string `json:"kid"`
	Nonce  string `json:"nonce"`
	CT     string `json:"ct"`
}

// CheckPrivate reads raw as a sealed private message from sender to the
// recipient whose name, as compared, is toKey (fold compares names), and
// returns it re-encoded, or why it is not one.
func CheckPrivate(raw []byte, sender, toKey string, fold func(string) string) ([]byte, error) {
	var p Private
	if err := decode(raw, &p, PrivateAlg); err != nil {
		return nil, err
	}
	switch {
	case p.Sender != sender:
		return nil, fmt.Errorf("sender is %q, not you", p.Sender)
	case len(p.To) > MaxRecipients:
		return nil, fmt.Errorf("to names more than %d accounts", MaxRecipients)
	case len(p.Keys) < 1 || len(p.Keys) > MaxDevices:
		return nil, fmt.Errorf("keys has 1 to %d entries", MaxDevices)
	case !bytesOf(p.SKID, 16) || !bytesOf(p.Nonce, 12) || !bytesOf(p.KC, 32) || !ciphertext(p.CT):
		return nil, errors.New("skid, nonce, kc or ct is not of its size in base64url")
	}
	for i, n := range p.To {
		if !name(n) || i > 0 && p.To[i-1] >= n {
			return nil, errors.New("to is not a sorted list of distinct names")
		}
	}
	for i, k := range p.Keys {
		if !bytesOf(k.KID, 16) || !bytesOf(k.WK, 32+tag) || i > 0 && p.Keys[i-1].KID >= k.KID {
			return nil, errors.New("keys is not a list of {kid, wk} sorted by kid")
		}
	}
	if fold(sender) != toKey && !slices.ContainsFunc(p.To, func(n string) bool { return fold(n) == toKey }) {
		return nil, errors.New("to does not name the recipient")
	}
	return json.Marshal(p)
}

// CheckRoom reads raw as a sealed room message from sender, and returns
// it re-encoded, or why it is not one.
func CheckRoom(raw []byte, sender string) ([]byte, error) {
	var r Room
	if err := decode(raw, &r, RoomAlg); err != nil {
		return nil, err
	}
	switch {
	case r.Sender != sender:
		return nil, fmt.Errorf("sender is %q, not you", r.Sender)
	case !bytesOf(r.KID, 16) || !bytesOf(r.Nonce, 12) || !ciphertext(r.CT):
		return nil, errors.New("kid, nonce or ct is not of its size in base64url")
	}
	return json.Marshal(r)
}

// decode reads raw, within MaxSize, into v, which must be of format
// version 1 and suite alg.
func decode(raw []byte, v any, alg string) error {
	if len(raw) > MaxSize {
		return fmt.Errorf("a sealed message is at most %d bytes", MaxSize)
	}
	var head struct {
		V   json.RawMessage `json:"v"`
		Alg string          `json:"alg"`
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &head) != nil {
		return errors.New("sealed is not an object")
	}
	if string(head.V) != "1" || head.Alg != alg {
		return fmt.Errorf("sealed must be of version 1 and alg %q", alg)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("sealed does not read: %v", err)
	}
	return nil
}

// name reports whether n is a name of the format: 1 to MaxName bytes of UTF-8.
func name(n string) bool { return n != "" && len(n) <= MaxName && utf8.ValidString(n) }

// bytesOf reports whether s is exactly n bytes in canonical base64url
// (RFC 4648 §5, no padding, unused bits zero).
func bytesOf(s string, n int) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(n) {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == n
}

// ciphertext reports whether s is a body's ciphertext with its tag, in
// canonical base64url: tag to MaxBody+tag bytes.
func ciphertext(s string) bool {
	enc := base64.RawURLEncoding
	if len(s) < enc.EncodedLen(tag) || len(s) > enc.EncodedLen(MaxBody+tag) {
		return false
	}
	b, err := enc.Strict().DecodeString(s)
	return err == nil && len(b) >= tag && len(s) == enc.EncodedLen(len(b))
}

// KeyID returns the key id of a device's public key given as canonical
// base64url: base64url of the first 16 bytes of SHA-256 of its 32 bytes
// (docs/encryption.md, "Device keys and key ids"). It fails on anything
// that is not 32 bytes so written.
func KeyID(key string) (string, error) {
	if !bytesOf(key, 32) {
		return "", errors.New("a device key is 32 bytes in base64url without padding (43 characters)")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(key)
	sum := sha256.Sum256(raw)
	return base64.RawURLEncoding.EncodeToString(sum[:16]), nil
}
