package files

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"testing"
	"time"
)

// BenchmarkPut uploads a 64 MiB stream and, in the same iterations,
// copies the same stream to io.Discard and, on disk, to a plain file
// synced, as baselines. It reports the bytes Put allocates (on disk a
// constant: the copy buffer and bookkeeping, not the file) and its time
// against the baselines'.
func BenchmarkPut(b *testing.B) {
	const size = 64 << 20
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			s := open(b, m.disk, Options{MaxFile: size, Budget: 2 * size})
			var put, discard, file time.Duration
			var alloc uint64
			var before, after runtime.MemStats
			for b.Loop() {
				discard += timed(b, func() error { _, err := io.Copy(io.Discard, newStream(size)); return err })
				if m.disk {
					file += timed(b, func() error { return copyToFile(b.TempDir(), newStream(size)) })
				}
				runtime.ReadMemStats(&before)
				put += timed(b, func() error { _, err := s.Put("", "big.bin", newStream(size)); return err })
				runtime.ReadMemStats(&after)
				alloc += after.TotalAlloc - before.TotalAlloc
			}
			n := float64(b.N)
			b.ReportMetric(float64(alloc)/n, "put-alloc-B/op")
			b.ReportMetric(float64(alloc)/n/size, "alloc/file-size")
			b.ReportMetric(size*n/put.Seconds()/1e6, "put-MB/s")
			b.ReportMetric(put.Seconds()/discard.Seconds(), "put/discard-time")
			if m.disk {
				b.ReportMetric(put.Seconds()/file.Seconds(), "put/file-time")
			}
		})
	}
}

// timed runs f and returns how long it took.
func timed(b *testing.B, f func() error) time.Duration {
	start := time.Now()
	if err := f(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// copyToFile writes r to a new file in dir and syncs it, what Put does
// at least.
func copyToFile(dir string, r io.Reader) error {
	f, err := os.CreateTemp(dir, "baseline")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := io.Copy(f, r); err != nil {
		return err
	}
	return f.Sync()
}

// BenchmarkPutSmall stores many small files, as a chat mostly sees, with
// the budget full so that each Put also removes the oldest file.
func BenchmarkPutSmall(b *testing.B) {
	for _, m := range modes {
		for _, size := range []int64{1 << 10, 256 << 10} {
			b.Run(fmt.Sprintf("%s/%dKiB", m.name, size>>10), func(b *testing.B) {
				s := open(b, m.disk, Options{MaxFile: size, Budget: 16 * size})
				for range 16 {
					if _, err := s.Put("", "old.bin", newStream(size)); err != nil {
						b.Fatal(err)
					}
				}
				b.SetBytes(size)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.Put("", "a.bin", newStream(size)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(s.Stats().Evictions)/float64(b.N), "evictions/op")
				if st := s.Stats(); st.Bytes > 16*size {
					b.Errorf("%d bytes kept, over the budget", st.Bytes)
				}
			})
		}
	}
}
