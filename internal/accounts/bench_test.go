package accounts

import (
	"errors"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkCheck times one Check of a wrong password at the real cost
// (Iterations), the figure a login costs the server. As a baseline in the
// same run, each iteration also times, off the clock, a Check of a name
// not registered, which must cost the same: unknown/known, the ratio of
// the fastest of each, stays near 1.
func BenchmarkCheck(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Register(b.Context(), testAddr, "alice", "Alice", "correct horse"); err != nil {
		b.Fatal(err)
	}
	fastKnown, fastUnknown := time.Duration(1<<62), time.Duration(1<<62)
	var total time.Duration
	for b.Loop() {
		known := timeCheck(b, s, "alice")
		b.StopTimer()
		fastUnknown = min(fastUnknown, timeCheck(b, s, "nobody"))
		b.StartTimer()
		total += known
		fastKnown = min(fastKnown, known)
	}
	b.ReportMetric(float64(total)/float64(b.N)/float64(time.Millisecond), "ms/op")
	b.ReportMetric(float64(fastUnknown)/float64(fastKnown), "unknown/known")
}

// BenchmarkThrottleFlood makes logins for ever new names from ever new
// addresses, as a flood would, against a LoginThrottle bounded to maxKeys
// keys per limit. It reports the heap one login's keys cost (three, its
// name included) and the heap after the flood; flood/full is that against
// the heap when first full, the baseline, and stays near 1 however long
// the flood runs.
func BenchmarkThrottleFlood(b *testing.B) {
	const maxKeys = 10_000
	before := heapInUse()
	th := NewLoginThrottle(limits(maxKeys))
	for i := range maxKeys {
		th.Begin("flood-"+strconv.Itoa(i), "addr-"+strconv.Itoa(i), t0)
	}
	full := heapInUse() - before
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		th.Begin("flood-"+strconv.Itoa(maxKeys+i), "addr-"+strconv.Itoa(maxKeys+i), t0)
	}
	b.StopTimer()
	flooded := heapInUse() - before
	if n := th.pairFailures.tat.len(); n != maxKeys {
		b.Fatalf("%d keys; want %d", n, maxKeys)
	}
	b.ReportMetric(float64(full)/maxKeys, "B/login")
	b.ReportMetric(float64(flooded), "total-B")
	b.ReportMetric(float64(flooded)/float64(full), "flood/full")
	runtime.KeepAlive(th)
}

func timeCheck(b *testing.B, s *Store, key string) time.Duration {
	start := time.Now()
	if _, err := s.Check(b.Context(), testAddr, key, "wrong password"); !errors.Is(err, ErrBadCredentials) {
		b.Fatalf("Check(%s) = %v", key, err)
	}
	return time.Since(start)
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
