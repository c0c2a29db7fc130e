package resp

import (
	"bufio"
	"net"
	"sync"
	"testing"
)

// fakeServer is a loopback server that speaks just enough RESP for
// benchmarks and failure tests: each command gets the reply that answer
// returns for it, and replies are flushed when no command is waiting.
type fakeServer struct {
	l     net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func startFake(tb testing.TB, answer func(cmd []Value) string) *fakeServer {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &fakeServer{l: l}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, nc)
			s.mu.Unlock()
			s.wg.Add(1)
			go s.serve(nc, answer)
		}
	}()
	tb.Cleanup(s.close)
	return s
}

func (s *fakeServer) url() string { return "redis://" + s.l.Addr().String() }

func (s *fakeServer) serve(nc net.Conn, answer func([]Value) string) {
	defer s.wg.Done()
	defer nc.Close()
	r := NewReader(nc, Limits{})
	w := bufio.NewWriter(nc)
	for {
		v, err := r.ReadValue()
		if err != nil {
			return
		}
		w.WriteString(answer(v.Elems()))
		if r.br.Buffered() == 0 && w.Flush() != nil {
			return
		}
	}
}

// close stops accepting, drops every connection and waits for the
// server's goroutines.
func (s *fakeServer) close() {
	s.l.Close()
	s.mu.Lock()
	for _, nc := range s.conns {
		nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// okServer answers HELLO with a RESP3 map and everything else with +OK.
func okServer(cmd []Value) string {
	if len(cmd) > 0 && cmd[0].Str() == "HELLO" {
		return "%1\r\n+proto\r\n:3\r\n"
	}
	return "+OK\r\n"
}
