package accounts

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// pulse wakes everyone waiting on it each time it fires.
type pulse struct {
	mu sync.Mutex
	ch chan struct{}
}

func newPulse() *pulse { return &pulse{ch: make(chan struct{})} }

// next returns a channel closed at the next fire.
func (p *pulse) next() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ch
}

func (p *pulse) fire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.ch)
	p.ch = make(chan struct{})
}

// TestLoginDuringFlood runs real hashes at Iterations rounds (a tenth
// under the race detector), one at a time: 40 goroutines log in to mallory's account with its password from
// one address, each trying again as soon as a login ends; once the flood
// is under way, alice logs in from another address. Her hash must be the
// next to start: the flood's hash running when she arrived is the only
// one she waits for.
func TestLoginDuringFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real hashes")
	}
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.queueWait = time.Minute // a bound on the order, not on the machine's speed
	if raceEnabled {
		s.iter = Iterations / 10
	}
	for _, a := range []struct{ key, name, password string }{
		{"alice", "Alice", "correct horse"},
		{"mallory", "Mallory", "mallory's password"},
	} {
		if err := s.Register(t.Context(), testAddr, a.key, a.name, a.password); err != nil {
			t.Fatal(err)
		}
	}
	s.sched = newScheduler(1, s.sched.now)

	const flooder, alice = "203.0.113.9", "198.51.100.7"
	var (
		mu        sync.Mutex
		started   []string // whose hashes started, in order
		aliceSent int      // hashes started when alice's login was sent
		aliceDone = make(chan error, 1)
	)
	s.kdf = func(password string, salt []byte, iter int) ([]byte, error) {
		mu.Lock()
		who := "flood"
		if password == "correct horse" {
			who = "alice"
		}
		started = append(started, who)
		if len(started) == 3 { // the flood is under way, and this hash holds the only slot
			aliceSent = len(started)
			go func() {
				_, err := s.Check(t.Context(), alice, "alice", "correct horse")
				aliceDone <- err
			}()
		}
		mu.Unlock()
		return pbkdf2Key(password, salt, iter)
	}

	ctx, stop := context.WithCancel(t.Context())
	ended := newPulse()
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			for ctx.Err() == nil {
				next := ended.next()
				_, err := s.Check(ctx, flooder, "mallory", "mallory's password")
				var retry *RetryError
				switch {
				case err == nil:
					ended.fire()
				case errors.As(err, &retry):
					select {
					case <-next:
					case <-ctx.Done():
					}
				default:
					t.Errorf("flood: %v", err)
					return
				}
			}
		})
	}
	err = <-aliceDone
	stop()
	wg.Wait()
	if err != nil {
		t.Fatalf("alice's login during the flood: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	ahead := 0
	for _, who := range started[aliceSent:] {
		if who == "alice" {
			break
		}
		ahead++
	}
	t.Logf("hashes started: %d; alice waited for the 1 running when she arrived and %d more", len(started), ahead)
	if ahead != 0 {
		t.Errorf("%d flood hashes started after alice's login arrived and before hers; want 0 (order %v)", ahead, started)
	}
}
