package redis

import (
	"context"

	"wschat/internal/engine"
	"wschat/internal/store"
)

// locateScript tells where an id stands in a stream, in one step:
// whether the id is kept, whether it is older than everything kept, and
// whether the stream keeps everything it was ever given (XINFO STREAM's
// entries-added against its length; Redis 7). KEYS[1] stream; ARGV[1]
// the id; ARGV[2] "1" if the id is zero. It returns {kept, older,
// complete} as 0 or 1.
const locateScript = `local k, id, zero = KEYS[1], ARGV[1], ARGV[2] == '1'
if redis.call('EXISTS', k) == 0 then
  if zero then return {0, 1, 1} end
  return {0, 0, 1}
end
local info = redis.call('XINFO', 'STREAM', k)
local length, added = -1, -2
for i = 1, #info, 2 do
  if info[i] == 'length' then length = info[i + 1] elseif info[i] == 'entries-added' then added = info[i + 1] end
end
local complete = 0
if added == length then complete = 1 end
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
	v, err := e.read(ctx, "EVAL", locateScript, "1", streamKey(room), id.String(), zero)
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
	return e.after(ctx, streamKey(room), id, n)
}

func (e *Engine) after(ctx context.Context, stream string, id store.ID, n int) ([]store.Record, error) {
	if n <= 0 {
		return nil, nil
	}
	return e.records(ctx, "XRANGE", stream, "("+id.String(), "+", n)
}

// Before implements engine.History.
func (e *Engine) Before(ctx context.Context, room string, id store.ID, n int) ([]store.Record, error) {
	return e.before(ctx, streamKey(room), id, n)
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

// Keep implements engine.Mail: each owner's copy is appended to its
// mailbox's stream and announced, and every node hands it to its
// connections of the owner.
func (e *Engine) Keep(ctx context.Context, owners []string, payload []byte) error {
	for _, owner := range owners {
		if _, err := e.append(ctx, 'q', owner, mailboxKey(owner), payload); err != nil {
			return err
		}
	}
	return nil
}

// Read implements engine.Mail.
func (e *Engine) Read(ctx context.Context, owner string, after store.ID, n int) ([]store.Record, error) {
	return e.after(ctx, mailboxKey(owner), after, n)
}

// Latest implements engine.Mail.
func (e *Engine) Latest(ctx context.Context, owner string, n int) ([]store.Record, error) {
	return e.before(ctx, mailboxKey(owner), store.MaxID, n)
}
