package store

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkAppend has 64 goroutines append flat out, each waiting for its
// acknowledgement before the next append (64 records in flight), to
// memory and to disk, and reports appends/s, fsyncs per append and the
// disk rate as a fraction of the memory rate measured in the same run.
// "disk-nowait" appenders do not wait: the queue stays full up to
// MaxPending.
func BenchmarkAppend(b *testing.B) {
	payload := []byte("alice: a chat message of a typical length, sixty bytes or so")
	var memRate float64
	for _, mode := range []string{"memory", "disk", "disk-nowait"} {
		b.Run(mode, func(b *testing.B) {
			o := Options{}
			if mode != "memory" {
				o.Dir = b.TempDir()
			}
			l, err := Open(o)
			if err != nil {
				b.Fatal(err)
			}
			var room atomic.Int64
			var acked atomic.Int64
			b.SetParallelism(32) // 32 × GOMAXPROCS goroutines: 64 on two cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				name := fmt.Sprint("room", room.Add(1)%16)
				ack := make(chan struct{}, 1)
				for pb.Next() {
					l.Append(name, "", payload, func(_ Record, err error) {
						if err != nil {
							b.Error(err)
						}
						acked.Add(1)
						if mode != "disk-nowait" {
							ack <- struct{}{}
						}
					})
					if mode != "disk-nowait" {
						<-ack
					}
				}
			})
			l.Close() // waits for what is pending
			b.StopTimer()
			s := l.Stats()
			if acked.Load() != int64(b.N) || s.Appends != uint64(b.N) {
				b.Fatalf("%d acknowledged, Appends=%d, want %d", acked.Load(), s.Appends, b.N)
			}
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "appends/s")
			b.ReportMetric(float64(s.Syncs)/float64(b.N), "syncs/append")
			if mode == "memory" {
				memRate = rate
			} else if memRate > 0 {
				b.ReportMetric(rate/memRate, "x-memory-rate")
			}
		})
	}
}

// BenchmarkOpen1M reports the seconds Open takes to replay a million
// small records in a thousand rooms, against reading and checksumming the
// same files without building the index (the baseline), and the heap
// the index holds per record.
func BenchmarkOpen1M(b *testing.B) {
	const rooms, perRoom = 1000, 1000
	dir := b.TempDir()
	writeLog(b, dir, rooms, perRoom)
	b.Run("read-baseline", func(b *testing.B) {
		for b.Loop() {
			if n := readAll(b, dir); n != rooms*perRoom {
				b.Fatalf("read %d records", n)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/open")
	})
	b.Run("open", func(b *testing.B) {
		var before, after runtime.MemStats
		for b.Loop() {
			runtime.GC()
			runtime.ReadMemStats(&before)
			l, err := Open(Options{Dir: dir})
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			if s := l.Stats(); s.Records != rooms*perRoom {
				b.Fatalf("opened %d records", s.Records)
			}
			l.Close()
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/open")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(rooms*perRoom), "heap-B/record")
	})
}

// writeLog writes rooms×perRoom records straight into 4 MiB segments.
func writeLog(b *testing.B, dir string, rooms, perRoom int) {
	b.Helper()
	var buf []byte
	num := uint32(1)
	flush := func() {
		if err := os.WriteFile(filepath.Join(dir, segmentName(num)), buf, 0o600); err != nil {
			b.Fatal(err)
		}
		buf, num = buf[:0], num+1
	}
	for i := range perRoom {
		for r := range rooms {
			p := fmt.Sprintf("user%d: message %d", r, i)
			buf = appendRecord(buf, fmt.Sprint("room", r), ID{Ms: 1700000000000 + uint64(i)}, []byte(p))
			if len(buf) >= 4<<20 {
				flush()
			}
		}
	}
	flush()
}

// readAll reads and checksums every record in dir and counts them.
func readAll(b *testing.B, dir string) int {
	nums, err := listSegments(dir)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, num := range nums {
		data, err := os.ReadFile(filepath.Join(dir, segmentName(num)))
		if err != nil {
			b.Fatal(err)
		}
		for off := 0; off < len(data); n++ {
			_, size, err := decodeRecord(data[off:])
			if err != nil {
				b.Fatal(err)
			}
			off += size
		}
	}
	return n
}
