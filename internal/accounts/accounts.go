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
// Accounts are kept in Records: the accounts file of a data directory,
// rewritten whole on each registration (temporary file, fsync, rename,
// fsync of the directory) so that it is never seen half written, or a
// store several servers share.
package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
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

// Records is where accounts are kept: a file in a data directory for one
// server (OpenFile), or a store that several servers of one chat share.
// A record is what Store writes (name and password hash, never the
// password), under the account's key.
type Records interface {
	// Get returns the record kept under key, or nil when there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// Reserve claims key for a registration about to hash its password,
	// so that of two registrations of one key, on any server, only one
	// goes on: it fails with ErrTaken when key has an account, or another
	// registration has claimed it. release gives the claim back.
	Reserve(ctx context.Context, key string) (release func(), err error)
	// Put keeps rec as the account of key, which the caller has reserved.
	Put(ctx context.Context, key string, rec []byte) error
}

// Store holds the built-in accounts: it hashes and checks passwords, and
// keeps the accounts in its Records. It is safe for concurrent use.
type Store struct {
	records   Records
	iter      int           // PBKDF2 iterations for new hashes
	unknown   passwordHash  // compared against for names not registered
	sched     *scheduler    // shares the hashing slots
	queueWait time.Duration // the longest a hash waits for a slot
	// kdf is pbkdf2Key, which tests wrap to see the order hashes run in.
	kdf func(password string, salt []byte, iter int) ([]byte, error)
}

// New returns a Store that keeps accounts in records.
func New(records Records) *Store {
	return &Store{
		records:   records,
		iter:      Iterations,
		sched:     newScheduler(runtime.GOMAXPROCS(0)/2, time.Now),
		queueWait: maxQueueWait,
		kdf:       pbkdf2Key,
		unknown:   randomHash(Iterations),
	}
}

// Open returns a Store that keeps accounts in the file of dir (OpenFile),
// by the keys they were registered with.
func Open(dir string) (*Store, error) {
	f, err := OpenFile(dir, nil)
	if err != nil {
		return nil, err
	}
	return New(f), nil
}

// Register adds an account for a client at addr (see AddrKey; "" for
// the server's own tools). key is the caller's key for name: names are
// unique by key. The password must be at least MinPasswordChars
// characters and at most MaxPasswordBytes bytes (ErrWeakPassword). The
// key is reserved before the password is hashed, so that a registration
// that loses a race to another never hashes; the hash waits for a slot as
// Check's does.
func (s *Store) Register(ctx context.Context, addr, key, name, password string) error {
	if err := checkName(key, name); err != nil {
		return err
	}
	if err := checkPassword(password); err != nil {
		return err
	}
	release, err := s.records.Reserve(ctx, key)
	if err != nil {
		return err
	}
	defer release()
	h, err := s.newHash(ctx, party{addr, key}, password)
	if err != nil {
		return err
	}
	rec, _ := json.Marshal(record{Key: key, Name: name, Hash: h.String()}) // strings always encode
	if err := s.records.Put(ctx, key, rec); err != nil {
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
	a, known, err := s.account(ctx, key)
	if err != nil {
		return "", err
	}
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
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	_, known, err := s.account(ctx, key)
	return known, err
}

// account is one registered name.
type account struct {
	name string
	hash passwordHash
}

// account reads the account of key from the records.
func (s *Store) account(ctx context.Context, key string) (account, bool, error) {
	rec, err := s.records.Get(ctx, key)
	if err != nil || rec == nil {
		return account{}, false, err
	}
	r, a, err := parseRecord(rec)
	if err == nil && r.Key != key {
		err = fmt.Errorf("it is %q's", r.Key)
	}
	if err != nil {
		return account{}, false, fmt.Errorf("accounts: the record of %q: %w", key, err)
	}
	return a, true, nil
}

func checkName(key, name string) error {
	for _, s := range []string{key, name} {
		if s == "" || len(s) > MaxNameBytes || !utf8.ValidString(s) {
			return fmt.Errorf("accounts: name and key must be 1 to %d bytes of UTF-8", MaxNameBytes)
		}
	}
	return nil
}
