package accounts

import (
	"net/netip"
	"sync"
	"time"
)

// Throttle limits failed logins per account name and per client address,
// each as a bucket: limit failures may come at once, then one more each
// window/limit. Only failures count. Memory is bounded by maxEntries
// records; past it the record that failed longest ago is dropped. It is
// safe for concurrent use.
//
// A per-name limit also lets anyone hold a name's logins back by failing
// on purpose; the wait it causes is at most one window.
type Throttle struct {
	perName, perAddr int
	window           time.Duration
	maxEntries       int

	mu      sync.Mutex
	records map[recordKey]*failures
	newest  *failures // most recently failed; the list runs to the oldest
	oldest  *failures
}

// recordKey separates names from addresses.
type recordKey struct {
	addr bool
	s    string
}

// failures is one name's or address's bucket, in a list by last failure.
type failures struct {
	key recordKey
	// full is when the bucket will be empty again (the "theoretical
	// arrival time" of GCRA), in Unix nanoseconds.
	full         int64
	newer, older *failures
}

// NewThrottle returns a Throttle allowing perName failed logins for one
// name and perAddr from one address (see AddrKey) per window, keeping at
// most maxEntries records. A limit below 1 turns that check off, as does a
// window below 1ns; maxEntries below 1 counts as 1.
func NewThrottle(perName, perAddr int, window time.Duration, maxEntries int) *Throttle {
	if window <= 0 {
		perName, perAddr = 0, 0
	}
	return &Throttle{
		perName:    perName,
		perAddr:    perAddr,
		window:     window,
		maxEntries: max(1, maxEntries),
		records:    make(map[recordKey]*failures),
	}
}

// Allow reports whether a login for key from addr may try a password now;
// if not, retryAfter says how long until it may (for Retry-After). It
// records nothing.
func (t *Throttle) Allow(key, addr string, now time.Time) (retryAfter time.Duration, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	wait := max(t.wait(recordKey{s: key}, t.perName, now), t.wait(recordKey{addr: true, s: addr}, t.perAddr, now))
	return wait, wait == 0
}

// Failed counts a wrong password (or unknown name) for key from addr.
func (t *Throttle) Failed(key, addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fail(recordKey{s: key}, t.perName, now)
	t.fail(recordKey{addr: true, s: addr}, t.perAddr, now)
}

// Succeeded forgets the failures of key. Those of addr are kept, so that
// logging in to one's own account does not buy more guesses at others.
func (t *Throttle) Succeeded(key, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f := t.records[recordKey{s: key}]; f != nil {
		t.remove(f)
	}
}

// interval is the time one failure takes to drain from a bucket.
func (t *Throttle) interval(limit int) int64 {
	return int64(t.window) / int64(limit)
}

// wait returns how long until k's bucket has room for one more failure.
func (t *Throttle) wait(k recordKey, limit int, now time.Time) time.Duration {
	f := t.records[k]
	if limit < 1 || f == nil {
		return 0
	}
	n := now.UnixNano()
	if f.full <= n {
		t.remove(f) // drained: nothing to remember
		return 0
	}
	over := f.full - n - (int64(t.window) - t.interval(limit))
	return time.Duration(max(0, over))
}

func (t *Throttle) fail(k recordKey, limit int, now time.Time) {
	if limit < 1 {
		return
	}
	n := now.UnixNano()
	f := t.records[k]
	if f == nil {
		f = &failures{key: k, full: n}
		t.records[k] = f
	} else {
		t.unlink(f)
	}
	// Failures past the limit never hold the bucket full beyond a window.
	f.full = min(max(f.full, n)+t.interval(limit), n+int64(t.window))
	t.pushNewest(f)
	for len(t.records) > t.maxEntries {
		t.remove(t.oldest)
	}
}

func (t *Throttle) remove(f *failures) {
	t.unlink(f)
	delete(t.records, f.key)
}

func (t *Throttle) pushNewest(f *failures) {
	f.older = t.newest
	if t.newest != nil {
		t.newest.newer = f
	}
	t.newest = f
	if t.oldest == nil {
		t.oldest = f
	}
}

func (t *Throttle) unlink(f *failures) {
	if f.newer != nil {
		f.newer.older = f.older
	} else {
		t.newest = f.older
	}
	if f.older != nil {
		f.older.newer = f.newer
	} else {
		t.oldest = f.newer
	}
	f.newer, f.older = nil, nil
}

// AddrKey maps a client's IP address to the key Throttle counts it under:
// an IPv4 address as is, an IPv6 address as its /64 prefix, since one
// host or network is usually given a whole /64. IPv4-mapped IPv6
// addresses count as IPv4; zones are dropped.
func AddrKey(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	if !ip.Is6() {
		return ip.String()
	}
	p, _ := ip.Prefix(64) // cannot fail: 64 bits fit any IPv6 address
	return p.String()
}
