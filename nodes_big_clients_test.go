//go:build unix

package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The receivers of BenchmarkBigRoom live in child processes: one process
// may open 20,000 files, and one loopback address has some 28,000
// ephemeral ports. The test binary runs itself with bigChildEnv set to a
// bigChildSpec; TestMain then runs runBigChild instead of the tests. The
// child dials its receivers, and answers the parent's commands, one a
// line on standard input, with one JSON line each on file descriptor 3:
//
//	(at start)        once every receiver has its welcome: bigProgress
//	await N SECONDS   wait until every receiver has N benchmark messages:
//	                  bigProgress
//	report            the latencies, by phase and node: bigReport; the
//	                  child then exits

// bigChildEnv names the environment variable that makes the test binary
// a child of BenchmarkBigRoom.
const bigChildEnv = "WSCHAT_BIG_CHILD"

func init() { childMains[bigChildEnv] = runBigChild }

// bigChildSpec is what one child does.
type bigChildSpec struct {
	From, To int      // its receivers, r<From> to r<To-1>; receiver i is on node i%len(Nodes)
	Nodes    []string // the nodes' addresses
	Source   string   // the loopback address its connections come from
	Rate     float64  // connections opened a second
	Phases   []int    // messages sent in each phase, in order
}

// bigProgress answers await: how many receivers have fewer messages than
// asked, and how many of those the server has closed. The first reply,
// once every receiver has joined, says how many joins were refused and
// tried again.
type bigProgress struct {
	Reached int
	Short   int
	Closed  int
	Refused int
}

// bigReport is a child's latencies: Hist[phase][node].
type bigReport struct {
	Hist [][]latencyHist
}

// runBigChild is a child's whole life; it returns the exit code.
func runBigChild(spec string) int {
	var s bigChildSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", bigChildEnv, err)
		return 2
	}
	out := os.NewFile(3, "report")
	want := 0
	for _, n := range s.Phases {
		want += n
	}
	rs, refused, err := dialBigReceivers(s, int64(want))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	enc := json.NewEncoder(out)
	enc.Encode(bigProgress{Refused: refused})
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		var n, secs int
		if _, err := fmt.Sscanf(sc.Text(), "await %d %d", &n, &secs); err == nil {
			enc.Encode(awaitReceivers(rs, int64(n), time.Duration(secs)*time.Second))
			continue
		}
		if sc.Text() == "report" {
			enc.Encode(s.report(rs))
			return 0
		}
		fmt.Fprintf(os.Stderr, "unknown command %q\n", sc.Text())
		return 2
	}
	return 1
}

// dialBigReceivers opens the child's connections at its rate, a few at a
// time, each reading from the moment it is open.
func dialBigReceivers(s bigChildSpec, want int64) ([]*benchReceiver, int, error) {
	rs := make([]*benchReceiver, s.To-s.From)
	var (
		rejoined atomic.Int64
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		first    error
	)
	start := time.Now()
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(rs) {
					return
				}
				time.Sleep(time.Until(start.Add(time.Duration(float64(i) / s.Rate * float64(time.Second)))))
				c, refused, err := dialBigReceiver(s.Source, s.Nodes[(s.From+i)%len(s.Nodes)], fmt.Sprintf("r%d", s.From+i))
				rejoined.Add(int64(refused))
				if err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
					next.Store(int64(len(rs))) // stop the others
					return
				}
				rs[i] = &benchReceiver{want: want, done: make(chan struct{})}
				go rs[i].run(c.br)
			}
		})
	}
	wg.Wait()
	return rs, int(rejoined.Load()), first
}

// dialBigReceiver joins the chat on addr as name from the loopback
// address source, and reads its welcome. It tries up to bigJoinTries
// times, a second apart, as the page does: a node busy with a crowd's
// arrival may be slow to answer, and refuses a join whose calls to Redis
// take too long. It returns the client and how many times it was
// refused.
func dialBigReceiver(source, addr, name string) (*wsClient, int, error) {
	d := net.Dialer{Timeout: time.Minute, LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
	var err error
	for try := range bigJoinTries {
		if try > 0 {
			time.Sleep(time.Second)
		}
		var c *wsClient
		if c, err = joinBig(d, addr, name); err == nil {
			return c, try, nil
		}
	}
	return nil, bigJoinTries, fmt.Errorf("join %s on %s from %s: %w", name, addr, d.LocalAddr, err)
}

// bigJoinTries is how many times a receiver tries to join: for well
// over the default -redis-ttl, since a refused try whose name the node
// could not give back in time (Redis as slow as the join) holds the name
// until its claim lapses, which a round of renewals may put off once.
const bigJoinTries = 60

// joinBig is one try of dialBigReceiver.
func joinBig(d net.Dialer, addr, name string) (*wsClient, error) {
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c, resp, err := handshakeOver(nc, addr, "/ws/chat?name="+name, nil)
	if err == nil && c == nil {
		err = fmt.Errorf("status %s", resp.Status)
	}
	if err == nil {
		c.nc.SetDeadline(time.Now().Add(time.Minute))
		var p []byte
		if _, p, err = c.receive(); err == nil && !bytes.HasPrefix(p, []byte("* welcome, ")) {
			err = fmt.Errorf("refused: %q", p)
		}
	}
	if err != nil {
		nc.Close()
		return nil, err
	}
	c.nc.SetDeadline(time.Time{})
	return c, nil
}

// awaitReceivers waits up to within until every receiver has n messages.
func awaitReceivers(rs []*benchReceiver, n int64, within time.Duration) bigProgress {
	deadline := time.Now().Add(within)
	for {
		p := bigProgress{Reached: int(n)}
		for _, r := range rs {
			if r.count.Load() >= n {
				continue
			}
			p.Short++
			select {
			case <-r.done:
				p.Closed++
			default:
			}
		}
		if p.Short == 0 || time.Now().After(deadline) {
			return p
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// report sorts the latencies of receivers that have every message into
// phases and nodes; called after the last await.
func (s bigChildSpec) report(rs []*benchReceiver) bigReport {
	rep := bigReport{Hist: make([][]latencyHist, len(s.Phases))}
	for p := range rep.Hist {
		rep.Hist[p] = make([]latencyHist, len(s.Nodes))
		for n := range rep.Hist[p] {
			rep.Hist[p][n] = latencyHist{}
		}
	}
	deadline := time.Now().Add(10 * time.Second) // for the readers that have every message to stop
	for i, r := range rs {
		select {
		case <-r.done:
		case <-time.After(time.Until(deadline)):
			continue // still reading: not every message came
		}
		node, at := (s.From+i)%len(s.Nodes), 0
		for p, n := range s.Phases {
			for _, d := range r.latencies[at:min(at+n, len(r.latencies))] {
				rep.Hist[p][node].add(d)
			}
			at += n
		}
	}
	return rep
}

// latencyHist counts latencies in buckets 1% wide (bucket k holds
// latencies of about 1.01^k µs), so that children can send theirs and the
// parent add them up.
type latencyHist map[int]int64

func (h latencyHist) add(d time.Duration) {
	h[int(math.Log(float64(max(d.Microseconds(), 1)))/math.Log(1.01))]++
}

// merge adds o's counts to h.
func (h latencyHist) merge(o latencyHist) {
	for k, n := range o {
		h[k] += n
	}
}

func (h latencyHist) count() int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	return n
}

// quantile is the latency below which a fraction q of h's lie, to 1%.
func (h latencyHist) quantile(q float64) time.Duration {
	keys := make([]int, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	need, seen := int64(math.Ceil(q*float64(h.count()))), int64(0)
	for _, k := range keys {
		if seen += h[k]; seen >= max(need, 1) {
			return time.Duration(math.Pow(1.01, float64(k+1))) * time.Microsecond
		}
	}
	return 0
}

// String is h's p50 and p99 in milliseconds.
func (h latencyHist) String() string {
	return fmt.Sprintf("p50 %.1f ms, p99 %.1f ms", ms(h.quantile(0.5)), ms(h.quantile(0.99)))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// TestLatencyHistQuantiles checks the histogram children send: its
// quantiles are within its 1% of the exact ones, after a merge too.
func TestLatencyHistQuantiles(t *testing.T) {
	for _, tc := range []struct {
		name      string
		latencies func(i int) time.Duration
		n         int
		p50, p99  time.Duration
	}{
		{"even 1 to 1000 ms", func(i int) time.Duration { return time.Duration(i+1) * time.Millisecond }, 1000, 500 * time.Millisecond, 990 * time.Millisecond},
		{"one value", func(int) time.Duration { return 7 * time.Millisecond }, 10, 7 * time.Millisecond, 7 * time.Millisecond},
		{"a slow hundredth", func(i int) time.Duration {
			if i%100 == 99 {
				return 3 * time.Second
			}
			return 2 * time.Millisecond
		}, 10000, 2 * time.Millisecond, 2 * time.Millisecond},
		{"under a microsecond", func(int) time.Duration { return 10 * time.Nanosecond }, 5, time.Microsecond, time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := latencyHist{}, latencyHist{}
			for i := range tc.n {
				[]latencyHist{a, b}[i%2].add(tc.latencies(i))
			}
			a.merge(b)
			if a.count() != int64(tc.n) {
				t.Fatalf("count %d, want %d", a.count(), tc.n)
			}
			for _, q := range []struct {
				q    float64
				want time.Duration
			}{{0.5, tc.p50}, {0.99, tc.p99}} {
				got := a.quantile(q.q)
				if got < q.want || float64(got) > float64(q.want)*1.0201 {
					t.Errorf("quantile %v = %v, want %v to 2%% above", q.q, got, q.want)
				}
			}
		})
	}
}
