package accounts

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// step is one call on a Throttle: a failure, a success, or an Allow
// whose answer is checked.
type step struct {
	op        string // "fail", "ok" (Succeeded) or "allow"
	at        time.Duration
	key, addr string
	wantOK    bool
	wantRetry time.Duration
}

func TestThrottle(t *testing.T) {
	fails := func(n int, at time.Duration, key func(i int) string, addr func(i int) string) []step {
		var s []step
		for i := range n {
			s = append(s, step{op: "fail", at: at, key: key(i), addr: addr(i)})
		}
		return s
	}
	same := func(s string) func(int) string { return func(int) string { return s } }
	each := func(p string) func(int) string { return func(i int) string { return fmt.Sprint(p, i) } }
	tests := []struct {
		name  string
		steps []step
	}{
		{"by name: three failures, then wait a third of the window", append(fails(3, 0, same("alice"), each("10.0.0.")),
			step{op: "allow", key: "alice", addr: "10.0.1.1", wantRetry: 20 * time.Second},
			step{op: "allow", at: 5 * time.Second, key: "alice", addr: "10.0.1.1", wantRetry: 15 * time.Second},
			step{op: "allow", key: "bob", addr: "10.0.0.1", wantOK: true},
			step{op: "allow", at: 20 * time.Second, key: "alice", addr: "10.0.1.1", wantOK: true},
		)},
		{"by name: after the pause, one more try per interval", append(fails(3, 0, same("alice"), each("10.0.0.")),
			step{op: "fail", at: 20 * time.Second, key: "alice", addr: "10.0.0.9"},
			step{op: "allow", at: 20 * time.Second, key: "alice", addr: "10.0.0.9", wantRetry: 20 * time.Second},
		)},
		{"by name: success forgets the name", append(fails(3, 0, same("alice"), each("10.0.0.")),
			step{op: "ok", key: "alice", addr: "10.0.0.1"},
			step{op: "allow", key: "alice", addr: "10.0.0.7", wantOK: true},
		)},
		{"by address: five names, then wait", append(fails(5, 0, each("user"), same("2001:db8::/64")),
			step{op: "allow", key: "user99", addr: "2001:db8::/64", wantRetry: 12 * time.Second},
			step{op: "allow", key: "user99", addr: "10.0.0.1", wantOK: true},
			step{op: "allow", at: 12 * time.Second, key: "user99", addr: "2001:db8::/64", wantOK: true},
		)},
		{"by address: success on one's own name keeps the address's count", append(fails(5, 0, each("user"), same("10.9.9.9")),
			step{op: "ok", key: "mallory", addr: "10.9.9.9"},
			step{op: "allow", key: "user0", addr: "10.9.9.9", wantRetry: 12 * time.Second},
		)},
		{"the longer of both waits", append(append(fails(3, 0, same("alice"), each("10.0.0.")),
			fails(5, 10*time.Second, each("user"), same("10.9.9.9"))...),
			step{op: "allow", at: 10 * time.Second, key: "alice", addr: "10.9.9.9", wantRetry: 12 * time.Second},
			step{op: "allow", at: 19 * time.Second, key: "alice", addr: "10.9.9.9", wantRetry: 3 * time.Second},
		)},
		{"below the limit", append(fails(2, 0, same("alice"), same("10.0.0.1")),
			step{op: "allow", key: "alice", addr: "10.0.0.1", wantOK: true},
		)},
		{"failures past the limit hold it back one window at most", append(fails(50, 0, same("alice"), same("10.0.0.1")),
			step{op: "allow", key: "alice", addr: "10.0.0.1", wantRetry: 20 * time.Second},
			step{op: "allow", at: 20 * time.Second, key: "alice", addr: "10.0.0.1", wantOK: true},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := NewThrottle(3, 5, time.Minute, 100)
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				switch s.op {
				case "fail":
					th.Failed(s.key, s.addr, now)
				case "ok":
					th.Succeeded(s.key, s.addr)
				case "allow":
					retry, ok := th.Allow(s.key, s.addr, now)
					if ok != s.wantOK || retry != s.wantRetry {
						t.Errorf("step %d: Allow(%s, %s) at +%v = %v, %v; want %v, %v",
							i, s.key, s.addr, s.at, retry, ok, s.wantRetry, s.wantOK)
					}
				}
			}
		})
	}
}

func TestThrottleForgetsDrained(t *testing.T) {
	th := NewThrottle(3, 5, time.Minute, 100)
	th.Failed("alice", "10.0.0.1", t0)
	if n := len(th.records); n != 2 {
		t.Fatalf("%d records after one failure; want 2", n)
	}
	if _, ok := th.Allow("alice", "10.0.0.1", t0.Add(20*time.Second)); !ok {
		t.Fatal("refused after the failure drained")
	}
	if n := len(th.records); n != 0 {
		t.Errorf("%d records once drained; want 0", n)
	}
}

func TestThrottleEvictsOldest(t *testing.T) {
	const maxEntries = 10
	th := NewThrottle(1, 0, time.Hour, maxEntries)
	for i := range 1000 {
		th.Failed(fmt.Sprint("user", i), "", t0.Add(time.Duration(i)*time.Millisecond))
		if n := len(th.records); n > maxEntries {
			t.Fatalf("%d records after %d failures; bound is %d", n, i+1, maxEntries)
		}
	}
	now := t0.Add(time.Second)
	if _, ok := th.Allow("user999", "", now); ok {
		t.Error("the newest name is not throttled")
	}
	if _, ok := th.Allow("user990", "", now); ok {
		t.Error("the tenth newest name is not throttled")
	}
	if _, ok := th.Allow("user989", "", now); !ok {
		t.Error("the eleventh newest name is still throttled; it should have been evicted")
	}
}

func TestThrottleOff(t *testing.T) {
	for _, th := range []*Throttle{NewThrottle(0, 0, time.Minute, 10), NewThrottle(3, 3, 0, 10)} {
		for range 10 {
			th.Failed("alice", "10.0.0.1", t0)
		}
		if _, ok := th.Allow("alice", "10.0.0.1", t0); !ok || len(th.records) != 0 {
			t.Errorf("a throttle with its limits off refused, or kept %d records", len(th.records))
		}
	}
}

func TestThrottleConcurrent(t *testing.T) {
	th := NewThrottle(3, 5, time.Minute, 50)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				key, addr := fmt.Sprint("user", i%60), fmt.Sprint("10.0.", g, ".", i%7)
				now := t0.Add(time.Duration(i) * time.Second)
				if _, ok := th.Allow(key, addr, now); ok {
					th.Failed(key, addr, now)
				}
				if i%11 == 0 {
					th.Succeeded(key, addr)
				}
			}
		})
	}
	wg.Wait()
	if n := len(th.records); n > 50 {
		t.Errorf("%d records; bound is 50", n)
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
