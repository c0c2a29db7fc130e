package accounts

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := LoadOrCreateSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != SecretSize || bytes.Equal(first, make([]byte, SecretSize)) {
		t.Fatalf("secret is %x; want %d random bytes", first, SecretSize)
	}
	assertMode(t, filepath.Join(dir, secretFile), 0o600)
	again, err := LoadOrCreateSecret(dir)
	if err != nil || !bytes.Equal(again, first) {
		t.Errorf("second call = %x, %v; want the first secret %x", again, err, first)
	}
	other, err := LoadOrCreateSecret(t.TempDir())
	if err != nil || bytes.Equal(other, first) {
		t.Errorf("another directory got %x, %v; want a different secret", other, err)
	}
}

func TestLoadOrCreateSecretRefuses(t *testing.T) {
	tests := []struct {
		name     string
		contents []byte
		mode     os.FileMode
		wantErr  string
	}{
		{"readable by group", bytes.Repeat([]byte{7}, SecretSize), 0o640, "chmod 600"},
		{"writable by others", bytes.Repeat([]byte{7}, SecretSize), 0o602, "chmod 600"},
		{"too short", bytes.Repeat([]byte{7}, SecretSize-1), 0o600, "exactly 32 bytes"},
		{"too long", bytes.Repeat([]byte{7}, SecretSize+1), 0o600, "exactly 32 bytes"},
		{"empty", nil, 0o600, "exactly 32 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, secretFile)
			if err := os.WriteFile(path, tt.contents, tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil { // past the umask
				t.Fatal(err)
			}
			secret, err := LoadOrCreateSecret(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("LoadOrCreateSecret = %x, %v; want an error saying %q", secret, err, tt.wantErr)
			}
			if data, _ := os.ReadFile(path); !bytes.Equal(data, tt.contents) {
				t.Error("the refused file was changed")
			}
		})
	}
}

// TestLoadOrCreateSecretRace checks that callers racing on a new
// directory all get the one secret that was written.
func TestLoadOrCreateSecretRace(t *testing.T) {
	dir := t.TempDir()
	const callers = 8
	secrets := make([][]byte, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			var err error
			if secrets[i], err = LoadOrCreateSecret(dir); err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	onDisk, err := os.ReadFile(filepath.Join(dir, secretFile))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range secrets {
		if !bytes.Equal(s, onDisk) {
			t.Errorf("caller %d got %x; the file holds %x", i, s, onDisk)
		}
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}
