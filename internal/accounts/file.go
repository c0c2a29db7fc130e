package accounts

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
)

// maxLine bounds one line of the accounts file.
const maxLine = 4 << 10

// record is one line of the accounts file, a JSON object.
type record struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Hash string `json:"hash"`
}

// load reads the accounts file, one record per line.
func (s *Store) load() error {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := checkPrivate(f); err != nil {
		return err
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 512), maxLine)
	for line := 1; sc.Scan(); line++ {
		if err := s.loadRecord(sc.Bytes()); err != nil {
			return fmt.Errorf("%s line %d: %w", s.path, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", s.path, err)
	}
	return nil
}

func (s *Store) loadRecord(line []byte) error {
	var r record
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return err
	}
	if err := checkName(r.Key, r.Name); err != nil {
		return err
	}
	h, err := parseHash(r.Hash)
	if err != nil {
		return err
	}
	if _, dup := s.accounts[r.Key]; dup {
		return fmt.Errorf("name key %q appears twice", r.Key)
	}
	s.accounts[r.Key] = account{name: r.Name, hash: h}
	return nil
}

// save writes every account, sorted by key, to a temporary file and
// renames it over the accounts file, so the file is always whole.
func (s *Store) save() error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	keys := make([]string, 0, len(s.accounts))
	for k := range s.accounts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		a := s.accounts[k]
		if err := enc.Encode(record{Key: k, Name: a.name, Hash: a.hash.String()}); err != nil {
			return err
		}
	}
	return writeFileAtomic(s.path, buf.Bytes())
}

// writeFileAtomic replaces path with data: temporary file (mode 0600),
// fsync, rename, fsync of the directory.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// checkPrivate refuses a file that group or others may use. Windows has
// no such mode bits, so it is not checked there.
func checkPrivate(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s has mode %v; others must not read it: chmod 600 %s", f.Name(), fi.Mode().Perm(), f.Name())
	}
	return nil
}
