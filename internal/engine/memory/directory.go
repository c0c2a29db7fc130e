package memory

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"wschat/internal/engine"
)

// Directory is the key directory of one node (engine.Directory): in
// memory, or kept in a file that is rewritten whole on every change
// (temporary file, fsync, rename, fsync of the directory), so that it
// is never seen half written and survives restarts. Changes are rare: a
// device publishes its key once.
type Directory struct {
	bounds engine.DirectoryBounds
	path   string // "" keeps it in memory only

	mu   sync.Mutex
	data directoryData
}

// directoryData is what the file holds.
type directoryData struct {
	Devices map[string][]engine.Device `json:"devices"` // by owner, each ordered by ID
	Rooms   map[string]bool            `json:"rooms"`   // the encrypted rooms
}

// OpenDirectory returns the directory kept in the file path, read back
// if it exists, or in memory when path is "", within bounds.
func OpenDirectory(path string, bounds engine.DirectoryBounds) (*Directory, error) {
	d := &Directory{bounds: bounds.WithDefaults(), path: path,
		data: directoryData{Devices: map[string][]engine.Device{}, Rooms: map[string]bool{}}}
	if path == "" {
		return d, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err == nil {
		err = json.Unmarshal(b, &d.data)
	}
	if err != nil {
		return nil, fmt.Errorf("key directory %s: %w", path, err)
	}
	if d.data.Devices == nil {
		d.data.Devices = map[string][]engine.Device{}
	}
	if d.data.Rooms == nil {
		d.data.Rooms = map[string]bool{}
	}
	return d, nil
}

// AddDevice implements engine.Directory.
func (d *Directory) AddDevice(_ context.Context, owner string, dev engine.Device) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	devs, had := d.data.Devices[owner]
	i, found := slices.BinarySearchFunc(devs, dev.ID, func(x engine.Device, id string) int { return cmp.Compare(x.ID, id) })
	switch {
	case found && devs[i] == dev:
		return nil
	case found:
		devs = slices.Clone(devs)
		devs[i] = dev
	case len(devs) >= d.bounds.Devices:
		return engine.ErrTooManyDevices
	case !had && len(d.data.Devices) >= d.bounds.Owners:
		return engine.ErrDirectoryFull
	default:
		devs = slices.Insert(slices.Clone(devs), i, dev)
	}
	old := d.data.Devices[owner]
	d.data.Devices[owner] = devs
	if err := d.save(); err != nil {
		d.undo(owner, old, had)
		return err
	}
	return nil
}

// RemoveDevice implements engine.Directory.
func (d *Directory) RemoveDevice(_ context.Context, owner, id string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	devs := d.data.Devices[owner]
	i := slices.IndexFunc(devs, func(x engine.Device) bool { return x.ID == id })
	if i < 0 {
		return false, nil
	}
	if len(devs) == 1 {
		delete(d.data.Devices, owner)
	} else {
		d.data.Devices[owner] = slices.Delete(slices.Clone(devs), i, i+1)
	}
	if err := d.save(); err != nil {
		d.undo(owner, devs, true)
		return false, err
	}
	return true, nil
}

// undo puts owner's devices back as they were before a change that
// could not be saved.
func (d *Directory) undo(owner string, devs []engine.Device, had bool) {
	if had {
		d.data.Devices[owner] = devs
	} else {
		delete(d.data.Devices, owner)
	}
}

// Devices implements engine.Directory.
func (d *Directory) Devices(_ context.Context, owner string) ([]engine.Device, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.data.Devices[owner]), nil
}

// Encrypt implements engine.Directory.
func (d *Directory) Encrypt(_ context.Context, room string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.data.Rooms[room]:
		return nil
	case len(d.data.Rooms) >= d.bounds.Rooms:
		return engine.ErrDirectoryFull
	}
	d.data.Rooms[room] = true
	if err := d.save(); err != nil {
		delete(d.data.Rooms, room)
		return err
	}
	return nil
}

// Encrypted implements engine.Directory.
func (d *Directory) Encrypted(_ context.Context, room string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.data.Rooms[room], nil
}

// save rewrites the file, if there is one, with d.mu held.
func (d *Directory) save() error {
	if d.path == "" {
		return nil
	}
	b, err := json.Marshal(d.data)
	if err != nil {
		return fmt.Errorf("key directory: %w", err)
	}
	if err := writeFileAtomic(d.path, b); err != nil {
		return fmt.Errorf("key directory: %w", err)
	}
	return nil
}

// writeFileAtomic replaces path with b: a temporary file beside it,
// synced, renamed over it, then the directory synced, so that the file
// is either the old one or the new one whole.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}
