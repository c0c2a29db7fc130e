package files

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"
)

// Default limits, used where [Options] leaves a field zero.
const (
	DefaultMaxFile      = 10 << 20 // 10 MiB
	DefaultDiskBudget   = 1 << 30  // 1 GiB
	DefaultMemoryBudget = 64 << 20 // 64 MiB
)

// Errors of Limit and Put. The errors returned wrap these with details;
// test them with errors.Is. The HTTP status each calls for is given.
var (
	// ErrTooLarge: the upload passed Options.MaxFile (HTTP 413).
	ErrTooLarge = errors.New("files: file too large")
	// ErrEmpty: the upload had no bytes (HTTP 400).
	ErrEmpty = errors.New("files: empty file")
	// ErrShare: the uploader's uploads in progress hold its share
	// (HTTP 429: it can wait for them).
	ErrShare = errors.New("files: the uploader's uploads in progress hold its share")
	// ErrBusy: uploads in progress hold all Options.Pending (HTTP 503).
	ErrBusy = errors.New("files: uploads in progress hold all the room for them")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("files: store closed")
)

// Options configures a [Store].
type Options struct {
	// Dir is the directory the files are kept in; it is created if
	// missing and should hold nothing else. "" keeps files in memory.
	Dir string
	// MaxFile is the largest file accepted, in bytes (DefaultMaxFile if 0).
	MaxFile int64
	// Budget is the total of file sizes kept, in bytes (DefaultDiskBudget
	// with Dir, DefaultMemoryBudget without). When a finished upload
	// takes the files past it, the oldest file of whoever holds most
	// goes, until they fit.
	Budget int64
	// Share is what one uploader's files may hold (a quarter of the
	// budget if 0, at least MaxFile): past it, when an upload of its
	// finishes, its own oldest files go. Its uploads in progress may
	// hold no more than that either (ErrShare). Files of nobody known
	// (owner "") have no share.
	Share int64
	// Pending is what all uploads in progress may hold together, beside
	// the budget (half the budget if 0, at least MaxFile): they never
	// remove a file; past it an upload is refused (ErrBusy).
	Pending int64
	// IdleTimeout is how long an upload may send nothing before it is
	// cut, and its reservation given back (see Limit); 0 is 10 s.
	IdleTimeout time.Duration
	// MinRate is the least an upload must average, in bytes a second,
	// once it has been going for IdleTimeout (default 8 KiB/s): a client
	// that sends a byte now and then is not an upload.
	MinRate int64
	// Logger receives removals of old files and leftovers (none if nil).
	Logger *slog.Logger
	// Now gives the creation time of files (time.Now if nil).
	Now func() time.Time
}

// File describes a stored file.
type File struct {
	ID      string    // 32 hex digits, 128 random bits
	Owner   string    // who uploaded it, as Put was told; "" for nobody known
	Name    string    // display name, cleaned by CleanName
	Type    string    // media type sniffed from the content
	Size    int64     // bytes, at least 1
	Created time.Time // when the upload completed
}

// URLPath is the path the file is served at: /files/{id}/{name}, the
// name escaped.
func (f File) URLPath() string {
	return "/files/" + f.ID + "/" + url.PathEscape(f.Name)
}

// Inline reports whether the file is a picture served inline, to be
// previewed: PNG, JPEG, GIF or WebP. Everything else is an attachment.
func (f File) Inline() bool {
	switch f.Type {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// Stats counts what a Store holds.
type Stats struct {
	Files     int   // files stored
	Bytes     int64 // their total size
	Pending   int64 // bytes of uploads in progress
	Evictions int64 // files removed to make room since Open
	Owners    int   // uploaders with files stored or uploads in progress
}

// A Store keeps uploaded files within a budget and serves them. Its
// methods are safe for concurrent use.
type Store struct {
	dir     string
	maxFile int64
	budget  int64
	share   int64
	maxPend int64
	idle    time.Duration
	minRate int64
	log     *slog.Logger
	now     func() time.Time

	mu        sync.Mutex
	files     map[string]*entry
	owners    map[string]*holder // by owner, while it has files or uploads in progress
	used      int64              // total size of stored files
	pending   int64              // bytes read by uploads in progress
	evictions int64
	closed    bool
}

// holder is what one uploader holds: its stored files, oldest first,
// their size, and the bytes of its uploads in progress.
type holder struct {
	key     string
	files   []*entry
	used    int64
	pending int64
}

// entry is a stored file; data holds its bytes in memory mode.
type entry struct {
	File
	data *memFile
}

// Open returns a Store. With o.Dir it loads the files kept there,
// removes leftovers of interrupted uploads and removes the oldest files
// until the rest fit the budget.
func Open(o Options) (*Store, error) {
	s := &Store{
		dir: o.Dir, maxFile: cmp.Or(o.MaxFile, DefaultMaxFile), budget: o.Budget, idle: cmp.Or(o.IdleTimeout, 10*time.Second), minRate: cmp.Or(o.MinRate, 8<<10),
		log: o.Logger, now: o.Now, files: map[string]*entry{}, owners: map[string]*holder{},
	}
	if s.budget == 0 {
		s.budget = DefaultMemoryBudget
		if s.dir != "" {
			s.budget = DefaultDiskBudget
		}
	}
	if s.maxFile < 0 || s.budget < s.maxFile {
		return nil, fmt.Errorf("files: max file %d bytes must be positive and within the budget of %d bytes", s.maxFile, s.budget)
	}
	s.share = max(cmp.Or(o.Share, s.budget/4), s.maxFile)
	s.maxPend = max(cmp.Or(o.Pending, s.budget/2), s.maxFile)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.dir == "" {
		return s, nil
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// Get returns the file with the given id.
func (s *Store) Get(id string) (File, bool) {
	e, ok := s.lookup(id)
	if !ok {
		return File{}, false
	}
	return e.File, true
}

func (s *Store) lookup(id string) (*entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.files[id]
	return e, ok
}

// Stats returns what the store holds now.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Files: len(s.files), Bytes: s.used, Pending: s.pending, Evictions: s.evictions, Owners: len(s.owners)}
}

// Close stops the store: uploads in progress and later fail with
// ErrClosed and nothing more is served. Files on disk stay for the next
// Open; files in memory are dropped.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.files, s.owners, s.used, s.pending = map[string]*entry{}, map[string]*holder{}, 0, 0
	return nil
}

// holderLocked returns owner's holder, making one if need be. s.mu is
// held.
func (s *Store) holderLocked(owner string) *holder {
	h := s.owners[owner]
	if h == nil {
		h = &holder{key: owner}
		s.owners[owner] = h
	}
	return h
}

// forgetLocked drops h once it holds nothing. s.mu is held.
func (s *Store) forgetLocked(h *holder) {
	if len(h.files) == 0 && h.pending == 0 {
		delete(s.owners, h.key)
	}
}

// reserve counts n more bytes of an upload of owner in progress, within
// the uploads' room (Pending) and the owner's share. It removes nothing.
func (s *Store) reserve(owner string, n int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	h := s.holderLocked(owner)
	switch {
	case owner != "" && h.pending+n > s.share:
		s.forgetLocked(h)
		return fmt.Errorf("%w: %d of %d bytes", ErrShare, h.pending, s.share)
	case s.pending+n > s.maxPend:
		s.forgetLocked(h)
		return fmt.Errorf("%w: %d of %d bytes", ErrBusy, s.pending, s.maxPend)
	}
	h.pending += n
	s.pending += n
	return nil
}

// release gives back n bytes reserved by an upload of owner that failed.
func (s *Store) release(owner string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.owners[owner]; h != nil {
		h.pending -= n
		s.pending -= n
		s.forgetLocked(h)
	}
}

// add turns the reservation of a finished upload into a stored file,
// then removes files until the uploader is within its share and the
// files within the budget (see fit).
func (s *Store) add(e *entry) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	h := s.owners[e.Owner]
	h.pending -= e.Size
	s.pending -= e.Size
	s.files[e.ID] = e
	h.files = append(h.files, e)
	h.used += e.Size
	s.used += e.Size
	gone := s.fitLocked(e)
	s.mu.Unlock()
	s.removeAll(gone)
	return nil
}

// fitLocked removes files, never keep, until keep's uploader is within
// its share, then until the files fit the budget, each time the oldest
// file of whoever holds most: the one who fills the budget loses its
// own files first, and someone who holds little loses nothing while
// another holds more. It returns the files removed; s.mu is held, or
// Open has not returned the store yet.
func (s *Store) fitLocked(keep *entry) []*entry {
	var gone []*entry
	if keep != nil && keep.Owner != "" {
		for h := s.owners[keep.Owner]; h.used > s.share && h.files[0] != keep; {
			gone = append(gone, s.evictLocked(h))
		}
	}
	for s.used > s.budget {
		var most *holder
		for _, h := range s.owners {
			if len(h.files) > 0 && h.files[0] != keep && (most == nil || h.used > most.used) {
				most = h
			}
		}
		if most == nil {
			break
		}
		gone = append(gone, s.evictLocked(most))
	}
	return gone
}

// evictLocked forgets h's oldest file and returns it. s.mu is held, or
// Open has not returned the store yet.
func (s *Store) evictLocked(h *holder) *entry {
	e := h.files[0]
	h.files[0] = nil
	h.files = h.files[1:]
	h.used -= e.Size
	delete(s.files, e.ID)
	s.used -= e.Size
	s.evictions++
	s.forgetLocked(h)
	return e
}

// removeAll removes evicted files from disk. A download already under
// way keeps reading its open file: unlinking does not affect open files.
func (s *Store) removeAll(gone []*entry) {
	for _, e := range gone {
		s.log.Info("files: removed a file to make room", "id", e.ID, "size", e.Size, "owner", e.Owner)
		s.removeFiles(e.ID)
	}
}
