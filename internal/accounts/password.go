package accounts

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Password hashing parameters. Iterations follow the OWASP Password
// Storage Cheat Sheet, which asks for at least 600,000 iterations of
// PBKDF2-HMAC-SHA256 (figure as of 2023, still current):
// https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#pbkdf2
const (
	Iterations = 600_000
	saltSize   = 16
	hashSize   = sha256.Size
	hashScheme = "pbkdf2-sha256"

	// Stored iteration counts outside these bounds mark a damaged file,
	// and bound the work one Check can cost.
	minIterations = 1_000
	maxIterations = 10_000_000
)

// Password length rule, enforced at registration.
const (
	MinPasswordChars = 8
	MaxPasswordBytes = 1024
)

// passwordHash is a parsed `pbkdf2-sha256$ITER$SALT$HASH`.
type passwordHash struct {
	iter int
	salt []byte
	sum  []byte
}

func (h passwordHash) String() string {
	return hashScheme + "$" + strconv.Itoa(h.iter) + "$" + base64.RawStdEncoding.EncodeToString(h.salt) + "$" + base64.RawStdEncoding.EncodeToString(h.sum)
}

func parseHash(s string) (passwordHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 4 || parts[0] != hashScheme {
		return passwordHash{}, errors.New("password hash is not pbkdf2-sha256$ITER$SALT$HASH")
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < minIterations || iter > maxIterations {
		return passwordHash{}, fmt.Errorf("password hash iterations must be %d to %d", minIterations, maxIterations)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[2])
	if err != nil || len(salt) != saltSize {
		return passwordHash{}, fmt.Errorf("password hash salt must be %d bytes of base64", saltSize)
	}
	sum, err := base64.RawStdEncoding.DecodeString(parts[3])
	if err != nil || len(sum) != hashSize {
		return passwordHash{}, fmt.Errorf("password hash must be %d bytes of base64", hashSize)
	}
	return passwordHash{iter: iter, salt: salt, sum: sum}, nil
}

// randomHash is a hash no password is known to match; Check compares
// against it for unknown names, so they cost what a wrong password costs.
func randomHash(iter int) passwordHash {
	h := passwordHash{iter: iter, salt: make([]byte, saltSize), sum: make([]byte, hashSize)}
	rand.Read(h.salt)
	rand.Read(h.sum)
	return h
}

// checkPassword applies the registration rule.
func checkPassword(password string) error {
	if len(password) > MaxPasswordBytes || utf8.RuneCountInString(password) < MinPasswordChars {
		return ErrWeakPassword
	}
	return nil
}

// pbkdf2Key computes PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) of password.
func pbkdf2Key(password string, salt []byte, iter int) ([]byte, error) {
	return pbkdf2.Key(sha256.New, password, salt, iter, hashSize)
}

// derive hashes password once the scheduler gives p a slot, waiting at
// most s.queueWait for it.
func (s *Store) derive(ctx context.Context, p party, password string, salt []byte, iter int) ([]byte, error) {
	t, err := s.sched.enter(p, float64(iter)/Iterations)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.queueWait)
	defer cancel()
	if err := t.wait(ctx); err != nil {
		return nil, err
	}
	defer t.done()
	return s.kdf(password, salt, iter)
}

// newHash hashes password for p with a fresh salt.
func (s *Store) newHash(ctx context.Context, p party, password string) (passwordHash, error) {
	salt := make([]byte, saltSize)
	rand.Read(salt)
	sum, err := s.derive(ctx, p, password, salt, s.iter)
	if err != nil {
		return passwordHash{}, err
	}
	return passwordHash{iter: s.iter, salt: salt, sum: sum}, nil
}

// matches reports whether password hashes to want, comparing in constant
// time.
func (s *Store) matches(ctx context.Context, p party, want passwordHash, password string) (bool, error) {
	sum, err := s.derive(ctx, p, password, want.salt, want.iter)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(sum, want.sum) == 1, nil
}
