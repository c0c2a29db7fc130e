package accounts

import (
	"sync"
	"time"
)

// Rate is a limit on events of one kind, counted per key: Burst events may
// come at once, then one more each Every. A Burst below 1 or an Every
// below 1ns turns the limit off.
//
// It is kept as GCRA, the generic cell rate algorithm, in its virtual
// scheduling form (ITU-T I.371 Annex A): one time per key, the
// "theoretical arrival time", so a key costs the same memory however many
// events it has.
type Rate struct {
	Burst int
	Every time.Duration
}

func (r Rate) off() bool { return r.Burst < 1 || r.Every <= 0 }

// buckets holds one Rate's count for each key, for at most as many keys as
// its lru keeps: past that, the key used longest ago is forgotten. Its
// owner locks.
type buckets struct {
	rate Rate
	tat  *lru[int64] // each key's theoretical arrival time, in Unix nanoseconds
}

func newBuckets(r Rate, maxKeys int) buckets {
	return buckets{rate: r, tat: newLRU[int64](maxKeys)}
}

// wait returns how long until key may have one more event; 0 means now.
func (b *buckets) wait(key string, now int64) time.Duration {
	if b.rate.off() {
		return 0
	}
	tat := b.tat.get(key)
	if tat == nil {
		return 0
	}
	if *tat <= now {
		b.tat.remove(key) // drained: nothing to remember
		return 0
	}
	tolerance := int64(b.rate.Burst-1) * int64(b.rate.Every)
	return time.Duration(max(0, *tat-now-tolerance))
}

// take counts one event for key. Callers ask wait first: an event counted
// only when allowed never pushes a key's wait past one Every.
func (b *buckets) take(key string, now int64) {
	if b.rate.off() {
		return
	}
	tat := b.tat.add(key)
	*tat = max(*tat, now) + int64(b.rate.Every)
}

// refund takes back one event take counted for key.
func (b *buckets) refund(key string, now int64) {
	tat := b.tat.get(key)
	if b.rate.off() || tat == nil {
		return
	}
	*tat -= int64(b.rate.Every)
	if *tat <= now {
		b.tat.remove(key)
	}
}

func (b *buckets) forget(key string) { b.tat.remove(key) }

// Limiter limits events per key, such as registrations per address, to a
// Rate. It remembers at most maxKeys keys, forgetting the one used longest
// ago past that. It is safe for concurrent use.
type Limiter struct {
	mu sync.Mutex
	b  buckets
}

// NewLimiter returns a Limiter allowing r for each key, remembering at most
// maxKeys keys (at least 1).
func NewLimiter(r Rate, maxKeys int) *Limiter {
	return &Limiter{b: newBuckets(r, maxKeys)}
}

// Take counts one event for key at now if the rate allows it. If not, it
// counts nothing, so that retrying never lengthens the wait, and returns a
// *RetryError wrapping ErrThrottled.
func (l *Limiter) Take(key string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if wait := l.b.wait(key, now.UnixNano()); wait > 0 {
		return &RetryError{Err: ErrThrottled, After: wait}
	}
	l.b.take(key, now.UnixNano())
	return nil
}
