//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir opens dir/LOCK without locking it: on this platform nothing
// stops two Logs from sharing a directory, and the caller must not.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: lock data directory: %w", err)
	}
	return f, nil
}

// unlockDir closes the file lockDir opened.
func unlockDir(f *os.File) error { return f.Close() }

// syncDir does nothing: not every platform can fsync a directory, and
// the file fsyncs are what this platform offers.
func syncDir(string) error { return nil }
