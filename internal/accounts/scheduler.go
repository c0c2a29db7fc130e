package accounts

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// How the hashing slots are shared out.
const (
	waitingPerAddr = 2                // hashes one address may have waiting
	maxWaiting     = 32               // hashes waiting in all
	maxQueueWait   = 3 * time.Second  // the longest a hash waits for a slot
	usageHalfLife  = 30 * time.Second // how fast past hashing is forgiven
	maxParties     = 10_000           // addresses and accounts whose hashing is remembered
	firstHashTime  = 500 * time.Millisecond
)

// scheduler shares the hashing slots among those asking for hashes. A
// hash runs at once if a slot is free; otherwise it waits, and a slot that
// frees goes to the waiting hash whose address and account together have
// hashed least lately (their usage, counted in hashes, halves every
// usageHalfLife). This is least-attained-service scheduling: whoever
// floods makes its own usage grow and falls behind anyone who has hashed
// less, so a newcomer waits only for the hashes already running, however
// many others wait. Waiting is bounded per address and in all, and a full
// queue makes room for a lighter newcomer by dropping its heaviest hash.
type scheduler struct {
	slots int
	now   func() time.Time

	mu       sync.Mutex
	running  int
	queue    []*ticket // waiting, oldest first
	usage    *lru[spent]
	hashTime time.Duration // a moving average of one hash, for retry advice
}

// party is whom a hash is for: a client address (see AddrKey) and an
// account key.
type party struct{ addr, account string }

// spent is a party's hashing lately: v hashes as of at (Unix nanoseconds),
// halving every usageHalfLife.
type spent struct {
	v  float64
	at int64
}

func (u spent) asOf(now int64) float64 {
	return u.v * math.Exp2(-float64(now-u.at)/float64(usageHalfLife))
}

// ticket is one hash's place in the scheduler.
type ticket struct {
	s *scheduler
	party
	cost    float64 // in hashes of Iterations rounds
	started time.Time
	result  chan error // receives nil when the hash may run, or why it may not
}

// newScheduler returns a scheduler running at most slots hashes at once,
// reading the time from now.
func newScheduler(slots int, now func() time.Time) *scheduler {
	return &scheduler{slots: max(1, slots), now: now, usage: newLRU[spent](maxParties), hashTime: firstHashTime}
}

// enter asks for a slot for a hash for p costing cost. The ticket has a
// slot at once if one is free, or waits for one. enter refuses a hash past
// p.addr's share of the queue (ErrOverShare), and one that finds the queue
// full of hashes whose parties have hashed no more than p (ErrBusy). A
// lighter newcomer to a full queue takes the place of the heaviest hash
// waiting, which is refused with ErrOverShare.
func (s *scheduler) enter(p party, cost float64) (*ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	t := &ticket{s: s, party: p, cost: cost, result: make(chan error, 1)}
	if s.running < s.slots {
		s.start(t, now)
		return t, nil
	}
	waiting := 0
	for _, w := range s.queue {
		if w.addr == p.addr {
			waiting++
		}
	}
	if waiting >= waitingPerAddr {
		return nil, s.retry(ErrOverShare)
	}
	if len(s.queue) >= maxWaiting {
		i := s.heaviest(now)
		if s.usageOf(s.queue[i].party, now) <= s.usageOf(p, now) {
			return nil, s.retry(ErrBusy)
		}
		s.queue[i].result <- s.retry(ErrOverShare)
		s.queue = slices.Delete(s.queue, i, i+1)
	}
	s.queue = append(s.queue, t)
	return t, nil
}

// wait blocks until t's hash may run, or returns why it may not: its
// place was given to a lighter party (ErrOverShare), or ctx ended before
// it ran (ErrBusy). Either is a *RetryError.
func (t *ticket) wait(ctx context.Context) error {
	if ctx.Err() == nil {
		select {
		case err := <-t.result:
			return err
		case <-ctx.Done():
		}
	}
	s := t.s
	s.mu.Lock()
	busy := s.retry(ErrBusy)
	i := slices.Index(s.queue, t)
	if i >= 0 {
		s.queue = slices.Delete(s.queue, i, i+1)
	}
	s.mu.Unlock()
	if i >= 0 {
		return busy
	}
	if err := <-t.result; err != nil {
		return err // refused as ctx ended
	}
	t.done() // given a slot as ctx ended; no one will use it
	return busy
}

// done frees t's slot for the next waiting hash.
func (t *ticket) done() {
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.hashTime += (now.Sub(t.started) - s.hashTime) / 8
	s.running--
	for s.running < s.slots && len(s.queue) > 0 {
		i := s.lightest(now)
		next := s.queue[i]
		s.queue = slices.Delete(s.queue, i, i+1)
		s.start(next, now)
	}
}

// start runs t: it takes a slot and counts its cost against its party.
func (s *scheduler) start(t *ticket, now time.Time) {
	s.running++
	t.started = now
	n := now.UnixNano()
	for _, k := range t.usageKeys() {
		u := s.usage.add(k)
		*u = spent{v: u.asOf(n) + t.cost, at: n}
	}
	t.result <- nil
}

// usageKeys are the keys p's usage is kept under: one for its address
// and one for its account.
func (p party) usageKeys() [2]string {
	return [2]string{"addr " + p.addr, "account " + p.account}
}

// usageOf is how many hashes p's address and account have run lately.
func (s *scheduler) usageOf(p party, now time.Time) float64 {
	var sum float64
	for _, k := range p.usageKeys() {
		if u := s.usage.get(k); u != nil {
			sum += u.asOf(now.UnixNano())
		}
	}
	return sum
}

// lightest returns the index of the waiting hash whose party has hashed
// least, the oldest of equals.
func (s *scheduler) lightest(now time.Time) int {
	best, least := 0, math.Inf(1)
	for i, t := range s.queue {
		if u := s.usageOf(t.party, now); u < least {
			best, least = i, u
		}
	}
	return best
}

// heaviest returns the index of the waiting hash whose party has hashed
// most, the newest of equals.
func (s *scheduler) heaviest(now time.Time) int {
	worst, most := 0, math.Inf(-1)
	for i, t := range s.queue {
		if u := s.usageOf(t.party, now); u >= most {
			worst, most = i, u
		}
	}
	return worst
}

// retry is a refusal for err, advising a wait long enough for the hashes
// running and waiting now to be done.
func (s *scheduler) retry(err error) *RetryError {
	ahead := time.Duration(s.running + len(s.queue))
	return &RetryError{Err: err, After: s.hashTime * ahead / time.Duration(s.slots)}
}
