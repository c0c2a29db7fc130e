package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"wschat/internal/chat"
)

// BenchmarkBroadcast measures a room alone: one chat message encoded and
// queued to N members, whose flushers write it to /dev/null. allocs/op
// must not grow with N: the message is encoded once and the same bytes
// queued to everyone.
func BenchmarkBroadcast(b *testing.B) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Skip(err)
	}
	defer devNull.Close()
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("peers=%d", n), func(b *testing.B) {
			stop := make(chan struct{})
			defer close(stop)
			var flushers []*flusher
			for range runtime.GOMAXPROCS(0) {
				f := newFlusher()
				flushers = append(flushers, f)
				go f.run(stop)
			}
			c, err := chat.New(chat.Options{Encoder: frameEncoder{}})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			var conns []*Conn
			var alice *chat.Session
			for i := range n {
				conn := discardConn(devNull, flushers[i%len(flushers)])
				conns = append(conns, conn)
				s, err := c.Join(chatConn{conn}, chat.JoinRequest{Name: fmt.Sprint("p", i), Room: "lobby"})
				if err != nil {
					b.Fatal(err)
				}
				alice = s
			}
			// One broadcast first, so the outboxes and the flushers' lines
			// have grown to size, and every join notice is out: what
			// follows is the steady state.
			alice.Receive([]byte("warming up"))
			waitFlushed(b, conns)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				alice.Receive([]byte("hello everyone"))
				waitFlushed(b, conns)
			}
		})
	}
}

// discardConn is a connection whose flusher writes to w, a file that takes
// everything.
func discardConn(w *os.File, f *flusher) *Conn {
	c := newConn(nopConn{}, nil, &connConfig{maxQueue: 1 << 20, writeTimeout: time.Second, closeTimeout: time.Second}, nil)
	raw, err := w.SyscallConn()
	if err != nil {
		panic(err)
	}
	c.flusher, c.raw = f, raw
	return c
}

// waitFlushed waits until every connection's outbox is written.
func waitFlushed(b *testing.B, conns []*Conn) {
	deadline := time.Now().Add(testTimeout)
	for _, c := range conns {
		for {
			c.mu.Lock()
			idle := !c.scheduled
			c.mu.Unlock()
			if idle {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("outbox not written in time")
			}
			runtime.Gosched()
		}
	}
}

// nopConn is a net.Conn that is never read: the hub benchmark only writes.
type nopConn struct{ net.Conn }

func (nopConn) Close() error                     { return nil }
func (nopConn) SetDeadline(time.Time) error      { return nil }
func (nopConn) SetReadDeadline(time.Time) error  { return nil }
func (nopConn) SetWriteDeadline(time.Time) error { return nil }
func (nopConn) Read([]byte) (int, error)         { return 0, syscall.EAGAIN }
