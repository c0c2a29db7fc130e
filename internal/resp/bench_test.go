package resp

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// cycle is an endless reader repeating one reply.
type cycle struct {
	b []byte // the reply repeated to at least 64 KiB
	i int
}

func newCycle(reply string) *cycle {
	return &cycle{b: []byte(strings.Repeat(reply, 1+(64<<10)/len(reply)))}
}

func (c *cycle) Read(p []byte) (int, error) {
	n := copy(p, c.b[c.i:])
	c.i = (c.i + n) % len(c.b)
	return n, nil
}

// BenchmarkReadValue parses the replies a chat node sees most.
func BenchmarkReadValue(b *testing.B) {
	entry := "*2\r\n$15\r\n1700000000000-0\r\n*4\r\n$4\r\nname\r\n$5\r\nalice\r\n$4\r\ntext\r\n$11\r\nhello world\r\n"
	cases := []struct{ name, reply string }{
		{"simple OK", "+OK\r\n"},
		{"integer", ":1700000000000\r\n"},
		{"bulk 1KiB", "$1024\r\n" + strings.Repeat("x", 1024) + "\r\n"},
		{"XRANGE 10 entries", "*10\r\n" + strings.Repeat(entry, 10)},
		{"pubsub push", ">3\r\n$7\r\nmessage\r\n$6\r\nroom:1\r\n$40\r\n" + strings.Repeat("m", 40) + "\r\n"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			r := NewReader(newCycle(c.reply), Limits{})
			b.SetBytes(int64(len(c.reply)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.ReadValue(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDo measures one client's throughput with sequential calls and
// with 64 goroutines sharing the connection, in the same run, against an
// in-process server that answers +OK and, when installed, redis-server.
func BenchmarkDo(b *testing.B) {
	b.Run("fake", func(b *testing.B) {
		benchmarkDo(b, startFake(b, okServer).url(), "SET")
	})
	b.Run("redis", func(b *testing.B) {
		benchmarkDo(b, resptest.Start(b).URL("", ""), "SET")
	})
}

func benchmarkDo(b *testing.B, url, cmd string) {
	c, err := Dial(context.Background(), url, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	call := func() {
		if _, err := c.Do(ctx, cmd, "key", "value"); err != nil {
			b.Fatal(err)
		}
	}
	const workers = 64
	b.ReportAllocs()
	var seq, par time.Duration
	for b.Loop() {
		start := time.Now()
		for range 100 {
			call()
		}
		seq += time.Since(start)
		start = time.Now()
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range 100 / 4 {
					call()
				}
			})
		}
		wg.Wait()
		par += time.Since(start)
	}
	seqOps := float64(100*b.N) / seq.Seconds()
	parOps := float64(workers*25*b.N) / par.Seconds()
	b.ReportMetric(seqOps, "seq-ops/s")
	b.ReportMetric(parOps, "pipelined-ops/s")
	b.ReportMetric(parOps/seqOps, "ratio")
}
