package memory

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"wschat/internal/engine"
)

// Moderation is the single node's engine.Moderation. With a directory
// it is kept there so that it survives restarts: the rooms' records and
// the reports in rooms.json, written anew (to a temporary file, then
// renamed) at every change, and the audit log in audit.log, one entry a
// line, appended to and written anew, the newest Limits.Audit only,
// when it holds twice as many lines.
type Moderation struct {
	lim engine.ModerationLimits
	dir string // "" keeps everything in memory

	mu         sync.Mutex
	rooms      map[string]engine.RoomRecord // by room key; none is empty
	owned      map[string]int               // rooms owned, by owner
	reports    []engine.Report              // oldest first
	reportedBy map[string]int               // reports kept, by reporter
	audit      []engine.AuditEntry          // oldest first, at most lim.Audit
	auditLines int                          // lines in audit.log
}

// snapshot is rooms.json.
type snapshot struct {
	Rooms   []engine.RoomRecord `json:"rooms"`
	Reports []engine.Report     `json:"reports"`
}

// OpenModeration returns the moderation records kept in dir, read back
// if they are there, or in memory when dir is "".
func OpenModeration(dir string, lim engine.ModerationLimits) (*Moderation, error) {
	m := &Moderation{lim: lim.WithDefaults(), dir: dir, rooms: map[string]engine.RoomRecord{},
		owned: map[string]int{}, reportedBy: map[string]int{}}
	if dir == "" {
		return m, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("moderation: %w", err)
	}
	if err := m.load(); err != nil {
		return nil, err
	}
	return m, m.rewriteAudit()
}

// load reads rooms.json and audit.log back.
func (m *Moderation) load() error {
	b, err := os.ReadFile(filepath.Join(m.dir, "rooms.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("moderation: %w", err)
	default:
		var s snapshot
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("moderation: read rooms.json: %w", err)
		}
		for _, r := range s.Rooms {
			m.rooms[r.Key] = r
			if r.Owner != "" {
				m.owned[r.Owner]++
			}
		}
		for _, r := range s.Reports {
			m.addReport(r)
		}
	}
	f, err := os.Open(filepath.Join(m.dir, "audit.log"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("moderation: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e engine.AuditEntry
		if json.Unmarshal(sc.Bytes(), &e) == nil { // a torn last line is skipped
			m.addAudit(e)
		}
	}
	return sc.Err()
}

// Room implements engine.Moderation.
func (m *Moderation) Room(_ context.Context, room string) (engine.RoomRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.rooms[room]; ok {
		return r, nil
	}
	return engine.RoomRecord{Key: room}, nil
}

// Put implements engine.Moderation.
func (m *Moderation) Put(_ context.Context, old, next engine.RoomRecord) error {
	if err := next.Check(m.lim.List); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.rooms[old.Key]
	if !ok {
		cur = engine.RoomRecord{Key: old.Key}
	}
	if cur.Encode() != old.Encode() {
		return engine.ErrChanged
	}
	if next.Owner != "" && next.Owner != cur.Owner && m.owned[next.Owner] >= m.lim.Owned {
		return &engine.BoundError{Bound: "owned", Max: m.lim.Owned}
	}
	if cur.Owner != next.Owner || next.Empty() {
		m.own(cur.Owner, -1)
		if !next.Empty() {
			m.own(next.Owner, 1)
		}
	}
	if next.Empty() {
		delete(m.rooms, old.Key)
	} else {
		next.Key = old.Key
		m.rooms[old.Key] = next
	}
	return m.saveRooms()
}

// own counts n more rooms owned by owner. m.mu is held.
func (m *Moderation) own(owner string, n int) {
	if owner == "" {
		return
	}
	if m.owned[owner] += n; m.owned[owner] <= 0 {
		delete(m.owned, owner)
	}
}

// Report implements engine.Moderation.
func (m *Moderation) Report(_ context.Context, r engine.Report) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reportedBy[r.Reporter] >= m.lim.ReportsEach {
		return &engine.BoundError{Bound: "reports-each", Max: m.lim.ReportsEach}
	}
	m.addReport(r)
	return m.saveRooms()
}

// addReport keeps r, dropping the oldest past the bound. m.mu is held.
func (m *Moderation) addReport(r engine.Report) {
	m.reports = append(m.reports, r)
	m.reportedBy[r.Reporter]++
	for len(m.reports) > m.lim.Reports {
		if m.reportedBy[m.reports[0].Reporter]--; m.reportedBy[m.reports[0].Reporter] <= 0 {
			delete(m.reportedBy, m.reports[0].Reporter)
		}
		m.reports = m.reports[1:]
	}
}

// Reports implements engine.Moderation.
func (m *Moderation) Reports(_ context.Context, n int) ([]engine.Report, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return newestFirst(m.reports, n), nil
}

// Audit implements engine.Moderation.
func (m *Moderation) Audit(_ context.Context, e engine.AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.addAudit(e)
	if m.dir == "" {
		return nil
	}
	if m.auditLines >= 2*m.lim.Audit {
		return m.rewriteAudit()
	}
	return m.appendAudit(e)
}

// addAudit keeps e, dropping the oldest past the bound. m.mu is held.
func (m *Moderation) addAudit(e engine.AuditEntry) {
	m.audit = append(m.audit, e)
	if over := len(m.audit) - m.lim.Audit; over > 0 {
		m.audit = append(m.audit[:0:0], m.audit[over:]...)
	}
}

// AuditLog implements engine.Moderation.
func (m *Moderation) AuditLog(_ context.Context, n int) ([]engine.AuditEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return newestFirst(m.audit, n), nil
}

// newestFirst returns the last n of all, newest first.
func newestFirst[T any](all []T, n int) []T {
	n = max(0, min(n, len(all)))
	out := make([]T, 0, n)
	for i := len(all) - 1; i >= len(all)-n; i-- {
		out = append(out, all[i])
	}
	return out
}
