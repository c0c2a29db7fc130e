package memory

import (
	"bufio"
	"container/list"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Mailboxes is the record of the owners that have a mailbox: those that
// connected (and, with built-in accounts, those known to exist that were
// written to). It holds at most max; past it the one opened longest ago
// is forgotten (its mail, if it has any, stays, and so does its mailbox).
// With a file it is kept there, one key a line, appended to as owners
// are first seen and rewritten when it holds twice as many lines as
// owners, so that it survives restarts.
type Mailboxes struct {
	max  int
	path string // "" keeps the record in memory only

	mu    sync.Mutex
	order list.List                // keys, the one opened longest ago first
	byKey map[string]*list.Element // by key
	f     *os.File                 // open for appending; nil in memory
	lines int                      // lines in the file
}

// OpenMailboxes returns the record of mailboxes kept in the file path,
// read back if it exists, or in memory when path is "". It holds at most
// size owners (at least 1).
func OpenMailboxes(path string, size int) (*Mailboxes, error) {
	b := &Mailboxes{max: max(size, 1), path: path, byKey: make(map[string]*list.Element)}
	if path == "" {
		return b, nil
	}
	if err := b.load(); err != nil {
		return nil, err
	}
	if err := b.rewrite(); err != nil {
		return nil, err
	}
	return b, nil
}

// load reads the file back, if there is one.
func (b *Mailboxes) load() error {
	f, err := os.Open(b.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mailboxes: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if key := strings.TrimSpace(sc.Text()); key != "" {
			b.note(key)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("mailboxes: read %s: %w", b.path, err)
	}
	return nil
}

// Open records that owner has a mailbox, as the one opened last.
func (b *Mailboxes) Open(owner string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.note(owner) || b.path == "" {
		return nil
	}
	if b.f == nil {
		return errors.New("mailboxes: closed")
	}
	if b.lines >= 2*b.max {
		return b.rewrite()
	}
	if _, err := b.f.WriteString(owner + "\n"); err != nil {
		return fmt.Errorf("mailboxes: record %q: %w", owner, err)
	}
	b.lines++
	return nil
}

// note records owner as opened last, forgetting the one opened longest
// ago past max, and reports whether owner is new. b.mu is held, or b is
// not yet shared.
func (b *Mailboxes) note(owner string) bool {
	if e, ok := b.byKey[owner]; ok {
		b.order.MoveToBack(e)
		return false
	}
	b.byKey[owner] = b.order.PushBack(owner)
	if b.order.Len() > b.max {
		delete(b.byKey, b.order.Remove(b.order.Front()).(string))
	}
	return true
}

// rewrite writes the record anew, the one opened longest ago first, and
// keeps the new file open for appending. b.mu is held, or b is not yet
// shared.
func (b *Mailboxes) rewrite() error {
	tmp := b.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("mailboxes: %w", err)
	}
	w := bufio.NewWriter(f)
	for e := b.order.Front(); e != nil; e = e.Next() {
		w.WriteString(e.Value.(string) + "\n")
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, b.path)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("mailboxes: rewrite %s: %w", filepath.Base(b.path), err)
	}
	if b.f != nil {
		b.f.Close()
	}
	b.f, b.lines = f, b.order.Len()
	return nil
}

// Has reports whether owner has a mailbox on record.
func (b *Mailboxes) Has(owner string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.byKey[owner]
	return ok
}

// Close closes the file.
func (b *Mailboxes) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.f == nil {
		return nil
	}
	err := b.f.Close()
	b.f = nil
	return err
}
