package redis

import (
	"context"
	"strconv"

	"wschat/internal/engine"
)

// Receipts: a participant's client ids are the sorted set
// wschat:sent:SENDER, scored in the order they were taken, trimmed to the
// newest engine.ReceiptsEach and expiring engine.ReceiptsFor after the
// last; every node shares them, so a request sent again through another
// node is still taken once.
const takeScript = `if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 0
end
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('ZADD', KEYS[1], (tonumber(newest[2]) or 0) + 1, ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`

func sentKey(sender string) string { return "wschat:sent:" + sender }

// Take implements engine.Receipts.
func (e *Engine) Take(ctx context.Context, sender, id string) (bool, error) {
	v, err := e.do(ctx, "EVAL", takeScript, "1", sentKey(sender), id, strconv.Itoa(engine.ReceiptsEach),
		strconv.FormatInt(engine.ReceiptsFor.Milliseconds(), 10))
	if err != nil {
		return false, err
	}
	return v.Int() == 1, nil
}

// Forget implements engine.Receipts.
func (e *Engine) Forget(ctx context.Context, sender, id string) error {
	_, err := e.do(ctx, "ZREM", sentKey(sender), id)
	return err
}
