package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wschat/internal/resp"
)

// redisProxy is a TCP proxy on loopback in front of a redis-server, for
// the connections of one node. It reads the commands each connection
// sends, tells the test of those it watches, and can hold back the ones
// it picks for a while: Redis answers a connection's commands in order,
// so whatever that connection sends after a held command waits with it,
// as it would behind a slow reply.
type redisProxy struct {
	ln      net.Listener
	target  string
	maxHold time.Duration // how long a command is held at most

	mu    sync.Mutex
	hold  func(args []string) bool // the commands to hold; nil holds none
	gate  chan struct{}            // closed when held commands may go
	watch func(args []string) bool // the commands to report on seen
	seen  chan []string

	held    chan string  // each held command's name, as it is held
	holding atomic.Int32 // commands held now
}

// startRedisProxy listens on loopback in front of the redis-server at
// target until the test ends.
func startRedisProxy(t testing.TB, target string, maxHold time.Duration) *redisProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &redisProxy{ln: ln, target: target, maxHold: maxHold, held: make(chan string, 64)}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(nc)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.release()
	})
	return p
}

// URL is the redis:// URL of the proxy.
func (p *redisProxy) URL() string { return "redis://" + p.ln.Addr().String() }

// holdWhere starts holding every command for which pick is true.
func (p *redisProxy) holdWhere(pick func(args []string) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold, p.gate = pick, make(chan struct{})
}

// watchWhere reports on the channel it returns every command for which
// pick is true, from then on; one the test is too slow to take is not
// reported.
func (p *redisProxy) watchWhere(pick func(args []string) bool) <-chan []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.watch, p.seen = pick, make(chan []string, 64)
	return p.seen
}

// release lets every held command go on, and stops holding.
func (p *redisProxy) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gate != nil {
		close(p.gate)
	}
	p.hold, p.gate = nil, nil
}

// gateFor reports the command if it is watched, and returns what it
// waits on, or nil if it is not held.
func (p *redisProxy) gateFor(args []string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.watch != nil && p.watch(args) {
		select {
		case p.seen <- args:
		default:
		}
	}
	if p.hold != nil && p.hold(args) {
		return p.gate
	}
	return nil
}

// serve passes one connection's commands to Redis, holding those it
// must, and Redis's replies back unchanged.
func (p *redisProxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	go func() {
		io.Copy(client, server)
		client.Close()
	}()
	br := bufio.NewReader(client)
	for {
		args, err := readCommand(br)
		if err != nil {
			return
		}
		if gate := p.gateFor(args); gate != nil {
			p.holding.Add(1)
			select {
			case p.held <- args[0]:
			default: // nobody is counting any more
			}
			t := time.NewTimer(p.maxHold)
			select {
			case <-gate:
			case <-t.C:
			}
			t.Stop()
			p.holding.Add(-1)
		}
		if _, err := server.Write(resp.AppendCommand(nil, args...)); err != nil {
			return
		}
	}
}

// readCommand reads one command as clients send it: an array of bulk
// strings (RESP, "Sending commands to a Redis server").
func readCommand(br *bufio.Reader) ([]string, error) {
	n, err := readLength(br, '*')
	if err != nil {
		return nil, err
	}
	args := make([]string, n)
	for i := range args {
		size, err := readLength(br, '$')
		if err != nil {
			return nil, err
		}
		b := make([]byte, size+2)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		args[i] = string(b[:size])
	}
	return args, nil
}

// readLength reads a line "<kind><decimal>\r\n".
func readLength(br *bufio.Reader, kind byte) (int, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 4 || line[0] != kind || !strings.HasSuffix(line, "\r\n") {
		return 0, fmt.Errorf("redis proxy: got %q, want %c and a length", line, kind)
	}
	n, err := strconv.Atoi(line[1 : len(line)-2])
	if err != nil || n < 0 || n > 1<<27 {
		return 0, errors.New("redis proxy: bad length in " + line)
	}
	return n, nil
}

// isHistoryRead reports whether a command reads a room's kept messages:
// a range of its stream, or the script that locates an id in it.
func isHistoryRead(args []string) bool {
	switch strings.ToUpper(args[0]) {
	case "XRANGE", "XREVRANGE":
		return true
	case "EVAL":
		return len(args) > 1 && strings.Contains(args[1], "XINFO")
	}
	return false
}
