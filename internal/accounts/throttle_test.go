package accounts

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// try is one login through a LoginThrottle: Begin, then the outcome op
// names, unless Begin refuses, which wantWait says it must do (0: it
// must not).
type try struct {
	op        string // "fail", "ok" (right password) or "busy" (not checked)
	at        time.Duration
	key, addr string
	wantWait  time.Duration
}

// tries is n logins of op at one name from one address, from start, one
// each every.
func tries(n int, op string, start, every time.Duration, key, addr string) []try {
	var s []try
	for i := range n {
		s = append(s, try{op: op, at: start + time.Duration(i)*every, key: key, addr: addr})
	}
	return s
}

func TestLoginThrottle(t *testing.T) {
	const a, b = "10.0.0.1", "10.0.0.2"
	cat := func(parts ...[]try) []try {
		var s []try
		for _, p := range parts {
			s = append(s, p...)
		}
		return s
	}
	tests := []struct {
		name  string
		tries []try
	}{
		{"five wrong passwords lock the name at that address only", cat(
			tries(5, "fail", 0, 0, "alice", a),
			[]try{
				{op: "fail", key: "alice", addr: a, wantWait: 3 * time.Minute},
				{op: "ok", key: "alice", addr: a, wantWait: 3 * time.Minute},
				{op: "ok", key: "alice", addr: b},
				{op: "fail", key: "bob", addr: a},
			})},
		{"retrying while locked does not lengthen the lock", cat(
			tries(5, "fail", 0, 0, "alice", a),
			[]try{
				{op: "fail", at: time.Minute, key: "alice", addr: a, wantWait: 2 * time.Minute},
				{op: "fail", at: 2 * time.Minute, key: "alice", addr: a, wantWait: time.Minute},
				{op: "fail", at: 3*time.Minute - time.Second, key: "alice", addr: a, wantWait: time.Second},
				{op: "fail", at: 3 * time.Minute, key: "alice", addr: a},
				{op: "fail", at: 3 * time.Minute, key: "alice", addr: a, wantWait: 3 * time.Minute},
			})},
		{"a right password forgets the name's failures", cat(
			tries(4, "fail", 0, 0, "alice", a),
			tries(1, "ok", 0, 0, "alice", a),
			tries(5, "fail", 0, 0, "alice", a),
			[]try{{op: "fail", key: "alice", addr: a, wantWait: 3 * time.Minute}})},
		{"a check not made is no failure", cat(
			tries(9, "busy", 0, 0, "alice", a),
			[]try{{op: "ok", key: "alice", addr: a}})},
		{"every attempt counts against the address: ten at once, then one each 6 s", cat(
			tries(10, "ok", 0, 0, "mallory", a),
			[]try{
				{op: "ok", key: "mallory", addr: a, wantWait: 6 * time.Second},
				{op: "ok", key: "alice", addr: b},
				{op: "ok", at: 6 * time.Second, key: "mallory", addr: a},
				{op: "ok", at: 6 * time.Second, key: "mallory", addr: a, wantWait: 6 * time.Second},
			})},
		{"twenty names tried from one address, then one each 2 min", cat(
			spray(20, a),
			[]try{
				{op: "fail", at: 114 * time.Second, key: "user20", addr: a, wantWait: 6 * time.Second},
				{op: "ok", at: 114 * time.Second, key: "mallory", addr: a, wantWait: 6 * time.Second},
				{op: "fail", at: 114 * time.Second, key: "user20", addr: b},
				{op: "fail", at: 120 * time.Second, key: "user20", addr: a},
				{op: "fail", at: 120 * time.Second, key: "user21", addr: a, wantWait: 2 * time.Minute},
			})},
		{"logging in to one's own account buys no guesses at others", cat(
			spray(19, a),
			tries(1, "ok", 114*time.Second, 0, "mallory", a),
			[]try{
				{op: "fail", at: 114 * time.Second, key: "user19", addr: a},
				{op: "fail", at: 114 * time.Second, key: "user20", addr: a, wantWait: 6 * time.Second},
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := NewLoginThrottle(limits(100))
			for i, s := range tt.tries {
				if err := login(th, s); err != nil {
					t.Fatalf("try %d (%s %s from %s at +%v): %v", i, s.op, s.key, s.addr, s.at, err)
				}
			}
		})
	}
}

// spray is n wrong passwords at as many names from addr, one each 6 s
// (the address's attempt rate) from 0.
func spray(n int, addr string) []try {
	var s []try
	for i := range n {
		s = append(s, try{op: "fail", at: time.Duration(i) * 6 * time.Second, key: fmt.Sprint("user", i), addr: addr})
	}
	return s
}

// login makes the try s through th and says how it went against what s
// wants.
func login(th *LoginThrottle, s try) error {
	now := t0.Add(s.at)
	attempt, err := th.Begin(s.key, s.addr, now)
	var retry *RetryError
	switch {
	case s.wantWait == 0 && err != nil:
		return fmt.Errorf("refused: %v", err)
	case s.wantWait == 0:
	case !errors.As(err, &retry) || !errors.Is(err, ErrThrottled):
		return fmt.Errorf("= %v; want ErrThrottled for %v", err, s.wantWait)
	case retry.After != s.wantWait:
		return fmt.Errorf("wait %v; want %v", retry.After, s.wantWait)
	default:
		return nil
	}
	switch s.op {
	case "ok":
		attempt.Succeeded(now)
	case "busy":
		attempt.NotChecked(now)
	}
	return nil
}

func limits(maxKeys int) LoginLimits {
	l := DefaultLoginLimits
	l.MaxKeys = maxKeys
	return l
}

// TestOwnerNeverLockedOut has an attacker at one address try a wrong
// password at alice's name as soon as each lock ends, for a day; alice,
// elsewhere, logs in each time just after.
func TestOwnerNeverLockedOut(t *testing.T) {
	th := NewLoginThrottle(limits(100))
	const attacker, owner = "203.0.113.9", "198.51.100.7"
	at := time.Duration(0)
	for i := 0; at < 24*time.Hour; i++ {
		if i >= 5 {
			at += 3 * time.Minute // each lock's end
		}
		if err := login(th, try{op: "fail", at: at, key: "alice", addr: attacker}); err != nil {
			t.Fatalf("attacker's try %d at +%v: %v", i, at, err)
		}
		if err := login(th, try{op: "ok", at: at + time.Second, key: "alice", addr: owner}); err != nil {
			t.Fatalf("owner's login after the attacker's try %d: %v", i, err)
		}
	}
	if err := login(th, try{op: "fail", at: at, key: "alice", addr: attacker, wantWait: 3 * time.Minute}); err != nil {
		t.Errorf("the attacker's pair is not locked: %v", err)
	}
}

// TestLoginThrottleConcurrentGuesses sends many guesses at once: the
// limit holds as if they came one by one.
func TestLoginThrottleConcurrentGuesses(t *testing.T) {
	th := NewLoginThrottle(limits(100))
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 40 {
		wg.Go(func() {
			if _, err := th.Begin("alice", "10.0.0.1", t0); err == nil {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != DefaultLoginLimits.PairFailures.Burst {
		t.Errorf("%d of 40 concurrent guesses allowed; want %d", allowed, DefaultLoginLimits.PairFailures.Burst)
	}
}

// TestLoginThrottleBounded floods the throttle with 100,000 names, each
// from an address of its own: each limit keeps at most MaxKeys keys, and
// the newest locks still hold.
func TestLoginThrottleBounded(t *testing.T) {
	const maxKeys = 1000
	th := NewLoginThrottle(limits(maxKeys))
	for i := range 100_000 {
		if _, err := th.Begin(fmt.Sprint("user", i), fmt.Sprint("addr", i), t0); err != nil {
			t.Fatalf("try %d refused: %v", i, err)
		}
	}
	for _, b := range []*buckets{&th.pairFailures, &th.addrFailures, &th.addrAttempts} {
		if n := b.tat.len(); n != maxKeys {
			t.Errorf("%d keys kept; want %d", n, maxKeys)
		}
	}
	for range 5 {
		th.Begin("alice", "addr99999", t0)
	}
	if _, err := th.Begin("alice", "addr99999", t0); !errors.Is(err, ErrThrottled) {
		t.Errorf("a pair locked last is not locked after the flood: %v", err)
	}
}

func TestLimiterForgetsDrained(t *testing.T) {
	l := NewLimiter(Rate{Burst: 5, Every: time.Minute}, 100)
	l.Take("10.0.0.1", t0)
	if err := l.Take("10.0.0.1", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	l.Take("10.0.0.2", t0.Add(5*time.Minute))
	if n := l.b.tat.len(); n != 2 {
		t.Errorf("%d keys kept; want 2", n)
	}
	l.b.wait("10.0.0.1", t0.Add(10*time.Minute).UnixNano())
	if n := l.b.tat.len(); n != 1 {
		t.Errorf("%d keys kept once one drained; want 1", n)
	}
}

func TestLimiter(t *testing.T) {
	tests := []struct {
		name     string
		rate     Rate
		at       []time.Duration // one Take each
		wantWait []time.Duration
	}{
		{"five at once, then one each 12 min", Rate{Burst: 5, Every: 12 * time.Minute},
			[]time.Duration{0, 0, 0, 0, 0, 0, 0, 12 * time.Minute, 12 * time.Minute},
			[]time.Duration{0, 0, 0, 0, 0, 12 * time.Minute, 12 * time.Minute, 0, 12 * time.Minute}},
		{"refused takes do not lengthen the wait", Rate{Burst: 1, Every: time.Minute},
			[]time.Duration{0, time.Second, 30 * time.Second, 59 * time.Second, time.Minute},
			[]time.Duration{0, 59 * time.Second, 30 * time.Second, time.Second, 0}},
		{"off", Rate{}, []time.Duration{0, 0, 0}, []time.Duration{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLimiter(tt.rate, 10)
			for i, at := range tt.at {
				err := l.Take("10.0.0.1", t0.Add(at))
				var retry *RetryError
				switch {
				case tt.wantWait[i] == 0 && err != nil:
					t.Errorf("take %d at +%v = %v", i, at, err)
				case tt.wantWait[i] != 0 && (!errors.As(err, &retry) || retry.After != tt.wantWait[i]):
					t.Errorf("take %d at +%v = %v; want a wait of %v", i, at, err, tt.wantWait[i])
				}
			}
		})
	}
}

func TestRetryErrorSeconds(t *testing.T) {
	for _, tt := range []struct {
		after time.Duration
		want  int
	}{{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {3 * time.Minute, 180}} {
		e := &RetryError{Err: ErrBusy, After: tt.after}
		if got := e.Seconds(); got != tt.want {
			t.Errorf("Seconds() of %v = %d; want %d", tt.after, got, tt.want)
		}
	}
}

func TestAddrKey(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			if got := AddrKey(netip.MustParseAddr(tt.ip)); got != tt.want {
				t.Errorf("AddrKey(%s) = %s; want %s", tt.ip, got, tt.want)
			}
		})
	}
}
