package accounts

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// SecretSize is the length of the token-signing secret, in bytes.
const SecretSize = 32

// secretFile is the file, in the data directory, that holds the secret.
const secretFile = "token.key"

// LoadOrCreateSecret returns the secret that signs account tokens, kept
// in dir/token.key. The first call makes SecretSize random bytes and
// writes them to a new file (mode 0600, fsynced, then linked into place,
// which fails if the file exists, so it is created exclusively and is
// never seen half written); later calls read it. A file that group or others may read, or that is
// not SecretSize bytes long, is refused: replace or chmod it by hand.
func LoadOrCreateSecret(dir string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("token secret: %w", err)
	}
	path := filepath.Join(dir, secretFile)
	secret, err := readSecret(path)
	if errors.Is(err, fs.ErrNotExist) {
		secret, err = createSecret(path)
		if errors.Is(err, fs.ErrExist) { // made by another process meanwhile
			secret, err = readSecret(path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("token secret: %w", err)
	}
	return secret, nil
}

func readSecret(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := checkPrivate(f); err != nil {
		return nil, err
	}
	secret := make([]byte, SecretSize+1)
	n, err := io.ReadFull(f, secret)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	if n != SecretSize {
		return nil, fmt.Errorf("%s must hold exactly %d bytes; remove it to make a new one (tokens already given out stop working)", path, SecretSize)
	}
	return secret[:SecretSize], nil
}

// createSecret writes a new secret to a temporary file, then links it to
// path, which fails if path exists: so the secret appears whole and only
// once, however many processes race to make it.
func createSecret(path string) ([]byte, error) {
	secret := make([]byte, SecretSize)
	rand.Read(secret)
	tmp, err := os.CreateTemp(filepath.Dir(path), secretFile+".*.tmp") // mode 0600
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(secret)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return nil, err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	return secret, nil
}
