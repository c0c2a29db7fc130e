package memory

import (
	"context"
	"sync"
	"time"

	"wschat/internal/engine"
)

// Rates is the single node's engine.Rates: a bucket for each participant
// that spent, forgotten once it is full again; at most max of them, past
// which a new participant's spending is not counted here (the chat's own
// limit on it still holds). With one node it agrees with the chat's own
// limits; it is there so that the chat reports alike to every engine.
type Rates struct {
	max int
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	pruned  time.Time // when full buckets were last forgotten
}

// bucket is one participant's tokens as of at.
type bucket struct {
	tokens float64
	at     time.Time
}

// pruneEvery is how often Spend forgets the buckets that are full again.
const pruneEvery = time.Second

// NewRates returns buckets for at most max participants.
func NewRates(max int) *Rates {
	return &Rates{max: max, now: time.Now, buckets: make(map[string]*bucket)}
}

// Spend implements engine.Rates.
func (r *Rates) Spend(_ context.Context, limit engine.RateLimit, sent map[string]int) (map[string]time.Duration, error) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.pruned) >= pruneEvery {
		r.prune(limit, now)
	}
	var waits map[string]time.Duration
	for p, n := range sent {
		b := r.buckets[p]
		if b == nil {
			if len(r.buckets) >= r.max {
				continue
			}
			b = &bucket{tokens: limit.Burst, at: now}
			r.buckets[p] = b
		}
		b.tokens = b.filled(limit, now) - float64(n)
		b.at = now
		if b.tokens < 0 {
			if waits == nil {
				waits = make(map[string]time.Duration)
			}
			waits[p] = time.Duration(-b.tokens / limit.Rate * float64(time.Second))
		}
	}
	return waits, nil
}

// filled is b's tokens at now.
func (b *bucket) filled(limit engine.RateLimit, now time.Time) float64 {
	return min(limit.Burst, b.tokens+now.Sub(b.at).Seconds()*limit.Rate)
}

// prune forgets the buckets full again at now. Holding mu.
func (r *Rates) prune(limit engine.RateLimit, now time.Time) {
	for p, b := range r.buckets {
		if b.filled(limit, now) >= limit.Burst {
			delete(r.buckets, p)
		}
	}
	r.pruned = now
}
