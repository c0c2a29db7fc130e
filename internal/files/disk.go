package files

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// On disk, file ID holds the bytes of a stored file and ID.json its
// sidecar; an upload is written to ID.tmp and ID.json.tmp, each synced,
// and renamed into place, the sidecar last. A sidecar without its bytes,
// bytes without their sidecar and temporary files are leftovers of
// interrupted uploads or removals, removed on Open.
const (
	metaSuffix = ".json"
	tmpSuffix  = ".tmp"
	maxMeta    = 4 << 10 // a sidecar is a few hundred bytes
)

// meta is the content of a sidecar. The media type is not kept: it is
// sniffed again from the bytes on Open, so the sidecar is never trusted
// for it.
type meta struct {
	Name    string    `json:"name"`
	Owner   string    `json:"owner,omitempty"` // absent in sidecars written before uploaders were kept
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
}

// decodeMeta parses a sidecar and checks it.
func decodeMeta(data []byte) (meta, error) {
	var m meta
	if err := json.Unmarshal(data, &m); err != nil {
		return meta{}, fmt.Errorf("decode sidecar: %w", err)
	}
	if m.Size <= 0 {
		return meta{}, fmt.Errorf("decode sidecar: size %d", m.Size)
	}
	if m.Name != CleanName(m.Name) {
		return meta{}, fmt.Errorf("decode sidecar: unclean name %q", m.Name)
	}
	return m, nil
}

func (s *Store) path(name string) string { return filepath.Join(s.dir, name) }

// commitFile makes the upload written to f durable under e.ID, with its
// sidecar. On failure it removes what it wrote.
func (s *Store) commitFile(f *os.File, e *entry) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.writeMeta(e)
	}
	if err == nil {
		err = os.Rename(f.Name(), s.path(e.ID))
	}
	if err == nil {
		err = os.Rename(s.path(e.ID+metaSuffix+tmpSuffix), s.path(e.ID+metaSuffix))
	}
	if err == nil {
		err = s.syncDir()
	}
	if err != nil {
		s.removeFiles(e.ID)
		return fmt.Errorf("files: store upload: %w", err)
	}
	return nil
}

// writeMeta writes e's sidecar to its temporary name and syncs it.
func (s *Store) writeMeta(e *entry) error {
	data, err := json.Marshal(meta{Name: e.Name, Owner: e.Owner, Size: e.Size, Created: e.Created})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(s.path(e.ID+metaSuffix+tmpSuffix), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes renames and removals in the directory durable.
func (s *Store) syncDir() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeFiles removes whatever is on disk for id, sidecar first, so that
// an interruption leaves bytes without a sidecar, which Open removes.
// In memory mode there is nothing to remove.
func (s *Store) removeFiles(id string) {
	if s.dir == "" {
		return
	}
	for _, name := range []string{id + metaSuffix, id, id + tmpSuffix, id + metaSuffix + tmpSuffix} {
		if err := os.Remove(s.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("files: remove", "err", err)
		}
	}
}

// load reads the directory on Open: it keeps every file that has both
// its bytes and a valid sidecar, removes the rest of what it recognises,
// leaves other names alone, and applies the budget as a finished upload
// does.
func (s *Store) load() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("files: open: %w", err)
	}
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("files: open: %w", err)
	}
	ids := map[string]bool{}
	var all []*entry
	for _, de := range des {
		id, _, _ := strings.Cut(de.Name(), ".")
		if !validID(id) {
			s.log.Warn("files: not a stored file, left alone", "name", de.Name())
			continue
		}
		ids[id] = true
	}
	for id := range ids {
		e, err := s.loadOne(id)
		if err != nil {
			s.log.Warn("files: removed leftover", "id", id, "err", err)
			s.removeFiles(id)
			continue
		}
		all = append(all, e)
	}
	slices.SortFunc(all, func(a, b *entry) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, e := range all {
		s.files[e.ID] = e
		h := s.holderLocked(e.Owner)
		h.files = append(h.files, e)
		h.used += e.Size
		s.used += e.Size
	}
	s.removeAll(s.fitLocked(nil))
	return nil
}

// loadOne reads the stored file id, failing for a leftover: temporary
// files, bytes or sidecar missing, a sidecar that does not match.
func (s *Store) loadOne(id string) (*entry, error) {
	for _, tmp := range []string{id + tmpSuffix, id + metaSuffix + tmpSuffix} {
		if _, err := os.Lstat(s.path(tmp)); err == nil {
			return nil, errors.New("interrupted upload")
		}
	}
	m, err := s.readMeta(id)
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(s.path(id))
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() != m.Size {
		return nil, fmt.Errorf("%v of %d bytes, sidecar says %d", fi.Mode().Type(), fi.Size(), m.Size)
	}
	f, err := os.Open(s.path(id))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return &entry{File: File{ID: id, Owner: m.Owner, Name: m.Name, Type: http.DetectContentType(head[:n]), Size: m.Size, Created: m.Created}}, nil
}

// readMeta reads and checks the sidecar of id.
func (s *Store) readMeta(id string) (meta, error) {
	f, err := os.Open(s.path(id + metaSuffix))
	if err != nil {
		return meta{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMeta+1))
	if err != nil {
		return meta{}, err
	}
	if len(data) > maxMeta {
		return meta{}, errors.New("sidecar too large")
	}
	return decodeMeta(data)
}
