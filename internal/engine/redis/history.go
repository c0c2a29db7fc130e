package redis

import (
	"context"

	"wschat/internal/engine"
	"wschat/internal/store"
)

// locateScript tells where an id stands in a stream, in one step:
// whether the id is kept, whether it is older than everything kept, and
// whether the stream keeps everything it was ever given (XINFO STREAM's
// entries-added against its length; Redis 7) and never lost all it had
// (its bit in META:lost). KEYS as family.keys; ARGV[1] and ARGV[2]
// unused, ARGV[3] the id, ARGV[4] "1" if the id is zero, ARGV[5] the
// room's key. It returns {kept, older, complete} as 0 or 1.
const locateScript = logLib + `local k, id, zero = KEYS[1], ARGV[3], ARGV[4] == '1'
local complete = 0
if redis.call('GETBIT', KEYS[6], lostbit(ARGV[5])) == 0 then complete = 1 end
if redis.call('EXISTS', k) == 0 then
  if zero then return {0, 1, complete} end
  return {0, 0, complete}
end
local info = redis.call('XINFO', 'STREAM', k)
local length, added = -1, -2
for i = 1, #info, 2 do
  if info[i] == 'length' then length = info[i + 1] elseif info[i] == 'entries-added' then added = info[i + 1] end
end
if added ~= length then complete = 0 end
if zero then return {0, 1, complete} end
if #redis.call('XRANGE', k, id, id) > 0 then return {1, 0, complete} end
if #redis.call('XRANGE', k, '-', '(' .. id, 'COUNT', 1) > 0 then return {0, 0, complete} end
if length == 0 then return {0, 0, complete} end
return {0, 1, complete}`

// Locate implements engine.History.
func (e *Engine) Locate(ctx context.Context, room string, id store.ID) (engine.Location, error) {
	zero := "0"
	if id.IsZero() {
		zero = "1"
	}
	args := append([]string{"EVAL", locateScript, "8"}, e.rooms.keys(room)...)
	v, err := e.read(ctx, append(args, "0", "0", id.String(), zero, room)...)
	if err != nil {
		return engine.Location{}, err
	}
	f := v.Elems()
	if len(f) != 3 {
		return engine.Location{}, errReply("locate", v.Format())
	}
	return engine.Location{Kept: f[0].Int() == 1, Older: f[1].Int() == 1, Complete: f[2].Int() == 1}, nil
}

// After implements engine.History.
func (e *Engine) After(ctx context.Context, room string, id store.ID, n int) ([]store.Record, error) {
	return e.after(ctx, e.rooms.streams+room, id, n)
}

func (e *Engine) after(ctx context.Context, stream string, id store.ID, n int) ([]store.Record, error) {
	if n <= 0 {
		return nil, nil
	}
	return e.records(ctx, "XRANGE", stream, "("+id.String(), "+", n)
}

// Before implements engine.History.
func (e *Engine) Before(ctx context.Context, room string, id store.ID, n int) ([]store.Record, error) {
	return e.before(ctx, e.rooms.streams+room, id, n)
}

func (e *Engine) before(ctx context.Context, stream string, id store.ID, n int) ([]store.Record, error) {
	if n <= 0 {
		return nil, nil
	}
	end := "(" + id.String()
	if id == store.MaxID {
		end = "+"
	}
	return e.records(ctx, "XREVRANGE", stream, end, "-", n)
}
