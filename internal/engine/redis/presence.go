package redis

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"wschat/internal/engine"
)

// The scripts that keep names and rooms. Redis runs each whole, so two
// nodes never interleave their steps. Times come from Redis (TIME), so
// that the nodes' clocks do not matter.
const (
	// nowMs is the current time, in milliseconds, as a Lua local.
	nowMs = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`
	// claimScript takes a name for a holder, or renews its claim, unless
	// another holder has it (of the same account: an account's
	// connections share its name). Lapsed holders are removed first. The
	// hash keeps the name as spelled and the account beside the holders,
	// in fields that start with "~", which no holder does. KEYS[1] the
	// name's hash; ARGV: holder, name, account ("" for none), expiry in
	// ms. It returns "" when the holder has the name, or the name of the
	// holders that have it.
	claimScript = nowMs + `local k, holder, name, account, ttl = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local all = redis.call('HGETALL', k)
local live, mine, theirs, held = 0, false, '', ''
for i = 1, #all, 2 do
  local f, v = all[i], all[i + 1]
  if f == '~account' then theirs = v
  elseif f == '~name' then held = v
  elseif tonumber(v) <= now then redis.call('HDEL', k, f)
  else
    live = live + 1
    if f == holder then mine = true end
  end
end
if live > 0 and not mine and (theirs == '' or theirs ~= account) then return held end
if live == 0 then redis.call('HSET', k, '~name', name, '~account', account) end
redis.call('HSET', k, holder, now + ttl)
redis.call('PEXPIRE', k, ttl)
return ''`
	// renewScript extends each holder's claim that it still has, in
	// one step for a batch of names: a node renews all its claims in a
	// few calls rather than one call each. KEYS: the names' hashes;
	// ARGV: expiry in ms, then the holder of each key in turn. It
	// returns 1 for each claim renewed, 0 for each lost.
	renewScript = nowMs + `local ttl, out = tonumber(ARGV[1]), {}
for i = 1, #KEYS do
  if redis.call('HEXISTS', KEYS[i], ARGV[i + 1]) == 1 then
    redis.call('HSET', KEYS[i], ARGV[i + 1], now + ttl)
    redis.call('PEXPIRE', KEYS[i], ttl)
    out[i] = 1
  else
    out[i] = 0
  end
end
return out`
	// releaseScript gives a holder's claim up. KEYS[1] the name's hash;
	// ARGV[1] the holder.
	releaseScript = `redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) <= 2 then redis.call('DEL', KEYS[1]) end
return 1`
	// onlineScript reports whether a name has a holder whose claim has
	// not lapsed. KEYS[1] the name's hash.
	onlineScript = nowMs + `local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 1) ~= '~' and tonumber(all[i + 1]) > now then return 1 end
end
return 0`
	// enterScript records a holder in a room, once, and announces the
	// name's arrival when it is the name's first holder there. KEYS: the
	// node's holders in the room, the room's names, the rooms, the node's
	// rooms; ARGV: holder, name, room key, room as spelled, node, channel.
	enterScript = `if redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('HSETNX', KEYS[3], ARGV[3], ARGV[4])
if redis.call('HINCRBY', KEYS[2], ARGV[2], 1) == 1 then
  redis.call('PUBLISH', ARGV[6], 'j\n' .. ARGV[3] .. '\n' .. ARGV[5] .. '\n' .. ARGV[2])
end
return 1`
	// exitScript undoes enterScript, and announces the name's leaving
	// when it was the name's last holder there. KEYS as enterScript's;
	// ARGV: holder, room key, node, channel.
	exitScript = `local name = redis.call('HGET', KEYS[1], ARGV[1])
if not name then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[4], ARGV[2]) end
if redis.call('HINCRBY', KEYS[2], name, -1) <= 0 then
  redis.call('HDEL', KEYS[2], name)
  redis.call('PUBLISH', ARGV[4], 'l\n' .. ARGV[2] .. '\n' .. ARGV[3] .. '\n' .. name)
  if redis.call('HLEN', KEYS[2]) == 0 then redis.call('HDEL', KEYS[3], ARGV[2]) end
end
return 1`
	// sweepScript takes every holder of a node that is gone out of one
	// room, announcing the names that left. KEYS: the node's holders in
	// the room, the room's names, the rooms; ARGV: room key, node, channel.
	sweepScript = `local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local name = all[i + 1]
  if redis.call('HINCRBY', KEYS[2], name, -1) <= 0 then
    redis.call('HDEL', KEYS[2], name)
    redis.call('PUBLISH', ARGV[3], 'l\n' .. ARGV[1] .. '\n' .. ARGV[2] .. '\n' .. name)
  end
end
redis.call('DEL', KEYS[1])
if redis.call('HLEN', KEYS[2]) == 0 then redis.call('HDEL', KEYS[3], ARGV[1]) end
return 1`
	// roomsScript lists the rooms with someone in them: key, name as
	// spelled, and how many names, for each. KEYS[1] the rooms.
	roomsScript = `local rooms = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #rooms, 2 do
  local n = redis.call('HLEN', 'wschat:members:' .. rooms[i])
  if n > 0 then
    table.insert(out, rooms[i]); table.insert(out, rooms[i + 1]); table.insert(out, n)
  else
    redis.call('HDEL', KEYS[1], rooms[i])
  end
end
return out`
)

// Claim implements engine.Presence.
func (e *Engine) Claim(ctx context.Context, c engine.Claim) (string, error) {
	v, err := e.do(ctx, claimArgs(c, e.ms())...)
	if err != nil {
		return "", err
	}
	if v.Str() == "" {
		e.mu.Lock()
		e.claims[c.Holder] = c
		e.mu.Unlock()
	}
	return v.Str(), nil
}

// claimArgs is the command that claims c for ms milliseconds.
func claimArgs(c engine.Claim, ms string) []string {
	return []string{"EVAL", claimScript, "1", claimKey(c.Key), c.Holder, c.Name, c.Account, ms}
}

// Release implements engine.Presence.
func (e *Engine) Release(ctx context.Context, c engine.Claim) error {
	e.mu.Lock()
	delete(e.claims, c.Holder)
	e.mu.Unlock()
	_, err := e.do(ctx, "EVAL", releaseScript, "1", claimKey(c.Key), c.Holder)
	return err
}

// Online implements engine.Presence.
func (e *Engine) Online(ctx context.Context, key string) (bool, error) {
	v, err := e.do(ctx, "EVAL", onlineScript, "1", claimKey(key))
	return err == nil && v.Int() == 1, err
}

// Enter implements engine.Presence.
func (e *Engine) Enter(ctx context.Context, p engine.Place) error {
	e.mu.Lock()
	e.places[p.Holder] = p
	e.mu.Unlock()
	return e.enter(ctx, p)
}

func (e *Engine) enter(ctx context.Context, p engine.Place) error {
	_, err := e.do(ctx, "EVAL", enterScript, "4", hereKey(p.Room, e.node), membersKey(p.Room), roomsKey, nodeRoomsKey(e.node),
		p.Holder, p.Name, p.Room, p.RoomName, e.node, eventsChannel)
	return err
}

// Exit implements engine.Presence. A place it could not take out is
// taken out again with the next renewals (see leaving).
func (e *Engine) Exit(ctx context.Context, p engine.Place) error {
	e.mu.Lock()
	if q, ok := e.places[p.Holder]; ok && q.Room == p.Room {
		delete(e.places, p.Holder)
	}
	e.mu.Unlock()
	err := e.exit(ctx, p)
	if err != nil {
		e.mu.Lock()
		if len(e.leaving) < maxLeaving {
			e.leaving[leavingKey(p)] = p
		}
		e.mu.Unlock()
	}
	return err
}

// leavingKey is p's key in leaving.
func leavingKey(p engine.Place) string { return p.Holder + "\n" + p.Room }

// exitAgain takes out again the places whose Exit failed, unless their
// holder has come back into the room meanwhile.
func (e *Engine) exitAgain() {
	e.mu.Lock()
	leaving := slices.Collect(maps.Values(e.leaving))
	e.mu.Unlock()
	for _, p := range leaving {
		if !e.isAt(p) {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			err := e.exit(ctx, p)
			cancel()
			if err != nil {
				continue
			}
		}
		e.mu.Lock()
		delete(e.leaving, leavingKey(p))
		e.mu.Unlock()
	}
}

func (e *Engine) exit(ctx context.Context, p engine.Place) error {
	_, err := e.do(ctx, "EVAL", exitScript, "4", hereKey(p.Room, e.node), membersKey(p.Room), roomsKey, nodeRoomsKey(e.node),
		p.Holder, p.Room, e.node, eventsChannel)
	return err
}

// Members implements engine.Presence.
func (e *Engine) Members(ctx context.Context, room string, limit int) ([]string, int, error) {
	n, err := e.do(ctx, "HLEN", membersKey(room))
	if err != nil || n.Int() == 0 {
		return nil, 0, err
	}
	var v = n
	if int(n.Int()) <= limit {
		v, err = e.do(ctx, "HKEYS", membersKey(room))
	} else {
		v, err = e.do(ctx, "HRANDFIELD", membersKey(room), strconv.Itoa(limit))
	}
	if err != nil {
		return nil, 0, err
	}
	names := make([]string, 0, v.Len())
	for _, name := range v.Elems() {
		names = append(names, name.Str())
	}
	return names, int(n.Int()), nil
}

// Rooms implements engine.Presence.
func (e *Engine) Rooms(ctx context.Context) ([]engine.Room, error) {
	v, err := e.do(ctx, "EVAL", roomsScript, "1", roomsKey)
	if err != nil {
		return nil, err
	}
	f := v.Elems()
	if len(f)%3 != 0 {
		return nil, errReply("list the rooms", v.Format())
	}
	out := make([]engine.Room, 0, len(f)/3)
	for i := 0; i < len(f); i += 3 {
		out = append(out, engine.Room{Key: f[i].Str(), Name: f[i+1].Str(), Count: int(f[i+2].Int())})
	}
	return out, nil
}

// errReply is an answer of Redis's that is not of the form asked for.
func errReply(what, got string) error {
	return fmt.Errorf("%s: unexpected reply from redis: %s", what, got)
}
