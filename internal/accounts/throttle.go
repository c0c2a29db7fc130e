package accounts

import (
	"crypto/sha256"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// LoginLimits are the limits a LoginThrottle applies, each counted in
// buckets of its own that remember at most MaxKeys keys.
type LoginLimits struct {
	// PairFailures limits wrong passwords for one name from one address:
	// guessing one account's password. Counted per name and address
	// together (as Auth0's brute-force protection counts "per identifier
	// and IP"), failing on purpose from one address never locks the
	// owner out elsewhere.
	PairFailures Rate
	// AddrFailures limits wrong passwords from one address whatever the
	// name: trying a few passwords on many names (Auth0's suspicious IP
	// throttling; Synapse counts failures per account instead, which lets
	// anyone lock an owner out).
	AddrFailures Rate
	// AddrAttempts limits every login from one address, right or wrong
	// (Synapse's rc_login.address): it bounds the hashing one address can
	// ask for, even with its own account's password.
	AddrAttempts Rate
	MaxKeys      int
}

// DefaultLoginLimits suit people typing passwords: five wrong tries at
// one name, then one each 3 minutes; twenty wrong tries from one address
// across names, then one each 2 minutes; ten logins at once from one
// address, then one each 6 seconds, which costs a core at most 7% (a hash
// takes about 0.4 s) and which no one retyping reaches.
var DefaultLoginLimits = LoginLimits{
	PairFailures: Rate{Burst: 5, Every: 3 * time.Minute},
	AddrFailures: Rate{Burst: 20, Every: 2 * time.Minute},
	AddrAttempts: Rate{Burst: 10, Every: 6 * time.Second},
	MaxKeys:      100_000,
}

// LoginThrottle decides whether a login may check a password, and counts
// what it did. It is safe for concurrent use.
type LoginThrottle struct {
	mu           sync.Mutex
	pairFailures buckets // by pairKey
	addrFailures buckets // by address
	addrAttempts buckets // by address
}

// NewLoginThrottle returns a LoginThrottle applying l.
func NewLoginThrottle(l LoginLimits) *LoginThrottle {
	return &LoginThrottle{
		pairFailures: newBuckets(l.PairFailures, l.MaxKeys),
		addrFailures: newBuckets(l.AddrFailures, l.MaxKeys),
		addrAttempts: newBuckets(l.AddrAttempts, l.MaxKeys),
	}
}

// Begin asks whether a login to the account key from addr (see AddrKey)
// may check a password at now. If not, it returns a *RetryError wrapping
// ErrThrottled and counts nothing, so that retrying while refused never
// lengthens the wait. If so, it counts one attempt from addr and, until
// the LoginAttempt says otherwise, one failure for key from addr and one
// for addr: counting before the check keeps concurrent guesses within
// the limits.
func (t *LoginThrottle) Begin(key, addr string, now time.Time) (LoginAttempt, error) {
	pair, n := pairKey(key, addr), now.UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	wait := max(t.pairFailures.wait(pair, n), t.addrFailures.wait(addr, n), t.addrAttempts.wait(addr, n))
	if wait > 0 {
		return LoginAttempt{}, &RetryError{Err: ErrThrottled, After: wait}
	}
	t.pairFailures.take(pair, n)
	t.addrFailures.take(addr, n)
	t.addrAttempts.take(addr, n)
	return LoginAttempt{t: t, pair: pair, addr: addr}, nil
}

// LoginAttempt is a login Begin let through. It counts as a failure
// unless Succeeded or NotChecked is called.
type LoginAttempt struct {
	t          *LoginThrottle
	pair, addr string
}

// Succeeded records that the password was right: the name's failures
// from this address are forgotten. The address's failures at other names
// are kept, so that logging in to one's own account buys no guesses at
// others; this attempt is not one of them.
func (a LoginAttempt) Succeeded(now time.Time) {
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	a.t.pairFailures.forget(a.pair)
	a.t.addrFailures.refund(a.addr, now.UnixNano())
}

// NotChecked records that no password was checked (the server was busy,
// or the client left): the attempt still counts against the address's
// attempts, but not as a failure.
func (a LoginAttempt) NotChecked(now time.Time) {
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	a.t.pairFailures.refund(a.pair, now.UnixNano())
	a.t.addrFailures.refund(a.addr, now.UnixNano())
}

// pairKey is the key of one name at one address: a digest, so that every
// pair costs the same memory however long the name it was given, and no
// two pairs share a key.
func pairKey(key, addr string) string {
	h := sha256.New()
	h.Write([]byte(strconv.Itoa(len(addr))))
	h.Write([]byte{':'})
	h.Write([]byte(addr))
	h.Write([]byte(key))
	return string(h.Sum(nil)[:16])
}

// AddrKey maps a client's IP address to the key it is counted under, by
// LoginThrottle, Limiter and the hashing scheduler: an IPv4 address as
// is, an IPv6 address as its /64 prefix, since one host or network is
// usually given a whole /64. IPv4-mapped IPv6 addresses count as IPv4;
// zones are dropped.
func AddrKey(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	if !ip.Is6() {
		return ip.String()
	}
	p, _ := ip.Prefix(64) // cannot fail: 64 bits fit any IPv6 address
	return p.String()
}
