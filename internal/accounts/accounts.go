// Package accounts keeps the server's built-in accounts: names with
// passwords, stored in a data directory, and the secret that signs their
// tokens. It also throttles failed logins.
//
// Passwords are hashed with PBKDF2-HMAC-SHA256, a random 16-byte salt per
// account and Iterations rounds, and are never stored or logged in plain
// text. One hash costs hundreds of milliseconds of CPU, so a Store runs at
// most half the CPUs' worth of hashes at once (at least one), and lets
// only a bounded queue wait behind them: past it, Register and Check
// return ErrBusy at once, so that a login flood can neither take every
// core nor pile up goroutines. A Throttle in front of Check keeps one
// name or one address from guessing.
//
// The accounts file is rewritten whole on each registration (temporary
// file, fsync, rename, fsync of the directory), so it is never seen half
// written. One process at a time may use a directory.
package accounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unicode/utf8"
)

// Reasons Register and Check fail. Their messages can be shown to users.
var (
	ErrTaken          = errors.New("name is already registered")
	ErrWeakPassword   = fmt.Errorf("password must be at least %d characters and at most %d bytes", MinPasswordChars, MaxPasswordBytes)
	ErrBadCredentials = errors.New("wrong name or password")
	ErrBusy           = errors.New("too many logins at once; try again shortly")
)

// MaxNameBytes bounds an account's key and name.
const MaxNameBytes = 256

// accountsFile is the file, in the data directory, that holds accounts.
const accountsFile = "accounts"

// account is one registered name.
type account struct {
	name string
	hash passwordHash
}

// Store holds the built-in accounts of one data directory. It is safe for
// concurrent use.
type Store struct {
	path    string
	iter    int // PBKDF2 iterations for new hashes
	hasher  *hasher
	unknown passwordHash // compared against for names not registered

	mu       sync.Mutex // guards accounts and the file
	accounts map[string]account
}

// Open reads the accounts in dir/accounts, creating dir (mode 0700) if
// needed; a missing file means no accounts yet. A file that others may
// read, or that does not parse, is refused.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	s := &Store{
		path:     filepath.Join(dir, accountsFile),
		iter:     Iterations,
		hasher:   newHasher(),
		unknown:  randomHash(Iterations),
		accounts: make(map[string]account),
	}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return s, nil
}

// Register adds an account. key is the caller's case-folded form of name:
// names are unique by key. The password must be at least MinPasswordChars
// characters and at most MaxPasswordBytes bytes (ErrWeakPassword).
func (s *Store) Register(key, name, password string) error {
	if err := checkName(key, name); err != nil {
		return err
	}
	if err := checkPassword(password); err != nil {
		return err
	}
	if s.Exists(key) {
		return ErrTaken
	}
	h, err := s.hasher.newHash(password, s.iter)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.accounts[key]; taken {
		return ErrTaken
	}
	s.accounts[key] = account{name: name, hash: h}
	if err := s.save(); err != nil {
		delete(s.accounts, key)
		return fmt.Errorf("accounts: register: %w", err)
	}
	return nil
}

// Check returns the registered name for key if password is its password.
// A wrong password and an unknown name both give ErrBadCredentials after
// the same work (one hash at Iterations rounds, which every account made
// by this version has), so that timing does not tell which names exist.
// ErrBusy means the hashing queue is full.
func (s *Store) Check(key, password string) (name string, err error) {
	if len(password) > MaxPasswordBytes {
		return "", ErrBadCredentials // no account can have it
	}
	s.mu.Lock()
	a, known := s.accounts[key]
	s.mu.Unlock()
	if !known {
		a.hash = s.unknown
	}
	ok, err := s.hasher.matches(a.hash, password)
	if err != nil {
		return "", err
	}
	if !ok || !known {
		return "", ErrBadCredentials
	}
	return a.name, nil
}

// Exists reports whether key is registered.
func (s *Store) Exists(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.accounts[key]
	return ok
}

func checkName(key, name string) error {
	for _, s := range []string{key, name} {
		if s == "" || len(s) > MaxNameBytes || !utf8.ValidString(s) {
			return fmt.Errorf("accounts: name and key must be 1 to %d bytes of UTF-8", MaxNameBytes)
		}
	}
	return nil
}
