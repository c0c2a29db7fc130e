package memory

import (
	"testing"

	"wschat/internal/engine"
	"wschat/internal/engine/enginetest"
	"wschat/internal/store"
)

func TestContract(t *testing.T) {
	for _, mode := range []string{"memory", "disk"} {
		t.Run(mode, func(t *testing.T) {
			enginetest.Run(t, func(t *testing.T, h engine.Handler) enginetest.Engine {
				var o store.Options
				if mode == "disk" {
					o.Dir = t.TempDir()
				}
				l, err := store.Open(o)
				if err != nil {
					t.Fatal(err)
				}
				e := New(l)
				e.Attach(h)
				t.Cleanup(func() { e.Close() })
				return e
			})
		})
	}
}
