package redis

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"

	"wschat/internal/engine"
)

// The key directory on several nodes (engine.Directory): each account's
// devices are a hash, wschat:devices:OWNER, of key ids to public keys;
// wschat:key-owners is the set of owners that have devices, and
// wschat:encrypted the set of encrypted rooms. Scripts check the bounds
// and add in one step, so that two nodes cannot both pass a bound.

const (
	devicesPrefix = "wschat:devices:"
	ownersKey     = "wschat:key-owners"
	encryptedKey  = "wschat:encrypted"
)

// addDeviceScript adds a device: KEYS[1] the owner's devices, KEYS[2]
// the owners; ARGV: the key id, the key, the most devices, the most
// owners, the owner. It returns 1 when added, -1 past the devices,
// -2 past the owners.
const addDeviceScript = `if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end
  if redis.call('SISMEMBER', KEYS[2], ARGV[5]) == 0 then
    if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[4]) then return -2 end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[5])
return 1`

// removeDeviceScript removes a device: KEYS[1] the owner's devices,
// KEYS[2] the owners; ARGV: the key id, the owner. It returns 1 when the
// device was there.
const removeDeviceScript = `if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
return 1`

// encryptScript flags a room: KEYS[1] the encrypted rooms; ARGV: the
// room, the most rooms. It returns 1 when the room is flagged, -1 past
// the bound.
const encryptScript = `if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1`

// Directory returns the key directory every node shares, within bounds.
func (e *Engine) Directory(bounds engine.DirectoryBounds) engine.Directory {
	return directory{e, bounds.WithDefaults()}
}

// directory is engine.Directory in Redis.
type directory struct {
	e      *Engine
	bounds engine.DirectoryBounds
}

// AddDevice implements engine.Directory.
func (d directory) AddDevice(ctx context.Context, owner string, dev engine.Device) error {
	v, err := d.e.do(ctx, "EVAL", addDeviceScript, "2", devicesPrefix+owner, ownersKey,
		dev.ID, dev.Key, strconv.Itoa(d.bounds.Devices), strconv.Itoa(d.bounds.Owners), owner)
	switch {
	case err != nil:
		return err
	case v.Int() == -1:
		return engine.ErrTooManyDevices
	case v.Int() == -2:
		return engine.ErrDirectoryFull
	}
	return nil
}

// RemoveDevice implements engine.Directory.
func (d directory) RemoveDevice(ctx context.Context, owner, id string) (bool, error) {
	v, err := d.e.do(ctx, "EVAL", removeDeviceScript, "2", devicesPrefix+owner, ownersKey, id, owner)
	return err == nil && v.Int() == 1, err
}

// Devices implements engine.Directory.
func (d directory) Devices(ctx context.Context, owner string) ([]engine.Device, error) {
	v, err := d.e.do(ctx, "HGETALL", devicesPrefix+owner)
	if err != nil {
		return nil, err
	}
	m, ok := v.StringMap()
	if !ok {
		return nil, errors.New("redis: HGETALL of a device list answered " + v.Format())
	}
	devs := make([]engine.Device, 0, len(m))
	for id, key := range m {
		devs = append(devs, engine.Device{ID: id, Key: key.Str()})
	}
	slices.SortFunc(devs, func(a, b engine.Device) int { return cmp.Compare(a.ID, b.ID) })
	return devs, nil
}

// Encrypt implements engine.Directory.
func (d directory) Encrypt(ctx context.Context, room string) error {
	v, err := d.e.do(ctx, "EVAL", encryptScript, "1", encryptedKey, room, strconv.Itoa(d.bounds.Rooms))
	if err == nil && v.Int() == -1 {
		return engine.ErrDirectoryFull
	}
	return err
}

// Encrypted implements engine.Directory.
func (d directory) Encrypted(ctx context.Context, room string) (bool, error) {
	v, err := d.e.do(ctx, "SISMEMBER", encryptedKey, room)
	return err == nil && v.Int() == 1, err
}
