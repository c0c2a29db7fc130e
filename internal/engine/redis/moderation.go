package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"wschat/internal/engine"
)

// Moderation in Redis: a room's record is one string,
// wschat:modroom:KEY, changed by putScript only over the value it was
// read as; the rooms an account owns are the set wschat:owned:KEY; the
// reports a list, wschat:reports, newest first, each entry its
// reporter, a line break and the report, with the count each reporter
// has kept in wschat:reporters; the audit log a list, wschat:audit,
// newest first.

func modRoomKey(room string) string { return "wschat:modroom:" + room }
func ownedKey(owner string) string  { return "wschat:owned:" + owner }

const (
	reportsKey   = "wschat:reports"
	reportersKey = "wschat:reporters"
	auditKey     = "wschat:audit"
)

const (
	// putScript replaces a room's record if it is still what it was
	// read as, and moves the room between its owners' sets. KEYS: the
	// record, the new owner's set, the old owner's set; ARGV: the old
	// record ("" for none), the new one ("" removes it), the room key,
	// the new owner, the old owner, the most rooms one may own. It
	// returns 1, 0 when the record changed, -1 past the owner's bound.
	putScript = `local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return 0 end
local nextOwner, oldOwner = ARGV[4], ARGV[5]
if ARGV[2] == '' then nextOwner = '' end
if nextOwner ~= '' and nextOwner ~= oldOwner and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[6]) then return -1 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
if nextOwner ~= oldOwner then
  if oldOwner ~= '' then redis.call('SREM', KEYS[3], ARGV[3]) end
  if nextOwner ~= '' then redis.call('SADD', KEYS[2], ARGV[3]) end
end
return 1`
	// reportScript keeps a report unless its reporter has the most kept,
	// dropping the oldest past the bound. KEYS: the reports, the
	// reporters' counts; ARGV: reporter, entry, most each, most in all.
	reportScript = `if tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') >= tonumber(ARGV[3]) then return -1 end
redis.call('LPUSH', KEYS[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
while redis.call('LLEN', KEYS[1]) > tonumber(ARGV[4]) do
  local old = redis.call('RPOP', KEYS[1])
  local who = string.sub(old, 1, string.find(old, '\n', 1, true) - 1)
  if redis.call('HINCRBY', KEYS[2], who, -1) <= 0 then redis.call('HDEL', KEYS[2], who) end
end
return 1`
)

// Room implements engine.Moderation.
func (e *Engine) Room(ctx context.Context, room string) (engine.RoomRecord, error) {
	v, err := e.do(ctx, "GET", modRoomKey(room))
	if err != nil {
		return engine.RoomRecord{Key: room}, err
	}
	return engine.DecodeRoom(room, v.Str())
}

// Put implements engine.Moderation.
func (e *Engine) Put(ctx context.Context, old, next engine.RoomRecord) error {
	if err := next.Check(e.mod.List); err != nil {
		return err
	}
	next.Key = old.Key
	v, err := e.do(ctx, "EVAL", putScript, "3", modRoomKey(old.Key), ownedKey(next.Owner), ownedKey(old.Owner),
		old.Encode(), next.Encode(), old.Key, next.Owner, old.Owner, strconv.Itoa(e.mod.Owned))
	switch {
	case err != nil:
		return err
	case v.Int() == 0:
		return engine.ErrChanged
	case v.Int() < 0:
		return &engine.BoundError{Bound: "owned", Max: e.mod.Owned}
	}
	return nil
}

// Report implements engine.Moderation.
func (e *Engine) Report(ctx context.Context, r engine.Report) error {
	b, _ := json.Marshal(r) // strings and times always encode
	who := strings.ReplaceAll(r.Reporter, "\n", " ")
	v, err := e.do(ctx, "EVAL", reportScript, "2", reportsKey, reportersKey, who, who+"\n"+string(b), strconv.Itoa(e.mod.ReportsEach), strconv.Itoa(e.mod.Reports))
	if err == nil && v.Int() < 0 {
		err = &engine.BoundError{Bound: "reports-each", Max: e.mod.ReportsEach}
	}
	return err
}

// Reports implements engine.Moderation.
func (e *Engine) Reports(ctx context.Context, n int) ([]engine.Report, error) {
	return readList[engine.Report](ctx, e, reportsKey, n, true)
}

// Audit implements engine.Moderation.
func (e *Engine) Audit(ctx context.Context, a engine.AuditEntry) error {
	b, _ := json.Marshal(a)
	if _, err := e.do(ctx, "LPUSH", auditKey, string(b)); err != nil {
		return err
	}
	_, err := e.do(ctx, "LTRIM", auditKey, "0", strconv.Itoa(e.mod.Audit-1))
	return err
}

// AuditLog implements engine.Moderation.
func (e *Engine) AuditLog(ctx context.Context, n int) ([]engine.AuditEntry, error) {
	return readList[engine.AuditEntry](ctx, e, auditKey, n, false)
}

// readList decodes the first n entries of a list of JSON values, each
// after its reporter's line when reported is set.
func readList[T any](ctx context.Context, e *Engine, key string, n int, reported bool) ([]T, error) {
	if n <= 0 {
		return nil, nil
	}
	v, err := e.read(ctx, "LRANGE", key, "0", strconv.Itoa(n-1))
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(v.Elems()))
	for _, el := range v.Elems() {
		s := el.Str()
		if reported {
			_, s, _ = strings.Cut(s, "\n")
		}
		var x T
		if err := json.Unmarshal([]byte(s), &x); err != nil {
			return nil, fmt.Errorf("redis: read %s: %w", key, err)
		}
		out = append(out, x)
	}
	return out, nil
}
