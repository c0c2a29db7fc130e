//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"wschat/internal/resp/resptest"
)

// BenchmarkBigRoom is one room of many people across nodes behind one
// Redis, each node and Redis a process of its own, the receivers in
// child processes (see nodes_big_clients_test.go). One sender on the
// first node sends 128-byte messages at 1 msg/s for 20 s, then at 10
// msg/s for 10 s; every receiver must get every message. It reports the
// latency, each node's CPU per delivery and Redis's, from /proc, and
// each node's resident memory per connection. It runs only with
// WSCHAT_BIG=1; WSCHAT_BIG_CONNS sets the receivers (100,000),
// WSCHAT_BIG_NODES the nodes (one for every 17,000 receivers) and
// WSCHAT_BIG_DIAL_RATE how many connections open a second (300).
//
//	WSCHAT_BIG=1 go test -run '^$' -bench BigRoom -benchtime 1x -timeout 2h
func BenchmarkBigRoom(b *testing.B) {
	if os.Getenv("WSCHAT_BIG") != "1" {
		skip(b, "set WSCHAT_BIG=1 to run the big room: it takes minutes and gigabytes")
	}
	conns := envInt(b, "WSCHAT_BIG_CONNS", 100000)
	r := &bigRoom{
		conns:    conns,
		dialRate: float64(envInt(b, "WSCHAT_BIG_DIAL_RATE", 300)),
		phases:   []bigPhase{{1, 1}, {1, 20}, {10, 10}},
	}
	r.startNodes(b, envInt(b, "WSCHAT_BIG_NODES", (conns+16999)/17000))
	r.startChildren(b)
	r.run(b)
}

// bigPhase is rate messages a second for seconds. The first phase is one
// message, which reaches each receiver after every join notice before
// it: its latency is the crowd's arrival, and is not reported.
type bigPhase struct{ rate, seconds int }

func (p bigPhase) messages() int { return p.rate * p.seconds }

// bigConnsPerChild is the most connections one child opens: under the
// open-file limit of 20,000, and the 28,000 ephemeral ports of its
// address.
const bigConnsPerChild = 16000

// bigRoom is the processes of BenchmarkBigRoom.
type bigRoom struct {
	conns    int
	dialRate float64
	phases   []bigPhase
	redis    *resptest.Server
	nodes    []*bigNode
	children []*bigChild
	sender   *serverTarget
}

// bigNode is one wschat process.
type bigNode struct {
	cmd      *exec.Cmd
	addr     string
	metrics  string
	logs     *syncBuffer
	members  int   // receivers on it, and the sender on the first
	rssStart int64 // KiB, before any connection
}

// diagnosis is what the node says of connections it has not kept: its
// counts of refusals and drops, and its first and last warnings.
func (n *bigNode) diagnosis(b *testing.B) string {
	var out []string
	for name, v := range scrape(b, remoteMetrics(b, n.metrics)) {
		if v > 0 && (strings.Contains(name, "refused") || strings.Contains(name, "drops") || name == "wschat_connections") {
			out = append(out, fmt.Sprintf("%s %v", name, v))
		}
	}
	slices.Sort(out)
	var warnings []string
	for line := range strings.Lines(n.logs.String()) {
		if !strings.Contains(line, "level=INFO") {
			warnings = append(warnings, line)
		}
	}
	if len(warnings) > 10 {
		warnings = append(warnings[:5], warnings[len(warnings)-5:]...)
	}
	out = append(out, warnings...)
	return strings.Join(out, "\n")
}

// bigChild is one child process of receivers, its commands and replies.
type bigChild struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	replies chan []byte
	stderr  *syncBuffer
}

func (r *bigRoom) startNodes(b *testing.B, n int) {
	bin := buildBinary(b)
	r.redis = resptest.Start(b)
	for i := range n {
		members := r.conns / n
		if i < r.conns%n {
			members++
		}
		cmd, addr, logs := startBinary(b, bin, "-redis", r.redis.URL("", ""),
			"-max-conns", strconv.Itoa(members+100), "-ping-interval", "1h")
		r.nodes = append(r.nodes, &bigNode{cmd: cmd, addr: addr, metrics: metricsAddr(b, logs), logs: logs,
			members: members, rssStart: rssKiB(b, cmd.Process.Pid)})
	}
	r.nodes[0].members++
	c := dialBench(b, r.nodes[0].addr, "bench0", false)
	go io.Copy(io.Discard, c.br)
	r.sender = &serverTarget{senders: []*wsClient{c}}
}

func (r *bigRoom) startChildren(b *testing.B) {
	var addrs []string
	for _, n := range r.nodes {
		addrs = append(addrs, n.addr)
	}
	var phases []int
	for _, p := range r.phases {
		phases = append(phases, p.messages())
	}
	count := (r.conns + bigConnsPerChild - 1) / bigConnsPerChild
	per := (r.conns + count - 1) / count
	for i := range count {
		spec, _ := json.Marshal(bigChildSpec{From: i * per, To: min((i+1)*per, r.conns), Nodes: addrs,
			Source: fmt.Sprintf("127.0.1.%d", i+1), Rate: r.dialRate / float64(count), Phases: phases})
		r.children = append(r.children, startBigChild(b, string(spec)))
	}
}

// startBigChild runs the test binary again as a child of receivers.
func startBigChild(b *testing.B, spec string) *bigChild {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), bigChildEnv+"="+spec)
	out, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	c := &bigChild{cmd: cmd, replies: make(chan []byte, 1), stderr: new(syncBuffer)}
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stderr = c.stderr
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		b.Fatal(err)
	}
	err = cmd.Start()
	w.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
	})
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			c.replies <- append([]byte(nil), sc.Bytes()...)
		}
		close(c.replies)
	}()
	return c
}

// reply waits up to within for the child's next reply, and decodes it
// into v.
func (c *bigChild) reply(b *testing.B, within time.Duration, v any) {
	select {
	case line, ok := <-c.replies:
		if !ok {
			b.Fatalf("a child of receivers ended: %v\n%s", c.cmd.Wait(), c.stderr)
		}
		if err := json.Unmarshal(line, v); err != nil {
			b.Fatalf("a child's reply %.200q: %v", line, err)
		}
	case <-time.After(within):
		b.Fatalf("no reply from a child of receivers within %v\n%s", within, c.stderr)
	}
}

func (r *bigRoom) run(b *testing.B) {
	b.Logf("load average at the start: %s", loadAverage())
	began := time.Now()
	ramp := time.Duration(float64(r.conns)/r.dialRate*5)*time.Second + 5*time.Minute
	refused := 0
	for _, c := range r.children {
		var ready bigProgress
		c.reply(b, ramp, &ready)
		refused += ready.Refused
	}
	b.Logf("%d receivers joined in %v (%d joins refused and tried again)", r.conns, time.Since(began).Round(time.Second), refused)
	r.send(b, r.phases[0])
	r.await(b, r.phases[0].messages(), 10*time.Minute)
	var mib []string
	for _, n := range r.nodes {
		mib = append(mib, fmt.Sprintf("%.0f", scrape(b, remoteMetrics(b, n.metrics))["wschat_sent_bytes_total"]/(1<<20)))
	}
	b.Logf("the first message reached every receiver %v after the first connection; MiB sent by each node: %s",
		time.Since(began).Round(time.Second), strings.Join(mib, ", "))
	r.reportMemory(b)
	sent := r.phases[0].messages()
	for _, p := range r.phases[1:] {
		cpu, redis := r.nodeCPU(), procCPU(r.redis.Pid())
		r.send(b, p)
		sent += p.messages()
		r.await(b, sent, 5*time.Minute)
		r.reportCPU(b, p, cpu, redis)
	}
	for i, n := range r.nodes {
		b.Logf("node %d warned: %s", i, warnings(n.logs.String()))
	}
	r.reportLatency(b) // the children leave once they have reported
	b.Logf("load average at the end: %s", loadAverage())
}

// warnings counts a node's warnings and errors by what they say (a lost
// claim is one).
func warnings(logs string) string {
	counts := map[string]int{}
	for line := range strings.Lines(logs) {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			_, msg, _ := strings.Cut(line, " msg=")
			if quoted, err := strconv.QuotedPrefix(msg); err == nil {
				msg = quoted
			} else {
				msg, _, _ = strings.Cut(msg, " ")
			}
			counts[msg]++
		}
	}
	if len(counts) == 0 {
		return "nothing"
	}
	var out []string
	for msg, n := range counts {
		out = append(out, fmt.Sprintf("%d× %s", n, msg))
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

// remoteMetrics is a handler that answers with the /metrics of the
// listener at addr, for scrape.
func remoteMetrics(b *testing.B, addr string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		resp, body := get(b, addr, "/metrics")
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		io.WriteString(w, body)
	})
}

func (r *bigRoom) send(b *testing.B, p bigPhase) {
	r.sender.send(b, 0, p.messages(), p.rate, benchPayload)
}

// await waits until every receiver has n messages, or fails the
// benchmark with how many do not.
func (r *bigRoom) await(b *testing.B, n int, within time.Duration) {
	for _, c := range r.children {
		fmt.Fprintf(c.stdin, "await %d %d\n", n, int(within.Seconds()))
	}
	var short, closed int
	for _, c := range r.children {
		var p bigProgress
		c.reply(b, within+time.Minute, &p)
		short, closed = short+p.Short, closed+p.Closed
	}
	if short > 0 {
		var nodes []string
		for i, n := range r.nodes {
			nodes = append(nodes, fmt.Sprintf("node %d:\n%s", i, n.diagnosis(b)))
		}
		b.Fatalf("%d of %d receivers have fewer than %d messages after %v (%d of them closed by the server)\n%s",
			short, r.conns, n, within, closed, strings.Join(nodes, "\n"))
	}
}

func (r *bigRoom) nodeCPU() []time.Duration {
	var cpu []time.Duration
	for _, n := range r.nodes {
		cpu = append(cpu, procCPU(n.cmd.Process.Pid))
	}
	return cpu
}

// reportCPU reports the CPU per delivery of the nodes and of Redis in
// phase p, from their CPU times before it.
func (r *bigRoom) reportCPU(b *testing.B, p bigPhase, nodesFrom []time.Duration, redisFrom time.Duration) {
	var total time.Duration
	var parts []string
	for i, used := range r.nodeCPU() {
		used -= nodesFrom[i]
		total += used
		perDelivery := float64(used.Nanoseconds()) / 1000 / float64(r.nodes[i].members*p.messages())
		parts = append(parts, fmt.Sprintf("%.2f", perDelivery))
	}
	deliveries := float64((r.conns + 1) * p.messages())
	redis := procCPU(r.redis.Pid()) - redisFrom
	b.Logf("%d msg/s: CPU µs per delivery on each node: %s; Redis: %v in all", p.rate, strings.Join(parts, ", "), redis)
	b.ReportMetric(float64(total.Nanoseconds())/1000/deliveries, fmt.Sprintf("node-µs/delivery@%dmsg/s", p.rate))
	b.ReportMetric(float64(redis.Nanoseconds())/deliveries, fmt.Sprintf("redis-ns/delivery@%dmsg/s", p.rate))
	b.ReportMetric(float64(redis.Microseconds())/float64(p.messages()), fmt.Sprintf("redis-µs/msg@%dmsg/s", p.rate))
}

// reportMemory reports each node's resident memory per connection,
// above what it had before any.
func (r *bigRoom) reportMemory(b *testing.B) {
	var parts []string
	var sum float64
	for _, n := range r.nodes {
		kib := float64(rssKiB(b, n.cmd.Process.Pid)-n.rssStart) / float64(n.members)
		sum += kib
		parts = append(parts, fmt.Sprintf("%.2f", kib))
	}
	b.Logf("resident KiB per connection on each node: %s; Redis %d KiB in all", strings.Join(parts, ", "), rssKiB(b, r.redis.Pid()))
	b.ReportMetric(sum/float64(len(r.nodes)), "KiB-RSS/conn")
}

// reportLatency asks the children for their latencies and reports them
// by phase, and by node in the log.
func (r *bigRoom) reportLatency(b *testing.B) {
	all := make([][]latencyHist, len(r.phases))
	for p := range all {
		all[p] = make([]latencyHist, len(r.nodes))
		for n := range all[p] {
			all[p][n] = latencyHist{}
		}
	}
	for _, c := range r.children {
		io.WriteString(c.stdin, "report\n")
		var rep bigReport
		c.reply(b, time.Minute, &rep)
		for p := range rep.Hist {
			for n, h := range rep.Hist[p] {
				all[p][n].merge(h)
			}
		}
	}
	for p, phase := range r.phases[1:] {
		total, byNode := latencyHist{}, []string{}
		for n, h := range all[p+1] {
			total.merge(h)
			byNode = append(byNode, fmt.Sprintf("node%d %v", n, h))
		}
		if got, want := total.count(), int64(r.conns*phase.messages()); got != want {
			b.Fatalf("%d msg/s: %d latencies reported, want %d", phase.rate, got, want)
		}
		b.Logf("%d msg/s: %v; %s", phase.rate, total, strings.Join(byNode, "; "))
		b.ReportMetric(ms(total.quantile(0.5)), fmt.Sprintf("p50-ms@%dmsg/s", phase.rate))
		b.ReportMetric(ms(total.quantile(0.99)), fmt.Sprintf("p99-ms@%dmsg/s", phase.rate))
	}
}
