package files

import (
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
	// ErrFull: uploads in progress hold the whole budget, so there is
	// nothing older to remove to make room (HTTP 503).
	ErrFull = errors.New("files: store full")
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
	// with Dir, DefaultMemoryBudget without). Uploads in progress count
	// too. The oldest files are removed first to make room.
	Budget int64
	// Logger receives removals of old files and leftovers (none if nil).
	Logger *slog.Logger
	// Now gives the creation time of files (time.Now if nil).
	Now func() time.Time
}

// File describes a stored file.
type File struct {
	ID      string    // 32 hex digits, 128 random bits
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
	Pending   int64 // bytes of uploads in progress, counted in the budget
	Evictions int64 // files removed to make room since Open
}

// A Store keeps uploaded files within a budget and serves them. Its
// methods are safe for concurrent use.
type Store struct {
	dir     string
	maxFile int64
	budget  int64
	log     *slog.Logger
	now     func() time.Time

	mu        sync.Mutex
	files     map[string]*entry
	order     []*entry // stored files, oldest first
	used      int64    // total size of stored files
	pending   int64    // bytes read by uploads in progress
	evictions int64
	closed    bool
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
		dir: o.Dir, maxFile: o.MaxFile, budget: o.Budget,
		log: o.Logger, now: o.Now, files: map[string]*entry{},
	}
	if s.maxFile == 0 {
		s.maxFile = DefaultMaxFile
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
	return Stats{Files: len(s.files), Bytes: s.used, Pending: s.pending, Evictions: s.evictions}
}

// Close stops the store: uploads in progress and later fail with
// ErrClosed and nothing more is served. Files on disk stay for the next
// Open; files in memory are dropped.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.files, s.order, s.used = map[string]*entry{}, nil, 0
	return nil
}

// reserve counts n more bytes of an upload in progress against the
// budget, removing the oldest files as needed.
func (s *Store) reserve(n int64) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	var gone []*entry
	for s.used+s.pending+n > s.budget && len(s.order) > 0 {
		gone = append(gone, s.evictOldest())
	}
	ok := s.used+s.pending+n <= s.budget
	if ok {
		s.pending += n
	}
	budget, pending := s.budget, s.pending
	s.mu.Unlock()
	s.removeAll(gone)
	if !ok {
		return fmt.Errorf("%w: %d of %d bytes held by uploads in progress", ErrFull, pending, budget)
	}
	return nil
}

// release gives back n bytes reserved by an upload that failed.
func (s *Store) release(n int64) {
	s.mu.Lock()
	s.pending -= n
	s.mu.Unlock()
}

// add turns the reservation of a finished upload into a stored file.
func (s *Store) add(e *entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending -= e.Size
	if s.closed {
		return ErrClosed
	}
	s.files[e.ID] = e
	s.order = append(s.order, e)
	s.used += e.Size
	return nil
}

// evictOldest forgets the oldest file and returns it; s.mu is held, or
// Open has not returned the store yet.
func (s *Store) evictOldest() *entry {
	e := s.order[0]
	s.order[0] = nil
	s.order = s.order[1:]
	delete(s.files, e.ID)
	s.used -= e.Size
	s.evictions++
	return e
}

// removeAll removes evicted files from disk. A download already under
// way keeps reading its open file: unlinking does not affect open files.
func (s *Store) removeAll(gone []*entry) {
	for _, e := range gone {
		s.log.Info("files: removed the oldest file to make room", "id", e.ID, "size", e.Size)
		s.removeFiles(e.ID)
	}
}
