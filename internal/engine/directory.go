package engine

import (
	"context"
	"errors"
)

// The key directory of end-to-end encryption (docs/encryption.md): the
// public key of each device of each account, published by the device
// and read by whoever writes to the account, and the rooms that are
// encrypted. It keeps what it is given; the HTTP API checks keys' form,
// and the chat who may publish under which account.

// ErrTooManyDevices is Directory.AddDevice's error for an account that
// has as many devices as DirectoryBounds allows: nothing was added.
var ErrTooManyDevices = errors.New("engine: the account has as many devices as it may")

// ErrDirectoryFull is a Directory's error when it holds as many accounts,
// or as many encrypted rooms, as DirectoryBounds allows: nothing was added.
var ErrDirectoryFull = errors.New("engine: the key directory is full")

// Device is one device's public key, as the directory keeps it.
type Device struct {
	ID  string `json:"id"`  // the key id: base64url of the first 16 bytes of SHA-256 of the key
	Key string `json:"key"` // the raw public key, base64url
}

// DirectoryBounds bound a Directory: devices an account may publish,
// accounts with devices, and rooms flagged as encrypted.
type DirectoryBounds struct {
	Devices, Owners, Rooms int
}

// DefaultDirectoryBounds are the bounds a Directory has when it is given
// zero ones.
var DefaultDirectoryBounds = DirectoryBounds{Devices: 16, Owners: 100_000, Rooms: 100_000}

// WithDefaults returns b with its zero fields set from DefaultDirectoryBounds.
func (b DirectoryBounds) WithDefaults() DirectoryBounds {
	if b.Devices <= 0 {
		b.Devices = DefaultDirectoryBounds.Devices
	}
	if b.Owners <= 0 {
		b.Owners = DefaultDirectoryBounds.Owners
	}
	if b.Rooms <= 0 {
		b.Rooms = DefaultDirectoryBounds.Rooms
	}
	return b
}

// A Directory keeps the device keys of accounts, by the account's name
// key, and which rooms are encrypted, by the room's key, for every node.
type Directory interface {
	// AddDevice records d among owner's devices; one it has by d.ID is
	// replaced. Past the bounds it fails with ErrTooManyDevices or
	// ErrDirectoryFull.
	AddDevice(ctx context.Context, owner string, d Device) error
	// RemoveDevice forgets owner's device id; it reports whether it had it.
	RemoveDevice(ctx context.Context, owner, id string) (bool, error)
	// Devices lists owner's devices, ordered by ID.
	Devices(ctx context.Context, owner string) ([]Device, error)

	// Encrypt flags room as encrypted, for good. Past the bound it fails
	// with ErrDirectoryFull, unless the room is flagged already.
	Encrypt(ctx context.Context, room string) error
	// Encrypted reports whether room is flagged.
	Encrypted(ctx context.Context, room string) (bool, error)
}
