package store

import (
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"testing"
	"time"
)

// reseal recomputes the checksum of the single record in b.
func reseal(b []byte) []byte {
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b[headerSize:], castagnoli))
	return b
}

// result is what a done function received.
type result struct {
	rec Record
	err error
}

// appendWait appends and waits for done.
func appendWait(t testing.TB, l *Log, room, payload string) (Record, error) {
	t.Helper()
	ch := make(chan result, 1)
	l.Append(room, "", []byte(payload), func(r Record, err error) { ch <- result{r, err} })
	select {
	case r := <-ch:
		return r.rec, r.err
	case <-time.After(10 * time.Second):
		t.Fatalf("append to %q: done not called within 10s", room)
		return Record{}, nil
	}
}

// mustAppend appends and fails the test on error.
func mustAppend(t testing.TB, l *Log, room, payload string) ID {
	t.Helper()
	r, err := appendWait(t, l, room, payload)
	if err != nil {
		t.Fatalf("append to %q: %v", room, err)
	}
	return r.ID
}

// mustOpen opens a log and closes it when the test ends.
func mustOpen(t testing.TB, o Options) *Log {
	t.Helper()
	l, err := Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// payloads returns the payloads of recs as strings.
func payloads(recs []Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Payload)
	}
	return out
}

// fakeClock is a settable clock for Options.Now.
type fakeClock struct{ ms chan int64 }

func newClock(ms int64) *fakeClock {
	c := &fakeClock{ms: make(chan int64, 1)}
	c.ms <- ms
	return c
}

func (c *fakeClock) now() time.Time {
	ms := <-c.ms
	c.ms <- ms
	return time.UnixMilli(ms)
}

func (c *fakeClock) set(ms int64) {
	<-c.ms
	c.ms <- ms
}

// testLogger returns a logger writing to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}
