package memory

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"wschat/internal/engine"
)

// saveRooms writes rooms.json anew: the rooms' records and the reports.
// m.mu is held.
func (m *Moderation) saveRooms() error {
	if m.dir == "" {
		return nil
	}
	s := snapshot{Rooms: make([]engine.RoomRecord, 0, len(m.rooms)), Reports: m.reports}
	for _, r := range m.rooms {
		s.Rooms = append(s.Rooms, r)
	}
	slices.SortFunc(s.Rooms, func(a, b engine.RoomRecord) int { return strings.Compare(a.Key, b.Key) })
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("moderation: encode rooms.json: %w", err)
	}
	return writeFile(filepath.Join(m.dir, "rooms.json"), func(w *bufio.Writer) { w.Write(b) })
}

// appendAudit adds e to audit.log. m.mu is held.
func (m *Moderation) appendAudit(e engine.AuditEntry) error {
	f, err := os.OpenFile(filepath.Join(m.dir, "audit.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("moderation: %w", err)
	}
	line, _ := json.Marshal(e) // strings and times always encode
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("moderation: append to audit.log: %w", err)
	}
	m.auditLines++
	return nil
}

// rewriteAudit writes audit.log anew with the entries kept. m.mu is
// held, or m is not yet shared.
func (m *Moderation) rewriteAudit() error {
	err := writeFile(filepath.Join(m.dir, "audit.log"), func(w *bufio.Writer) {
		for _, e := range m.audit {
			line, _ := json.Marshal(e)
			w.Write(append(line, '\n'))
		}
	})
	if err == nil {
		m.auditLines = len(m.audit)
	}
	return err
}

// writeFile replaces the file at path with what write writes: to a
// temporary file, synced, then renamed over it, so that a crash leaves
// the old file or the new one whole.
func writeFile(path string, write func(*bufio.Writer)) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("moderation: %w", err)
	}
	w := bufio.NewWriter(f)
	write(w)
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("moderation: write %s: %w", filepath.Base(path), err)
	}
	return nil
}
