package redis

import (
	"context"
	"strconv"
	"time"

	"wschat/internal/engine"
)

// Rates: a participant's bucket is the hash wschat:rate:PARTICIPANT
// (its tokens, and when, by Redis's clock), which expires once it would
// be full again, so a participant that stops spending leaves nothing
// behind. Every node spends from it.
const spendScript = `local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, key in ipairs(KEYS) do
  local b = redis.call('HMGET', key, 'tokens', 'at')
  local tokens, at = tonumber(b[1]) or burst, tonumber(b[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000) - tonumber(ARGV[2 + i])
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', now)
  redis.call('PEXPIRE', key, math.ceil((burst - tokens) / rate * 1000) + 1000)
  if tokens < 0 then
    out[#out + 1] = i
    out[#out + 1] = math.ceil(-tokens / rate * 1000)
  end
end
return out`

func rateKey(participant string) string { return "wschat:rate:" + participant }

// Spend implements engine.Rates, in one script for all of sent.
func (e *Engine) Spend(ctx context.Context, limit engine.RateLimit, sent map[string]int) (map[string]time.Duration, error) {
	if len(sent) == 0 {
		return nil, nil
	}
	who := make([]string, 0, len(sent))
	args := []string{"EVAL", spendScript, strconv.Itoa(len(sent))}
	for p := range sent {
		who = append(who, p)
		args = append(args, rateKey(p))
	}
	args = append(args, strconv.FormatFloat(limit.Rate, 'g', -1, 64), strconv.FormatFloat(limit.Burst, 'g', -1, 64))
	for _, p := range who {
		args = append(args, strconv.Itoa(sent[p]))
	}
	v, err := e.do(ctx, args...)
	if err != nil {
		return nil, err
	}
	r := v.Elems()
	if len(r)%2 != 0 {
		return nil, errReply("spend", v.Format())
	}
	var waits map[string]time.Duration
	for i := 0; i < len(r); i += 2 {
		n := int(r[i].Int())
		if n < 1 || n > len(who) {
			return nil, errReply("spend", v.Format())
		}
		if waits == nil {
			waits = make(map[string]time.Duration)
		}
		waits[who[n-1]] = time.Duration(r[i+1].Int()) * time.Millisecond
	}
	return waits, nil
}
