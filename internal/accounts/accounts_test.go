package accounts

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testAddr is the client address of tests that need only one.
const testAddr = "192.0.2.1"

// openFast opens a Store whose hashes cost minIterations, so that tests
// stay quick; timing tests set their own cost.
func openFast(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.iter = minIterations
	s.unknown = randomHash(minIterations)
	return s
}

func TestCheck(t *testing.T) {
	s := openFast(t, t.TempDir())
	if err := s.Register(t.Context(), testAddr, "alice", "Alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key, password string
		wantName            string
		wantErr             error
	}{
		{"right password", "alice", "correct horse", "Alice", nil},
		{"wrong password", "alice", "correct horsE", "", ErrBadCredentials},
		{"unknown name", "bob", "correct horse", "", ErrBadCredentials},
		{"empty password", "alice", "", "", ErrBadCredentials},
		{"key not folded by the caller", "Alice", "correct horse", "", ErrBadCredentials},
		{"password too long to be anyone's", "alice", strings.Repeat("x", MaxPasswordBytes+1), "", ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, err := s.Check(t.Context(), testAddr, tt.key, tt.password)
			if name != tt.wantName || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("Check = %q, %v; want %q, %v", name, err, tt.wantName, tt.wantErr)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	s := openFast(t, t.TempDir())
	if err := s.Register(t.Context(), testAddr, "alice", "Alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key, user, password string
		wantErr                   error // nil: registered
		wantErrText               string
	}{
		{name: "taken", key: "alice", user: "ALICE", password: "other password", wantErr: ErrTaken},
		{name: "seven characters", key: "bob", user: "bob", password: "1234567", wantErr: ErrWeakPassword,
			wantErrText: "at least 8 characters and at most 1024 bytes"},
		{name: "empty password", key: "bob", user: "bob", password: "", wantErr: ErrWeakPassword},
		{name: "1025 bytes", key: "bob", user: "bob", password: strings.Repeat("p", 1025), wantErr: ErrWeakPassword},
		{name: "eight two-byte characters", key: "carol", user: "carol", password: "éééééééé"},
		{name: "1024 bytes", key: "dave", user: "dave", password: strings.Repeat("p", 1024)},
		{name: "empty key", key: "", user: "erin", password: "long enough", wantErrText: "1 to 256 bytes"},
		{name: "name not UTF-8", key: "erin", user: "er\xffin", password: "long enough", wantErrText: "UTF-8"},
		{name: "name too long", key: "erin", user: strings.Repeat("e", MaxNameBytes+1), password: "long enough", wantErrText: "1 to 256 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Register(t.Context(), testAddr, tt.key, tt.user, tt.password)
			if tt.wantErr == nil && tt.wantErrText == "" {
				if err != nil {
					t.Fatalf("Register = %v", err)
				}
				if name, err := s.Check(t.Context(), testAddr, tt.key, tt.password); name != tt.user || err != nil {
					t.Errorf("Check after Register = %q, %v", name, err)
				}
				return
			}
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.wantErrText) {
				t.Fatalf("Register = %v; want %v saying %q", err, tt.wantErr, tt.wantErrText)
			}
			if ok, _ := s.Exists(t.Context(), tt.key); tt.key != "alice" && ok {
				t.Errorf("refused registration of %q left an account", tt.key)
			}
		})
	}
	if name, err := s.Check(t.Context(), testAddr, "alice", "correct horse"); name != "Alice" || err != nil {
		t.Errorf("after a taken registration, Check(alice) = %q, %v; want Alice", name, err)
	}
}

func TestReopenKeepsAccounts(t *testing.T) {
	dir := t.TempDir()
	s := openFast(t, dir)
	for _, name := range []string{"Alice", "Bob"} {
		if err := s.Register(t.Context(), testAddr, strings.ToLower(name), name, "password of "+name); err != nil {
			t.Fatal(err)
		}
	}
	again := openFast(t, dir)
	for _, name := range []string{"Alice", "Bob"} {
		got, err := again.Check(t.Context(), testAddr, strings.ToLower(name), "password of "+name)
		if got != name || err != nil {
			t.Errorf("after reopening, Check(%s) = %q, %v", name, got, err)
		}
	}
	carol, _ := again.Exists(t.Context(), "carol")
	if bob, _ := again.Exists(t.Context(), "bob"); carol || !bob {
		t.Error("Exists disagrees with what was registered")
	}
	path := filepath.Join(dir, accountsFile)
	assertMode(t, path, 0o600)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "password of") {
		t.Error("the accounts file holds a password in plain text")
	}
	if lines := strings.Count(string(data), "\n"); lines != 2 ||
		!strings.Contains(string(data), `"hash":"pbkdf2-sha256$1000$`) {
		t.Errorf("accounts file has %d lines and reads:\n%s", lines, data)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestOpenRefuses(t *testing.T) {
	good := `{"key":"alice","name":"Alice","hash":"pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}` + "\n"
	tests := []struct {
		name     string
		contents string
		mode     os.FileMode
		wantErr  string
	}{
		{"readable by group", good, 0o640, "chmod 600"},
		{"readable by others", good, 0o604, "chmod 600"},
		{"not JSON", good + "alice:secret\n", 0o600, "line 2"},
		{"unknown field", `{"key":"a","name":"a","hash":"x","password":"p"}` + "\n", 0o600, "unknown field"},
		{"other hash scheme", strings.Replace(good, "pbkdf2-sha256", "md5", 1), 0o600, "pbkdf2-sha256$ITER"},
		{"iterations out of range", strings.Replace(good, "600000", "999999999", 1), 0o600, "iterations"},
		{"short salt", strings.Replace(good, "$AAAAAAAAAAAAAAAAAAAAAA$", "$AAAA$", 1), 0o600, "salt"},
		{"same key twice", good + good, 0o600, "twice"},
		{"empty name", strings.Replace(good, `"Alice"`, `""`, 1), 0o600, "1 to 256 bytes"},
		{"line too long", `{"key":"` + strings.Repeat("a", maxLine) + `"}` + "\n", 0o600, "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, accountsFile)
			if err := os.WriteFile(path, []byte(tt.contents), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil { // past the umask
				t.Fatal(err)
			}
			_, err := Open(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Open = %v; want an error saying %q", err, tt.wantErr)
			}
		})
	}
	if _, err := Open(filepath.Join(t.TempDir(), "new", "data")); err != nil {
		t.Errorf("Open of a directory not yet made = %v", err)
	}
}

func TestConcurrentRegister(t *testing.T) {
	dir := t.TempDir()
	s := openFast(t, dir)
	const racers = 12
	var wg sync.WaitGroup
	sameKey := make(chan error, racers)
	for i := range racers {
		wg.Go(func() {
			sameKey <- s.Register(t.Context(), fmt.Sprint("10.0.1.", i), "zoe", fmt.Sprintf("Zoe%d", i), "same password")
		})
		wg.Go(func() {
			if err := s.Register(t.Context(), fmt.Sprint("10.0.2.", i), fmt.Sprintf("user%d", i), "User", "some password"); err != nil {
				t.Errorf("Register(user%d) = %v", i, err)
			}
		})
	}
	wg.Wait()
	close(sameKey)
	won := 0
	for err := range sameKey {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrTaken):
			t.Errorf("racing Register = %v; want nil or ErrTaken", err)
		}
	}
	if won != 1 {
		t.Errorf("%d racers registered zoe; want 1", won)
	}
	again, err := OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(again.records); n != racers+1 {
		t.Errorf("after reopening, %d accounts; want %d", n, racers+1)
	}
}

// TestRefusals checks that a Check or Register that cannot have a slot
// soon fails at once, saying why and when to retry, and that the queue
// serves once the slot frees.
func TestRefusals(t *testing.T) {
	s := openFast(t, t.TempDir())
	if err := s.Register(t.Context(), testAddr, "alice", "Alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	s.sched = newScheduler(1, time.Now)
	running, _ := s.sched.enter(party{"10.9.9.9", "mallory"}, 1)
	var waiting []*ticket
	for range waitingPerAddr {
		tk, err := s.sched.enter(party{"10.0.0.1", "mallory"}, 1)
		if err != nil {
			t.Fatal(err)
		}
		waiting = append(waiting, tk)
	}
	done, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		try  func() error
		want error
	}{
		{"check over the address's share", func() error {
			_, err := s.Check(t.Context(), "10.0.0.1", "alice", "correct horse")
			return err
		}, ErrOverShare},
		{"register over the address's share", func() error {
			return s.Register(t.Context(), "10.0.0.1", "bob", "Bob", "correct horse")
		}, ErrOverShare},
		{"check whose client left", func() error {
			_, err := s.Check(done, "10.0.0.2", "alice", "correct horse")
			return err
		}, ErrBusy},
		{"register whose client left", func() error {
			return s.Register(done, "10.0.0.2", "bob", "Bob", "correct horse")
		}, ErrBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.try()
			var retry *RetryError
			if !errors.Is(err, tt.want) || !errors.As(err, &retry) || retry.Seconds() < 1 {
				t.Errorf("= %v; want a *RetryError wrapping %v", err, tt.want)
			}
		})
	}
	if n := len(s.sched.queue); n != waitingPerAddr {
		t.Errorf("%d hashes waiting after the refusals; want %d", n, waitingPerAddr)
	}
	running.done()
	for _, tk := range waiting {
		if err := tk.wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		tk.done()
	}
	if name, err := s.Check(t.Context(), "10.0.0.1", "alice", "correct horse"); name != "Alice" || err != nil {
		t.Errorf("Check once the queue drained = %q, %v", name, err)
	}
}

// TestUnknownNameCostsTheSame checks that a name not registered costs
// what a wrong password costs: one hash of as many rounds, through the
// same queue. It counts the work rather than timing it; BenchmarkCheck
// times it.
func TestUnknownNameCostsTheSame(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var rounds []int
	s.kdf = func(password string, salt []byte, iter int) ([]byte, error) {
		rounds = append(rounds, iter)
		sum := sha256.Sum256(append([]byte(password), salt...)) // stands in for the real work
		return sum[:], nil
	}
	if err := s.Register(t.Context(), testAddr, "alice", "Alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"alice", "nobody"} {
		if _, err := s.Check(t.Context(), testAddr, key, "wrong password"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("Check(%s) = %v", key, err)
		}
	}
	if want := []int{Iterations, Iterations, Iterations}; !slices.Equal(rounds, want) {
		t.Errorf("rounds hashed by Register, a wrong password, an unknown name: %v; want %v", rounds, want)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != want {
		t.Errorf("%s has mode %v; want %v", filepath.Base(path), fi.Mode().Perm(), want)
	}
}

// TestRegistrationsOfOneKeyRaceToOneAccount: of registrations of one key
// at once, exactly one hashes and wins; the others are refused before
// hashing, so that nobody keeps an account the records do not have.
func TestRegistrationsOfOneKeyRaceToOneAccount(t *testing.T) {
	s := openFast(t, t.TempDir())
	var hashed atomic.Int32
	kdf := s.kdf
	s.kdf = func(p string, salt []byte, iter int) ([]byte, error) {
		hashed.Add(1)
		return kdf(p, salt, iter)
	}
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- s.Register(t.Context(), testAddr, "alice", "alice", fmt.Sprintf("password %d", i)) }()
	}
	won := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			won++
		case !errors.Is(err, ErrTaken):
			t.Errorf("a losing registration: %v, want ErrTaken", err)
		}
	}
	if won != 1 || hashed.Load() != 1 {
		t.Errorf("%d registrations won and %d hashed, want 1 and 1", won, hashed.Load())
	}
}

// TestOpenFileRekeys: accounts kept under keys made another way are
// rekeyed from their names, and two that come to share a key are refused.
func TestOpenFileRekeys(t *testing.T) {
	dir := t.TempDir()
	s := openFast(t, dir)
	for _, name := range []string{"Sam", "Bob"} {
		if err := s.Register(t.Context(), testAddr, strings.ToLower(name), name, "password of "+name); err != nil {
			t.Fatal(err)
		}
	}
	f, err := OpenFile(dir, func(name string) string { return "k-" + name })
	if err != nil {
		t.Fatal(err)
	}
	if rec, _ := f.Get(t.Context(), "k-Sam"); rec == nil {
		t.Error("Sam is not under its new key")
	}
	if rec, _ := f.Get(t.Context(), "sam"); rec != nil {
		t.Error("Sam is still under its old key")
	}
	if _, err := OpenFile(dir, func(string) string { return "one" }); err == nil || !strings.Contains(err.Error(), "read as one name") {
		t.Errorf("two accounts with one key: %v", err)
	}
}
