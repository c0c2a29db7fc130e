package accounts

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
)

// accountsFile is the file, in the data directory, that holds accounts.
const accountsFile = "accounts"

// maxLine bounds one line of the accounts file, and one record.
const maxLine = 4 << 10

// record is one account: a line of the accounts file, a JSON object.
type record struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Hash string `json:"hash"`
}

// parseRecord reads a record as strictly as a line of the accounts file.
func parseRecord(line []byte) (record, account, error) {
	var r record
	if len(line) > maxLine {
		return r, account{}, fmt.Errorf("record longer than %d bytes", maxLine)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, account{}, err
	}
	if err := checkName(r.Key, r.Name); err != nil {
		return r, account{}, err
	}
	h, err := parseHash(r.Hash)
	if err != nil {
		return r, account{}, err
	}
	return r, account{name: r.Name, hash: h}, nil
}

// File is the Records of one server: the accounts file of a data
// directory, read whole at start and rewritten whole on each
// registration. One process at a time may use a directory.
type File struct {
	path string

	mu       sync.Mutex // guards what follows and the file
	records  map[string][]byte
	reserved map[string]bool
}

// OpenFile reads the accounts file of dir, creating dir (mode 0700) if
// needed; a missing file means no accounts yet. A file that others may
// read, or that does not parse, is refused. rekey, when not nil, gives
// each account's key from its name, for keys that were made another way
// before; two accounts that come to share a key are refused, naming both.
func OpenFile(dir string, rekey func(name string) string) (*File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	f := &File{path: filepath.Join(dir, accountsFile), records: make(map[string][]byte), reserved: make(map[string]bool)}
	changed, err := f.load(rekey)
	if err == nil && changed {
		err = f.save()
	}
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return f, nil
}

// Get implements Records.
func (f *File) Get(_ context.Context, key string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.records[key], nil
}

// Reserve implements Records.
func (f *File) Reserve(_ context.Context, key string) (func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.records[key] != nil || f.reserved[key] {
		return nil, ErrTaken
	}
	f.reserved[key] = true
	return func() {
		f.mu.Lock()
		delete(f.reserved, key)
		f.mu.Unlock()
	}, nil
}

// Put implements Records: the file is rewritten before it returns.
func (f *File) Put(_ context.Context, key string, rec []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.records[key] != nil {
		return ErrTaken
	}
	f.records[key] = rec
	if err := f.save(); err != nil {
		delete(f.records, key)
		return err
	}
	return nil
}

// load reads the accounts file, one record per line, and reports whether
// rekey changed a key.
func (f *File) load(rekey func(string) string) (changed bool, err error) {
	file, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer file.Close()
	if err := checkPrivate(file); err != nil {
		return false, err
	}
	names := map[string]string{}
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 0, 512), maxLine)
	for line := 1; sc.Scan(); line++ {
		r, _, err := parseRecord(sc.Bytes())
		if err != nil {
			return false, fmt.Errorf("%s line %d: %w", f.path, line, err)
		}
		if rekey != nil && rekey(r.Name) != r.Key {
			r.Key, changed = rekey(r.Name), true
		}
		if other, dup := names[r.Key]; dup {
			return false, fmt.Errorf("%s line %d: accounts %q and %q have one key, %q: they read as one name; remove one from the file", f.path, line, other, r.Name, r.Key)
		}
		names[r.Key] = r.Name
		f.records[r.Key], _ = json.Marshal(r)
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("read %s: %w", f.path, err)
	}
	return changed, nil
}

// save writes every record, sorted by key, to a temporary file and
// renames it over the accounts file, so the file is always whole.
func (f *File) save() error {
	var buf bytes.Buffer
	for _, k := range slices.Sorted(maps.Keys(f.records)) {
		buf.Write(f.records[k])
		buf.WriteByte('\n')
	}
	return writeFileAtomic(f.path, buf.Bytes())
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
