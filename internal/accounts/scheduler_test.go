package accounts

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// schedRun drives a scheduler with hashes the test names, standing in for
// the work: a hash runs from when its ticket is given a slot until the
// test calls finish, each taking a hash's time on the fake clock.
type schedRun struct {
	t       *testing.T
	s       *scheduler
	clock   *fakeClock
	waiting map[string]*ticket
	running map[string]*ticket
	refused map[string]error
	started []string // names in the order their hashes started
}

func newSchedRun(t *testing.T, slots int) *schedRun {
	c := &fakeClock{now: t0}
	return &schedRun{
		t: t, s: newScheduler(slots, c.Now), clock: c,
		waiting: map[string]*ticket{}, running: map[string]*ticket{}, refused: map[string]error{},
	}
}

// enter asks for a slot for the hash name, of p.
func (r *schedRun) enter(name string, p party) error {
	tk, err := r.s.enter(p, 1)
	if err != nil {
		r.refused[name] = err
		return err
	}
	r.waiting[name] = tk
	r.collect()
	return nil
}

// finish ends the running hash name.
func (r *schedRun) finish(name string) {
	r.t.Helper()
	tk := r.running[name]
	if tk == nil {
		r.t.Fatalf("%s is not running", name)
	}
	delete(r.running, name)
	r.clock.advance(420 * time.Millisecond)
	tk.done()
	r.collect()
}

// finishAny ends one running hash.
func (r *schedRun) finishAny() {
	for name := range r.running {
		r.finish(name)
		return
	}
	r.t.Fatal("nothing running")
}

// collect notes the tickets given a slot, or refused, since last time.
func (r *schedRun) collect() {
	for name, tk := range r.waiting {
		select {
		case err := <-tk.result:
			delete(r.waiting, name)
			if err != nil {
				r.refused[name] = err
				continue
			}
			r.running[name] = tk
			r.started = append(r.started, name)
		default:
		}
	}
}

// startedAfter returns the hashes started after the first n.
func (r *schedRun) startedAfter(n int) []string { return r.started[n:] }

func TestSchedulerServesNewcomerNext(t *testing.T) {
	user := party{"198.51.100.7", "alice"}
	tests := []struct {
		name     string
		slots    int
		flood    func(i int) party
		n        int
		want     map[string]int // outcome of the flood: "running", "waiting", over share, busy
		wantPush bool           // the user takes a flooder's place in a full queue
	}{
		{"40 at once from one address, to its own account with the right password", 1,
			func(int) party { return party{"203.0.113.9", "mallory"} }, 40,
			map[string]int{"running": 1, "waiting": 2, "over": 37}, false},
		{"40 at once from one address, two slots", 2,
			func(int) party { return party{"203.0.113.9", "mallory"} }, 40,
			map[string]int{"running": 2, "waiting": 2, "over": 36}, false},
		{"40 at once at one account, each from a new address", 1,
			func(i int) party { return party{fmt.Sprint("10.1.0.", i), "mallory"} }, 40,
			map[string]int{"running": 1, "waiting": maxWaiting, "busy": 40 - 1 - maxWaiting}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newSchedRun(t, tt.slots)
			for i := range tt.n {
				r.enter(fmt.Sprint("flood", i), tt.flood(i))
			}
			got := map[string]int{"running": len(r.running), "waiting": len(r.waiting)}
			for _, err := range r.refused {
				switch {
				case errors.Is(err, ErrOverShare):
					got["over"]++
				case errors.Is(err, ErrBusy):
					got["busy"]++
				}
			}
			for _, k := range []string{"running", "waiting", "over", "busy"} {
				if got[k] != tt.want[k] {
					t.Errorf("flood %s: %d; want %d", k, got[k], tt.want[k])
				}
			}
			waiting := len(r.waiting)
			if err := r.enter("user", user); err != nil {
				t.Fatalf("the user is refused: %v", err)
			}
			if pushed := len(r.waiting) == waiting; pushed != tt.wantPush {
				t.Errorf("user took a flooder's place: %v; want %v", pushed, tt.wantPush)
			}
			n := len(r.started)
			r.finishAny()
			if next := r.startedAfter(n); len(next) != 1 || next[0] != "user" {
				t.Errorf("after a slot freed, %v started; want [user]", next)
			}
		})
	}
}

// TestSchedulerManyAddresses floods from 50 addresses, each at an account
// of its own and keeping as many hashes waiting as it may, until each has
// had hashes run; then a user arrives and must be next.
func TestSchedulerManyAddresses(t *testing.T) {
	r := newSchedRun(t, 1)
	flood := func(i int) party { return party{fmt.Sprint("10.3.0.", i), fmt.Sprint("flood", i)} }
	served := map[string]bool{}
	outstanding := map[string]int{}
	seq := 0
	for round := 0; len(served) < 50; round++ {
		if round == 1000 {
			t.Fatalf("after 1000 hashes, %d of 50 flooding addresses served", len(served))
		}
		for i := range 50 {
			p := flood(i)
			for outstanding[p.addr] < 1+waitingPerAddr {
				seq++
				if r.enter(fmt.Sprint(p.addr, "#", seq), p) != nil {
					break
				}
				outstanding[p.addr]++
			}
		}
		if len(r.waiting) > maxWaiting {
			t.Fatalf("%d hashes waiting; bound is %d", len(r.waiting), maxWaiting)
		}
		n := len(r.started)
		r.finishAny()
		for _, name := range r.startedAfter(n) {
			served[r.running[name].addr] = true
		}
		for addr := range outstanding { // recount: some were pushed out
			outstanding[addr] = 0
		}
		for _, tk := range r.waiting {
			outstanding[tk.addr]++
		}
		for _, tk := range r.running {
			outstanding[tk.addr]++
		}
	}
	if err := r.enter("user", party{"198.51.100.7", "alice"}); err != nil {
		t.Fatalf("the user is refused: %v", err)
	}
	n := len(r.started)
	r.finishAny()
	if next := r.startedAfter(n); len(next) != 1 || next[0] != "user" {
		t.Errorf("after a slot freed, %v started; want [user]", next)
	}
}

// TestSchedulerForgives checks that past hashing counts for less as time
// passes: a flooder that has stopped for a while goes before one who has
// just had a hash.
func TestSchedulerForgives(t *testing.T) {
	flooder, other := party{"203.0.113.9", "mallory"}, party{"198.51.100.7", "alice"}
	tests := []struct {
		name  string
		quiet time.Duration
		want  string
	}{
		{"just after the flood, the other first", time.Second, "other"},
		{"ten half-lives later, the flooder first", 10 * usageHalfLife, "flooder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newSchedRun(t, 1)
			for i := range 20 {
				r.enter(fmt.Sprint("f", i), flooder)
				r.finishAny()
			}
			r.clock.advance(tt.quiet)
			r.enter("other's first", other)
			r.finishAny()
			r.enter("hold", party{"192.0.2.99", "carol"})
			r.enter("other", other)
			r.enter("flooder", flooder)
			n := len(r.started)
			r.finish("hold")
			if next := r.startedAfter(n); len(next) != 1 || next[0] != tt.want {
				t.Errorf("started %v; want [%s]", next, tt.want)
			}
		})
	}
}

func TestSchedulerWaitEnds(t *testing.T) {
	tests := []struct {
		name        string
		cancel      bool // the client leaves
		push        bool // a lighter newcomer takes its place
		wantErr     error
		wantWaiting int // once it is gone
	}{
		{"the client leaves", true, false, ErrBusy, maxWaiting - 1},
		{"a lighter newcomer takes its place", false, true, ErrOverShare, maxWaiting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeClock{now: t0}
			s := newScheduler(1, c.Now)
			heavy := party{"203.0.113.9", "mallory"}
			running, _ := s.enter(heavy, 1)
			victim, err := s.enter(heavy, 1)
			if err != nil {
				t.Fatal(err)
			}
			for i := range maxWaiting - 1 {
				if _, err := s.enter(party{fmt.Sprint("10.4.0.", i), "mallory"}, 1); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(t.Context())
			if tt.cancel {
				cancel()
			}
			if tt.push {
				if _, err := s.enter(party{"198.51.100.7", "alice"}, 1); err != nil {
					t.Fatal(err)
				}
			}
			err = victim.wait(ctx)
			var retry *RetryError
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &retry) {
				t.Errorf("wait = %v; want a *RetryError wrapping %v", err, tt.wantErr)
			}
			cancel()
			if len(s.queue) != tt.wantWaiting {
				t.Errorf("%d waiting; want %d", len(s.queue), tt.wantWaiting)
			}
			running.done()
			if s.running != 1 || len(s.queue) != tt.wantWaiting-1 {
				t.Errorf("after a slot freed, %d running and %d waiting; want 1 and %d", s.running, len(s.queue), tt.wantWaiting-1)
			}
		})
	}
}

// TestSchedulerGrantedAsClientLeft frees the slot a hash was given as
// its client left.
func TestSchedulerGrantedAsClientLeft(t *testing.T) {
	s := newScheduler(1, (&fakeClock{now: t0}).Now)
	running, _ := s.enter(party{"10.0.0.1", "alice"}, 1)
	waiter, _ := s.enter(party{"10.0.0.2", "bob"}, 1)
	running.done() // gives waiter the slot
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := waiter.wait(ctx); !errors.Is(err, ErrBusy) {
		t.Errorf("wait = %v; want ErrBusy", err)
	}
	if s.running != 0 {
		t.Errorf("%d running once the only client left; want 0", s.running)
	}
}

// TestSchedulerBounded runs hashes for three times as many parties as it
// remembers: the usage kept stays bounded.
func TestSchedulerBounded(t *testing.T) {
	s := newScheduler(1, (&fakeClock{now: t0}).Now)
	for i := range 3 * maxParties {
		tk, err := s.enter(party{fmt.Sprint("addr", i), fmt.Sprint("user", i)}, 1)
		if err != nil {
			t.Fatal(err)
		}
		tk.done()
	}
	if n := s.usage.len(); n != maxParties {
		t.Errorf("usage kept for %d parties; want %d", n, maxParties)
	}
}
