package memory

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"wschat/internal/engine"
	"wschat/internal/engine/enginetest"
)

func TestDirectoryContract(t *testing.T) {
	for _, mode := range []string{"memory", "disk"} {
		t.Run(mode, func(t *testing.T) {
			enginetest.RunDirectory(t, func(t *testing.T, b engine.DirectoryBounds) engine.Directory {
				var path string
				if mode == "disk" {
					path = filepath.Join(t.TempDir(), "keys")
				}
				d, err := OpenDirectory(path, b)
				if err != nil {
					t.Fatal(err)
				}
				return d
			})
		})
	}
}

// TestDirectoryReopens: what the directory keeps in its file is there
// after a restart, and a file that does not read is an error, not an
// empty directory.
func TestDirectoryReopens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys")
	d, err := OpenDirectory(path, engine.DirectoryBounds{})
	if err != nil {
		t.Fatal(err)
	}
	devs := []engine.Device{{ID: "a", Key: "ka"}, {ID: "b", Key: "kb"}}
	for _, dev := range devs {
		if err := d.AddDevice(ctx, "alice", dev); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Encrypt(ctx, "secret"); err != nil {
		t.Fatal(err)
	}
	again, err := OpenDirectory(path, engine.DirectoryBounds{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := again.Devices(ctx, "alice")
	if !slices.Equal(got, devs) {
		t.Fatalf("after a restart alice has %v, want %v", got, devs)
	}
	if ok, _ := again.Encrypted(ctx, "secret"); !ok {
		t.Fatal("after a restart the room is not encrypted")
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDirectory(path, engine.DirectoryBounds{}); err == nil {
		t.Fatal("a damaged file opens as an empty directory")
	}
}
