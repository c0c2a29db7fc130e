package enginetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"wschat/internal/engine"
)

// OpenDirectory returns a fresh key directory for one test, within
// bounds (zero fields: the defaults).
type OpenDirectory func(t *testing.T, bounds engine.DirectoryBounds) engine.Directory

// RunDirectory runs the key directory's contract against directories
// open opens.
func RunDirectory(t *testing.T, open OpenDirectory) {
	t.Run("Devices", func(t *testing.T) { testDevices(t, open) })
	t.Run("DeviceBound", func(t *testing.T) { testDeviceBound(t, open) })
	t.Run("OwnerBound", func(t *testing.T) { testOwnerBound(t, open) })
	t.Run("Rooms", func(t *testing.T) { testEncryptedRooms(t, open) })
}

func device(n int) engine.Device {
	return engine.Device{ID: fmt.Sprintf("id-%02d", n), Key: fmt.Sprintf("key-%02d", n)}
}

func devices(t *testing.T, d engine.Directory, owner string) []engine.Device {
	t.Helper()
	devs, err := d.Devices(ctx(t), owner)
	if err != nil {
		t.Fatalf("Devices(%q): %v", owner, err)
	}
	return devs
}

func add(t *testing.T, d engine.Directory, owner string, dev engine.Device) {
	t.Helper()
	if err := d.AddDevice(ctx(t), owner, dev); err != nil {
		t.Fatalf("AddDevice(%q, %v): %v", owner, dev, err)
	}
}

// testDevices: an account's devices are listed by id, a device added
// again is replaced, not repeated, removal forgets one, and accounts do
// not see each other's.
func testDevices(t *testing.T, open OpenDirectory) {
	d := open(t, engine.DirectoryBounds{})
	if got := devices(t, d, "alice"); len(got) != 0 {
		t.Fatalf("a new directory lists %v for alice", got)
	}
	add(t, d, "alice", device(2))
	add(t, d, "alice", device(1))
	add(t, d, "bob", device(3))
	replaced := engine.Device{ID: device(2).ID, Key: "key-new"}
	add(t, d, "alice", replaced)
	if got, want := devices(t, d, "alice"), []engine.Device{device(1), replaced}; !slices.Equal(got, want) {
		t.Fatalf("alice's devices: %v, want %v", got, want)
	}
	if got, want := devices(t, d, "bob"), []engine.Device{device(3)}; !slices.Equal(got, want) {
		t.Fatalf("bob's devices: %v, want %v", got, want)
	}
	for _, tc := range []struct {
		name, owner, id string
		had             bool
	}{
		{"another's device", "bob", device(1).ID, false},
		{"one's own", "alice", device(1).ID, true},
		{"the same again", "alice", device(1).ID, false},
	} {
		had, err := d.RemoveDevice(ctx(t), tc.owner, tc.id)
		if err != nil || had != tc.had {
			t.Errorf("%s: RemoveDevice(%q, %q) = %v, %v; want %v", tc.name, tc.owner, tc.id, had, err, tc.had)
		}
	}
	if got, want := devices(t, d, "alice"), []engine.Device{replaced}; !slices.Equal(got, want) {
		t.Fatalf("alice's devices after a removal: %v, want %v", got, want)
	}
}

// testDeviceBound: an account has at most Devices devices, even when
// many are added at once; replacing one is not adding; a removal frees
// a place.
func testDeviceBound(t *testing.T, open OpenDirectory) {
	const bound = 4
	d := open(t, engine.DirectoryBounds{Devices: bound})
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { errs[i] = d.AddDevice(ctx(t), "alice", device(i)) })
	}
	wg.Wait()
	added := 0
	for i, err := range errs {
		switch {
		case err == nil:
			added++
		case !errors.Is(err, engine.ErrTooManyDevices):
			t.Fatalf("device %d: %v, want ErrTooManyDevices or nothing", i, err)
		}
	}
	devs := devices(t, d, "alice")
	if added != bound || len(devs) != bound {
		t.Fatalf("20 devices added at once with a bound of %d: %d added, %d listed", bound, added, len(devs))
	}
	add(t, d, "alice", engine.Device{ID: devs[0].ID, Key: "replaced"})
	if _, err := d.RemoveDevice(ctx(t), "alice", devs[1].ID); err != nil {
		t.Fatal(err)
	}
	add(t, d, "alice", device(99))
	if err := d.AddDevice(ctx(t), "alice", device(98)); !errors.Is(err, engine.ErrTooManyDevices) {
		t.Fatalf("a fifth device: %v, want ErrTooManyDevices", err)
	}
}

// testOwnerBound: at most Owners accounts have devices; an account
// whose last device is removed frees its place.
func testOwnerBound(t *testing.T, open OpenDirectory) {
	d := open(t, engine.DirectoryBounds{Owners: 2})
	add(t, d, "alice", device(1))
	add(t, d, "bob", device(1))
	add(t, d, "bob", device(2)) // an owner that has devices adds more
	if err := d.AddDevice(ctx(t), "carol", device(1)); !errors.Is(err, engine.ErrDirectoryFull) {
		t.Fatalf("a third owner: %v, want ErrDirectoryFull", err)
	}
	if len(devices(t, d, "carol")) != 0 {
		t.Fatal("a refused device is listed")
	}
	if _, err := d.RemoveDevice(ctx(t), "alice", device(1).ID); err != nil {
		t.Fatal(err)
	}
	add(t, d, "carol", device(1))
}

// testEncryptedRooms: a flag is for good, flagging again is nothing new,
// and at most Rooms rooms are flagged.
func testEncryptedRooms(t *testing.T, open OpenDirectory) {
	d := open(t, engine.DirectoryBounds{Rooms: 2})
	encrypted := func(room string) bool {
		t.Helper()
		ok, err := d.Encrypted(ctx(t), room)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if encrypted("secret") {
		t.Fatal("a room is encrypted before it was flagged")
	}
	for _, room := range []string{"secret", "secret", "plans"} {
		if err := d.Encrypt(ctx(t), room); err != nil {
			t.Fatalf("Encrypt(%q): %v", room, err)
		}
	}
	if err := d.Encrypt(ctx(t), "third"); !errors.Is(err, engine.ErrDirectoryFull) {
		t.Fatalf("a third room: %v, want ErrDirectoryFull", err)
	}
	if err := d.Encrypt(ctx(t), "secret"); err != nil {
		t.Fatalf("a flagged room flagged again at the bound: %v", err)
	}
	if !encrypted("secret") || !encrypted("plans") || encrypted("third") || encrypted("lobby") {
		t.Fatal("the flags are not the rooms flagged")
	}
}
