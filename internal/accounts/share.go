package accounts

import (
	"encoding/json"
	"fmt"
)

// Several servers of one chat share their accounts through a store of
// their own choosing: Record gives what another server needs to check an
// account's logins, and Add keeps it there.

// Record returns the account registered under key as one line of the
// accounts file: its key, name and password hash, never the password.
// It returns nil when there is no such account.
func (s *Store) Record(key string) []byte {
	s.mu.Lock()
	a, ok := s.accounts[key]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	line, err := json.Marshal(record{Key: key, Name: a.name, Hash: a.hash.String()})
	if err != nil {
		return nil // strings always encode
	}
	return line
}

// Add keeps an account from a line Record returned on another server,
// checked as strictly as a line of the accounts file. An account already
// here under that key is kept as it is.
func (s *Store) Add(line []byte) error {
	if len(line) > maxLine {
		return fmt.Errorf("accounts: add: record longer than %d bytes", maxLine)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var r record
	if err := json.Unmarshal(line, &r); err == nil {
		if _, here := s.accounts[r.Key]; here {
			return nil
		}
	}
	if err := s.loadRecord(line); err != nil {
		return fmt.Errorf("accounts: add: %w", err)
	}
	if err := s.save(); err != nil {
		delete(s.accounts, r.Key)
		return fmt.Errorf("accounts: add: %w", err)
	}
	return nil
}
