package redis

import (
	"context"
	"errors"
	"strconv"

	"wschat/internal/store"
)

// The rooms' messages and the mailboxes are two logs in Redis, each kept
// within bounds that mean what package store's do: every message is
// charged its payload and store.RecordOverhead, and every stream
// store.RoomOverhead, to whoever's message made it; a stream keeps its
// newest Keep messages within RoomBytes and none older than MaxAge, and
// a message that would take the log's Total, its sender's Share, or its
// sender's RoomShare of the stream past its bound is refused. A log's
// bookkeeping, under its meta prefix, is kept by the same scripts that
// append and drop, so it never drifts from the streams:
//
//	META:total        what every stream's messages are charged
//	META:owners       a hash: what each sender's messages are charged
//	META:bytes        a hash: what each stream's messages are charged
//	META:oldest       a sorted set: each stream by the time of its oldest message
//	META:lost         a bitmap: the streams that lost all they had (see lostbit)
//	META:openers      a hash: who each stream is charged to ("" for nobody)
//	META:shares:KEY   with RoomShare, a hash: what each sender's messages in stream KEY are charged
//
// A stream whose oldest message is past MaxAge is trimmed by the next
// append to the log, a few streams at a time, and deleted when that
// leaves it empty; its expiry (PEXPIRE, MaxAge and a day, renewed on
// every append), and its bookkeeping's, frees them even when no node is
// left to do it.

// family is one log in Redis: its streams, its bookkeeping, and the
// bounds it keeps.
type family struct {
	streams string // the streams' prefix, before the key
	meta    string // the bookkeeping's prefix
	kind    byte   // how its appends are announced: 'm' a room's message, 'q' mail
	keep    int
	bounds  store.Bounds
}

// keys is the KEYS of the append and locate scripts for stream key.
func (f family) keys(key string) []string {
	return []string{f.streams + key, f.meta + "total", f.meta + "owners", f.meta + "bytes", f.meta + "oldest", f.meta + "lost", f.meta + "shares:" + key, f.meta + "openers"}
}

// expiry is how long a stream and its bookkeeping outlive their last
// append, in ms; 0 is for ever.
func (f family) expiry() int64 {
	if f.bounds.MaxAge <= 0 {
		return 0
	}
	return (f.bounds.MaxAge + 24*60*60e9).Milliseconds()
}

// logLib is what the log scripts share: the time, the bit of a stream in
// META:lost (the first 16 bits of the SHA-1 of its key), and drop, which
// drops a stream's n oldest messages and gives back what they were
// charged, and deletes it, giving back what it was charged, when that
// leaves it empty. It expects KEYS as family.keys gives them, ARGV[1]
// the overhead a message is charged beyond its payload and ARGV[2] a
// stream's.
const logLib = `local overhead, roomOverhead = tonumber(ARGV[1]), tonumber(ARGV[2])
local function credit(own, c)
  if own ~= '' and redis.call('HINCRBY', KEYS[3], own, -c) <= 0 then redis.call('HDEL', KEYS[3], own) end
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function lostbit(key) return tonumber(string.sub(redis.sha1hex(key), 1, 4), 16) end
local function fields(f)
  local pay, own = '', ''
  for i = 1, #f, 2 do
    if f[i] == 'm' then pay = f[i + 1] elseif f[i] == 'o' then own = f[i + 1] end
  end
  return pay, own
end
local function drop(L, n)
  local freed = 0
  if n > 0 then
    for _, e in ipairs(redis.call('XRANGE', L.stream, '-', '+', 'COUNT', n)) do
      local pay, own = fields(e[2])
      local c = #pay + overhead
      freed = freed + c
      credit(own, c)
      if own ~= '' and redis.call('HEXISTS', L.shares, own) == 1 and redis.call('HINCRBY', L.shares, own, -c) <= 0 then
        redis.call('HDEL', L.shares, own)
      end
      redis.call('XDEL', L.stream, e[1])
    end
    redis.call('DECRBY', KEYS[2], freed)
    redis.call('HINCRBY', KEYS[4], L.key, -freed)
  end
  local first = redis.call('XRANGE', L.stream, '-', '+', 'COUNT', 1)[1]
  if first then
    redis.call('ZADD', KEYS[5], 'XX', tonumber(string.match(first[1], '^%d+')), L.key)
  else
    redis.call('DEL', L.stream, L.shares)
    redis.call('HDEL', KEYS[4], L.key)
    redis.call('ZREM', KEYS[5], L.key)
    local opener = redis.call('HGET', KEYS[8], L.key)
    if opener then
      redis.call('DECRBY', KEYS[2], roomOverhead)
      credit(opener, roomOverhead)
      redis.call('HDEL', KEYS[8], L.key)
    end
    if freed > 0 then redis.call('SETBIT', KEYS[6], lostbit(L.key), 1) end
  end
end
local function older(L, cutoff)
  return #redis.call('XRANGE', L.stream, '-', '(' .. cutoff .. '-0')
end
`

// appendScript keeps a message within the log's bounds and announces
// it, in one step: Redis runs a script whole, so nothing comes between
// its commands (EVAL, "Atomicity of scripts"), and announcements leave
// in the order of the ids. It first drops what has aged out of the
// stream, and of a few other streams of the log; refuses a message past
// a bound ({0, "share"}, {0, "room-share"} or {0, "full"}); appends it
// ({1, id}) and drops the stream's oldest past Keep and RoomBytes,
// leaving the newest. A message that makes a stream is charged its
// stream too. KEYS as family.keys; ARGV: overhead, a stream's overhead,
// key, sender ("" for nobody), payload, keep, room bytes, max age (ms),
// total, share, room share, expiry (ms), channel, kind, the streams'
// prefix, the shares' prefix. A zero bound is none.
const appendScript = logLib + `local key, owner, payload = ARGV[3], ARGV[4], ARGV[5]
local keep, roomBytes, maxAge = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local total, share, roomShare, ttl = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local L = {key = key, stream = KEYS[1], shares = KEYS[7]}
if maxAge > 0 then
  local cutoff = now_ms() - maxAge
  for _, k in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', '(' .. cutoff, 'LIMIT', 0, 4)) do
    local S = {key = k, stream = ARGV[15] .. k, shares = ARGV[16] .. k}
    drop(S, older(S, cutoff))
  end
  drop(L, older(L, cutoff))
end
local c, opening = #payload + overhead, 0
if redis.call('EXISTS', KEYS[1]) == 0 then opening = roomOverhead end
if owner ~= '' then
  if share > 0 and (tonumber(redis.call('HGET', KEYS[3], owner)) or 0) + c + opening > share then return {0, 'share'} end
  if roomShare > 0 and (tonumber(redis.call('HGET', KEYS[7], owner)) or 0) + c > roomShare then return {0, 'room-share'} end
end
if total > 0 and (tonumber(redis.call('GET', KEYS[2])) or 0) + c + opening > total then return {0, 'full'} end
if opening > 0 then
  redis.call('HSET', KEYS[8], key, owner)
  redis.call('INCRBY', KEYS[2], opening)
  if owner ~= '' then redis.call('HINCRBY', KEYS[3], owner, opening) end
end
local id
if owner == '' then
  id = redis.call('XADD', KEYS[1], '*', 'm', payload)
else
  id = redis.call('XADD', KEYS[1], '*', 'm', payload, 'o', owner)
  redis.call('HINCRBY', KEYS[3], owner, c)
  if roomShare > 0 then redis.call('HINCRBY', KEYS[7], owner, c) end
end
redis.call('INCRBY', KEYS[2], c)
redis.call('HINCRBY', KEYS[4], key, c)
redis.call('ZADD', KEYS[5], 'NX', tonumber(string.match(id, '^%d+')), key)
drop(L, redis.call('XLEN', KEYS[1]) - keep)
while roomBytes > 0 and tonumber(redis.call('HGET', KEYS[4], key)) > roomBytes and redis.call('XLEN', KEYS[1]) > 1 do
  drop(L, 1)
end
if ttl > 0 then
  for _, k in ipairs({KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[8]}) do redis.call('PEXPIRE', k, ttl) end
end
redis.call('PUBLISH', ARGV[13], ARGV[14] .. '\n' .. key .. '\n' .. id .. '\n' .. payload)
return {1, id}`

// append keeps payload as the next message of the stream key of f,
// charged to sender, and announces it to every node.
func (e *Engine) append(ctx context.Context, f family, key, sender string, payload []byte) (store.ID, error) {
	return e.startAppend(ctx, f, key, sender, payload)(ctx)
}

// startAppend is append in two steps: it hands the command over, and
// returns a function that waits for its outcome.
func (e *Engine) startAppend(ctx context.Context, f family, key, sender string, payload []byte) func(context.Context) (store.ID, error) {
	b := f.bounds
	args := append([]string{"EVAL", appendScript, "8"}, f.keys(key)...)
	args = append(args, strconv.Itoa(store.RecordOverhead), strconv.Itoa(store.RoomOverhead), key, sender, string(payload),
		strconv.Itoa(f.keep), itoa(b.RoomBytes), itoa(b.MaxAge.Milliseconds()), itoa(b.Total), itoa(b.Share), itoa(b.RoomShare),
		itoa(f.expiry()), eventsChannel, string(f.kind), f.streams, f.meta+"shares:")
	wait := e.start(ctx, e.client, args)
	return func(ctx context.Context) (store.ID, error) {
		v, err := wait(ctx)
		if err != nil {
			return store.ID{}, err
		}
		r := v.Elems()
		if len(r) != 2 {
			return store.ID{}, errReply("append", v.Format())
		}
		if r[0].Int() == 0 {
			return store.ID{}, f.refusal(r[1].Str())
		}
		return store.ParseID(r[1].Str())
	}
}

// refusal is the error for the bound appendScript named.
func (f family) refusal(bound string) error {
	switch bound {
	case "share":
		return &store.LimitError{Err: store.ErrShare, Max: f.bounds.Share}
	case "room-share":
		return &store.LimitError{Err: store.ErrRoomShare, Max: f.bounds.RoomShare}
	case "full":
		return &store.LimitError{Err: store.ErrFull, Max: f.bounds.Total}
	}
	return errors.New("append: refused for " + bound)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
