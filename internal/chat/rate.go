package chat

import (
	"fmt"
	"strconv"
	"sync"
	"time"
)

// maxOverLimit is how many chat messages in a row a participant may send
// over its rate before it is disconnected. Each of them is answered with a
// notice and not broadcast; any message within the rate starts the count
// again. So a person who pastes a few lines too many loses only those
// lines, while a client that keeps sending as fast as it can is closed
// with 1008 after ten more messages, instead of being read, and told to
// slow down, forever.
const maxOverLimit = 10

// rateLimit is the per-participant limit on chat messages: Rate a second
// on average, Burst at once. A zero Rate means no limit.
type rateLimit struct {
	Rate  float64
	Burst int
}

// describe is the limit in words, as a notice or close reason shows it.
func (l rateLimit) describe() string {
	unit := "messages"
	if l.Rate == 1 {
		unit = "message"
	}
	return fmt.Sprintf("%s %s a second, %d at once", strconv.FormatFloat(l.Rate, 'g', -1, 64), unit, l.Burst)
}

// limiter applies a rateLimit to one participant: to what its reader
// reads, and to its uploads, which come on other goroutines.
type limiter struct {
	mu      sync.Mutex
	bucket  tokenBucket
	over    int       // messages over the limit since the last one within it
	refused time.Time // until when every node's messages together are over it (spending.go)
}

// newLimiter returns a limiter for l, or nil when l sets no limit.
func newLimiter(l rateLimit, now time.Time) *limiter {
	if l.Rate <= 0 {
		return nil
	}
	return &limiter{bucket: tokenBucket{rate: l.Rate, burst: float64(l.Burst), tokens: float64(l.Burst), last: now}}
}

// verdict is what a limiter decides about one message.
type verdict int

const (
	withinLimit verdict = iota // broadcast it
	overLimit                  // drop it and tell the sender
	persistent                 // drop it and disconnect the sender
)

// check decides about a message sent at now.
func (l *limiter) check(now time.Time) verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.After(l.refused) && l.bucket.take(now) {
		l.over = 0
		return withinLimit
	}
	if l.over++; l.over >= maxOverLimit {
		return persistent
	}
	return overLimit
}

// refuseUntil refuses every message until t, as over the limit.
func (l *limiter) refuseUntil(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.refused) {
		l.refused = t
	}
}

// rested reports whether the limit has come back whole by now: a
// participant's record may then go, since a new one would be the same.
func (l *limiter) rested(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket
	return l.over == 0 && now.After(l.refused) && b.tokens+now.Sub(b.last).Seconds()*b.rate >= b.burst
}

// tokenBucket holds up to burst tokens and gains rate tokens a second;
// each message takes one.
type tokenBucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// take takes a token at now, and reports whether there was one.
func (b *tokenBucket) take(now time.Time) bool {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// tooFast is the reason a connection is closed with when it keeps
// sending over its rate.
func (c *Chat) tooFast() string {
	return fmt.Sprintf("sending too fast: %d messages in a row over the limit of %s", maxOverLimit, c.limit.describe())
}

// whole reports whether b holds burst tokens again by now; one never
// used (rate 0) does.
func (b *tokenBucket) whole(now time.Time) bool {
	return b.rate == 0 || b.tokens+now.Sub(b.last).Seconds()*b.rate >= b.burst
}
