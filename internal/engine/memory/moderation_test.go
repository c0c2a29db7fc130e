package memory

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"wschat/internal/engine"
	"wschat/internal/engine/enginetest"
)

func TestModerationContract(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		enginetest.RunModeration(t, func(t *testing.T, lim engine.ModerationLimits) (engine.Moderation, func() engine.Moderation) {
			m, err := OpenModeration("", lim)
			if err != nil {
				t.Fatal(err)
			}
			return m, nil
		})
	})
	t.Run("disk", func(t *testing.T) {
		enginetest.RunModeration(t, func(t *testing.T, lim engine.ModerationLimits) (engine.Moderation, func() engine.Moderation) {
			dir := t.TempDir()
			open := func() engine.Moderation {
				m, err := OpenModeration(dir, lim)
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			return open(), open
		})
	})
}

// TestAuditFileBound: the audit log on disk holds at most twice its
// bound in lines, however many actions there were.
func TestAuditFileBound(t *testing.T) {
	dir := t.TempDir()
	m, err := OpenModeration(dir, engine.ModerationLimits{Audit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		if err := m.Audit(context.Background(), engine.AuditEntry{Room: "go", Actor: "alice", Action: "kick", Target: "eve"}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n > 20 {
		t.Fatalf("audit.log has %d lines after 1000 entries, want at most 20", n)
	}
}
