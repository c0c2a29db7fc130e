//go:build unix

package main

import (
	"bufio"
	"fmt"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// BenchmarkFanOutNodes runs the fan-out workload against one node and
// against two nodes behind Redis with the same clients, half on each, in
// one run: the sender is on the first node, so half the deliveries cross
// Redis. CPU per delivery counts this process (both nodes and every
// client); Redis's own is reported apart, and so are the latencies on
// each node (p50-ms-node0 on the sender's): a delay that both nodes share
// comes before Redis hands the message over.
//
//	go test -run '^$' -bench FanOutNodes -benchtime 300x
func BenchmarkFanOutNodes(b *testing.B) {
	for _, target := range []string{"server", "nodes"} {
		b.Run(fmt.Sprintf("%s/receivers=1000/rate=25", target), func(b *testing.B) {
			runFanOut(b, target, 1000, 25, 1, fanOutLoad{payload: benchPayload})
		})
	}
}

// nodesTarget is two chat nodes behind one Redis, the receivers spread
// over both and the senders on the first.
type nodesTarget struct {
	redis     *resptest.Server
	nodes     [2]*serverTarget
	redisFrom time.Duration // Redis's CPU time when the clock started
	b         *testing.B
}

func newNodesTarget(b *testing.B, receivers, senders int, start func(int, *bufio.Reader)) *nodesTarget {
	t := &nodesTarget{redis: resptest.Start(b), b: b}
	cfg := benchConfig()
	cfg.Redis = t.redis.URL("", "")
	t.nodes[0] = startServerTarget(b, cfg, 0, receivers/2, senders, false, start)
	t.nodes[1] = startServerTarget(b, cfg, receivers/2, receivers, 0, false, start)
	return t
}

func (t *nodesTarget) ready(b *testing.B) {
	for _, n := range t.nodes {
		n.ready(b)
	}
	// The nodes hear of each other's joins through Redis, in the room's
	// one order: once a message posted after them has reached a client
	// on each node, every join has. The two clients stay, reading what
	// follows as fast as it comes; receivers skip their lines.
	var warm []*wsClient
	for i, n := range t.nodes {
		warm = append(warm, dialBench(b, n.addr, fmt.Sprintf("warmup%d", i), false))
	}
	warm[0].sendText("-")
	for _, c := range warm {
		c.nc.SetReadDeadline(time.Now().Add(time.Minute))
		for {
			h, p, err := c.receive()
			if err != nil {
				b.Fatalf("the nodes did not hear of each other's joins within a minute: %v", err)
			}
			if h.opcode == opText && string(p) == "warmup0: -" {
				break
			}
		}
		go drainFrames(c)
	}
	t.redisFrom = t.redisCPU()
}

func (t *nodesTarget) send(b *testing.B, sender, n, rate, size int) {
	t.nodes[0].send(b, sender, n, rate, size)
}

func (t *nodesTarget) close() {
	if used := t.redisCPU() - t.redisFrom; used >= 0 {
		t.b.ReportMetric(float64(used.Microseconds())/float64(t.b.N*1000), "redis-µs/delivery")
	}
	for _, n := range t.nodes {
		n.close()
	}
}

// redisCPU is the CPU time the Redis server has used; see procCPU.
func (t *nodesTarget) redisCPU() time.Duration { return procCPU(t.redis.Pid()) }
