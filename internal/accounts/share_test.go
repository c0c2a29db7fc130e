package accounts

import (
	"errors"
	"strings"
	"testing"
)

func TestRecordAddCarriesAnAccountToAnotherStore(t *testing.T) {
	a, b := openFast(t, t.TempDir()), openFast(t, t.TempDir())
	if err := a.Register(t.Context(), testAddr, "alice", "Alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	line := a.Record("alice")
	if line == nil || strings.Contains(string(line), "correct horse") {
		t.Fatalf("record %q: want the hash, never the password", line)
	}
	if err := b.Add(line); err != nil {
		t.Fatal(err)
	}
	if name, err := b.Check(t.Context(), testAddr, "alice", "correct horse"); err != nil || name != "Alice" {
		t.Fatalf("login on the other store: %q, %v", name, err)
	}
	if _, err := b.Check(t.Context(), testAddr, "alice", "wrong"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("a wrong password on the other store: %v", err)
	}
	if a.Record("nobody") != nil {
		t.Fatal("a record for an account that does not exist")
	}
}

func TestAddRefusesForgedRecords(t *testing.T) {
	for _, tc := range []struct{ name, line string }{
		{"empty", ""},
		{"not json", "alice"},
		{"unknown field", `{"key":"a","name":"a","hash":"x","admin":true}`},
		{"bad hash", `{"key":"a","name":"a","hash":"plain"}`},
		{"no name", `{"key":"a","name":"","hash":"pbkdf2-sha256$1000$AAAA$AAAA"}`},
		{"too long", `{"key":"` + strings.Repeat("a", 5000) + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openFast(t, t.TempDir())
			if err := s.Add([]byte(tc.line)); err == nil {
				t.Fatalf("Add(%q) took it", tc.line)
			}
			if s.Exists("a") {
				t.Fatal("a refused record left an account")
			}
		})
	}
}
