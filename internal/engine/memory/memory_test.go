package memory

import (
	"path/filepath"
	"testing"

	"wschat/internal/engine"
	"wschat/internal/engine/enginetest"
	"wschat/internal/store"
)

func TestContract(t *testing.T) {
	for _, mode := range []string{"memory", "disk"} {
		t.Run(mode, func(t *testing.T) {
			enginetest.Run(t, func(t *testing.T, h engine.Handler, limits enginetest.Limits) enginetest.Engine {
				limits = limits.WithDefaults()
				var dir string
				if mode == "disk" {
					dir = t.TempDir()
				}
				open := func(sub string, b store.Bounds) *store.Log {
					o := store.Options{Keep: limits.Keep, Bounds: b}
					if dir != "" {
						o.Dir = filepath.Join(dir, sub)
					}
					l, err := store.Open(o)
					if err != nil {
						t.Fatal(err)
					}
					return l
				}
				var boxes string
				if dir != "" {
					boxes = filepath.Join(dir, "mailboxes")
				}
				b, err := OpenMailboxes(boxes, limits.Mailboxes)
				if err != nil {
					t.Fatal(err)
				}
				e := New(open("history", limits.History), open("mail", limits.Mail), b)
				e.Attach(h)
				t.Cleanup(func() { e.Close() })
				return e
			})
		})
	}
}
