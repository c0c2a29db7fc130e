// Package accounts keeps the server's built-in accounts: names with
// passwords, stored in a data directory, and the secret that signs their
// tokens. It also limits logins.
//
// Passwords are hashed with PBKDF2-HMAC-SHA256, a random 16-byte salt per
// account and Iterations rounds, and are never stored or logged in plain
// text. One hash costs hundreds of milliseconds of CPU, so a Store runs at
// most half the CPUs' worth of hashes at once (at least one), and shares
// them out fairly: when a slot frees, it goes to the waiting login whose
// client address and account have hashed least lately, so that a flood
// from some addresses, or at one account, delays everyone else by no more
// than the hashes already running. Waiting is bounded per address, in
// all, and in time; past those bounds Register and Check fail at once
// with a *RetryError (ErrOverShare or ErrBusy). A LoginThrottle in front
// of Check limits guessing: per name and address together, per address
// across names, and every attempt per address.
//
// The accounts file is rewritten whole on each registration (temporary
// file, fsync, rename, fsync of the directory), so it is never seen half
// written. One process at a time may use a directory.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Reasons Register and Check fail. Their messages can be shown to users.
var (
	ErrTaken          = errors.New("name is already registered")
	ErrWeakPassword   = fmt.Errorf("password must be at least %d characters and at most %d bytes", MinPasswordChars, MaxPasswordBytes)
	ErrBadCredentials = errors.New("wrong name or password")
)

// Reasons a login or registration is refused for now, each wrapped in a
// *RetryError. ErrThrottled and ErrOverShare are about the client (HTTP
// 429), ErrBusy is about the server (HTTP 503).
var (
	ErrThrottled = errors.New("too many attempts")
	ErrOverShare = errors.New("too many logins at once from this address")
	ErrBusy      = errors.New("the server is busy with other logins")
)

// RetryError is a refusal that may succeed later: Err says why
// (ErrThrottled, ErrOverShare or ErrBusy; test with errors.Is), After how
// long to wait.
type RetryError struct {
	Err   error
	After time.Duration
}

func (e *RetryError) Error() string {
	return e.Err.Error() + "; try again in " + strconv.Itoa(e.Seconds()) + " s"
}

func (e *RetryError) Unwrap() error { return e.Err }

// Seconds is After in whole seconds, rounded up and at least 1: the value
// for a Retry-After header (RFC 9110 §10.2.3).
func (e *RetryError) Seconds() int {
	return max(1, int((e.After+time.Second-1)/time.Second))
}

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
	path      string
	iter      int           // PBKDF2 iterations for new hashes
	unknown   passwordHash  // compared against for names not registered
	sched     *scheduler    // shares the hashing slots
	queueWait time.Duration // the longest a hash waits for a slot
	// kdf is pbkdf2Key, which tests wrap to see the order hashes run in.
	kdf func(password string, salt []byte, iter int) ([]byte, error)

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
		path:      filepath.Join(dir, accountsFile),
		iter:      Iterations,
		sched:     newScheduler(runtime.GOMAXPROCS(0)/2, time.Now),
		queueWait: maxQueueWait,
		kdf:       pbkdf2Key,
		unknown:   randomHash(Iterations),
		accounts:  make(map[string]account),
	}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return s, nil
}

// Register adds an account for a client at addr (see AddrKey; "" for
// the server's own tools). key is the caller's case-folded form of name:
// names are unique by key. The password must be at least MinPasswordChars
// characters and at most MaxPasswordBytes bytes (ErrWeakPassword). Its
// hash waits for a slot as Check's does.
func (s *Store) Register(ctx context.Context, addr, key, name, password string) error {
	if err := checkName(key, name); err != nil {
		return err
	}
	if err := checkPassword(password); err != nil {
		return err
	}
	if s.Exists(key) {
		return ErrTaken
	}
	h, err := s.newHash(ctx, party{addr, key}, password)
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

// Check returns the registered name for key if password is its password,
// for a client at addr (see AddrKey). A wrong password and an unknown name
// both give ErrBadCredentials after the same work (one hash at Iterations
// rounds, which every account made by this version has), so that timing
// does not tell which names exist. The hash waits for a slot until ctx
// ends or for at most 3 s (maxQueueWait); a *RetryError wrapping ErrOverShare
// or ErrBusy means it was not run.
func (s *Store) Check(ctx context.Context, addr, key, password string) (name string, err error) {
	if len(password) > MaxPasswordBytes || len(key) > MaxNameBytes {
		return "", ErrBadCredentials // no account can have it
	}
	s.mu.Lock()
	a, known := s.accounts[key]
	s.mu.Unlock()
	if !known {
		a.hash = s.unknown
	}
	ok, err := s.matches(ctx, party{addr, key}, a.hash, password)
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
