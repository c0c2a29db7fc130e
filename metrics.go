package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	runtimemetrics "runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"wschat/internal/store"
)

// metrics counts what one Server does, for GET /metrics. Every field is an
// atomic counter, so the connections update them without a lock; each
// Server has its own. A nil *metrics counts nothing, for connections made
// outside a Server.
type metrics struct {
	connections     atomic.Int64  // open WebSocket connections
	compressedConns atomic.Uint64 // connections that negotiated permessage-deflate

	joins, leaves atomic.Uint64

	received  atomic.Uint64 // chat messages read from participants
	delivered atomic.Uint64 // chat messages queued to peers, one per peer
	limited   atomic.Uint64 // chat messages refused by the rate limit
	private   atomic.Uint64 // private messages delivered
	notStored atomic.Uint64 // chat messages not sent because the room log could not keep them

	bytesIn, bytesOut atomic.Uint64 // WebSocket frame bytes, headers included

	drops          [numDropReasons]atomic.Uint64
	protocolErrors [16]atomic.Uint64 // by close code - 1000
	refused        [numRefusals]atomic.Uint64
	waitingCut     atomic.Uint64 // connections closed before a whole request header, over -max-handshakes
	memoryReleases atomic.Uint64 // free heap given back to the system once quiet (memoryRelease)

	broadcast histogram // time to queue one chat message to every peer

	history func() store.Stats // the room log's own counts; nil for none
	redisUp func() bool        // whether Redis answers; nil without -redis
}

// dropReason is why the server ended a connection because of its peer.
type dropReason int

const (
	dropTooSlow      dropReason = iota // its outbox overflowed (close 1008)
	dropWriteTimeout                   // a write to it timed out
	dropPingTimeout                    // it answered no ping for two intervals
	dropRateLimit                      // it kept sending over its rate (close 1008)
	numDropReasons
)

func (r dropReason) String() string {
	return [...]string{"too_slow", "write_timeout", "ping_timeout", "rate_limit"}[r]
}

// protocolErrorCodes are the close codes a connection fails with when its
// peer breaks the protocol: listed in /metrics even while zero.
var protocolErrorCodes = [...]closeCode{closeProtocolError, closeUnsupportedData, closeInvalidPayload, closeMessageTooBig}

// refusal is why a WebSocket connection was refused: before the upgrade,
// with an HTTP status, or right after it, with close 1008 (refusedName).
type refusal int

const (
	refusedBadRequest    refusal = iota // malformed handshake, or a bad query
	refusedNotWebSocket                 // a plain GET to a WebSocket endpoint
	refusedVersion                      // a Sec-WebSocket-Version other than 13
	refusedOrigin                       // an Origin not on the allow list
	refusedMethod                       // not GET
	refusedMaxConns                     // -max-conns reached
	refusedMaxConnsPerIP                // -max-conns-per-ip reached
	refusedShuttingDown                 // shutdown has begun
	refusedName                         // a bad or taken chat name
	refusedRooms                        // a new room past -max-rooms
	refusedAuth                         // a missing, bad or expired token
	refusedRedis                        // -redis set and Redis unreachable
	numRefusals
)

func (r refusal) String() string {
	return [...]string{"bad_request", "not_websocket", "version", "origin", "method",
		"max_conns", "max_conns_per_ip", "shutting_down", "name", "max_rooms", "auth", "redis_unreachable"}[r]
}

// addBytesIn counts n bytes read from a peer.
func (m *metrics) addBytesIn(n int64) {
	if m != nil {
		m.bytesIn.Add(uint64(n))
	}
}

// addBytesOut counts n bytes written to a peer.
func (m *metrics) addBytesOut(n int64) {
	if m != nil {
		m.bytesOut.Add(uint64(n))
	}
}

// drop counts a connection ended for reason.
func (m *metrics) drop(reason dropReason) {
	if m != nil {
		m.drops[reason].Add(1)
	}
}

// writeFailed counts a failed write as a drop when it timed out; other
// write errors mean the peer went away on its own.
func (m *metrics) writeFailed(err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		m.drop(dropWriteTimeout)
	}
}

// cutWaiting counts a connection closed before it sent a whole request
// header, to keep the waiting ones within their limits.
func (m *metrics) memoryReleased() {
	if m != nil {
		m.memoryReleases.Add(1)
	}
}

func (m *metrics) cutWaiting() {
	if m != nil {
		m.waitingCut.Add(1)
	}
}

// protocolError counts a connection failed with code.
func (m *metrics) protocolError(code closeCode) {
	if m != nil && code >= 1000 && int(code-1000) < len(m.protocolErrors) {
		m.protocolErrors[code-1000].Add(1)
	}
}

// refuse counts a refused connection.
func (m *metrics) refuse(r refusal) {
	if m != nil {
		m.refused[r].Add(1)
	}
}

// fannedOut records one chat message broadcast to peers, which took d.
func (m *metrics) fannedOut(peers int, d time.Duration) {
	if m != nil {
		m.delivered.Add(uint64(peers))
		m.broadcast.observe(d)
	}
}

// broadcastBuckets are the upper bounds of the broadcast histogram.
var broadcastBuckets = [...]time.Duration{
	10 * time.Microsecond, 25 * time.Microsecond, 50 * time.Microsecond,
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second,
}

// histogram counts durations into broadcastBuckets. Each count is of its
// own bucket only; the exposition makes them cumulative.
type histogram struct {
	counts [len(broadcastBuckets) + 1]atomic.Uint64 // the last is +Inf
	sum    atomic.Int64                             // nanoseconds
}

func (h *histogram) observe(d time.Duration) {
	i := 0
	for i < len(broadcastBuckets) && d > broadcastBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}

// handler serves the counters in the Prometheus text exposition format,
// version 0.0.4.
func (m *metrics) handler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		m.write(&b)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Write(b.Bytes())
	}
}

// write appends the exposition of every metric to b.
func (m *metrics) write(b *bytes.Buffer) {
	family(b, "wschat_connections", "gauge", "Open WebSocket connections, on every endpoint.")
	sample(b, "wschat_connections", "", strconv.FormatInt(m.connections.Load(), 10))
	counter(b, "wschat_compressed_connections_total", "WebSocket connections that negotiated permessage-deflate (RFC 7692).", &m.compressedConns)
	counter(b, "wschat_joins_total", "Participants who joined the chat.", &m.joins)
	counter(b, "wschat_leaves_total", "Participants who left the chat, for any reason.", &m.leaves)
	counter(b, "wschat_messages_received_total", "Chat messages read from participants, blank and rate-limited ones included.", &m.received)
	counter(b, "wschat_messages_delivered_total", "Chat messages queued to peers by broadcasts: one per peer per message.", &m.delivered)
	counter(b, "wschat_messages_limited_total", "Chat messages not broadcast because their sender was over its rate.", &m.limited)
	counter(b, "wschat_private_messages_total", "Private messages delivered with /msg.", &m.private)
	counter(b, "wschat_messages_not_stored_total", "Chat messages refused to their sender because the room log could not keep them.", &m.notStored)
	counter(b, "wschat_received_bytes_total", "WebSocket frame bytes read from clients, headers included.", &m.bytesIn)
	counter(b, "wschat_sent_bytes_total", "WebSocket frame bytes written to clients, headers included.", &m.bytesOut)

	family(b, "wschat_drops_total", "counter", "Connections the server ended because of their peer, by reason; protocol errors by the close code sent.")
	for r := range numDropReasons {
		sample(b, "wschat_drops_total", fmt.Sprintf(`reason=%q`, r), count(&m.drops[r]))
	}
	for i := range m.protocolErrors {
		code := closeCode(1000 + i)
		if n := m.protocolErrors[i].Load(); n > 0 || slices.Contains(protocolErrorCodes[:], code) {
			sample(b, "wschat_drops_total", fmt.Sprintf(`reason="protocol_error",code="%d"`, code), strconv.FormatUint(n, 10))
		}
	}

	family(b, "wschat_refused_total", "counter", "WebSocket connections refused, by reason: before the upgrade with an HTTP status, or for a bad or taken name with close 1008.")
	for r := range numRefusals {
		sample(b, "wschat_refused_total", fmt.Sprintf(`reason=%q`, r), count(&m.refused[r]))
	}

	counter(b, "wschat_memory_releases_total", "Times the server, quiet after connections parked, gave the heap's free memory back to the system.", &m.memoryReleases)
	counter(b, "wschat_unfinished_requests_closed_total", "Connections closed while waiting for their request header, the longest waiting first, to stay within -max-handshakes and -max-handshakes-per-ip.", &m.waitingCut)

	const bname = "wschat_broadcast_seconds"
	family(b, bname, "histogram", "Time to queue one chat message to every peer.")
	var cumulative uint64
	for i := range m.broadcast.counts {
		cumulative += m.broadcast.counts[i].Load()
		le := "+Inf"
		if i < len(broadcastBuckets) {
			le = seconds(broadcastBuckets[i])
		}
		sample(b, bname+"_bucket", fmt.Sprintf(`le=%q`, le), strconv.FormatUint(cumulative, 10))
	}
	sample(b, bname+"_sum", "", seconds(time.Duration(m.broadcast.sum.Load())))
	sample(b, bname+"_count", "", strconv.FormatUint(cumulative, 10))
	if m.history != nil {
		writeHistory(b, m.history())
	}
	if m.redisUp != nil {
		up := "0"
		if m.redisUp() {
			up = "1"
		}
		family(b, "wschat_redis_up", "gauge", "1 while Redis, which the nodes of the chat share, answers; 0 while this node refuses joins and messages without it.")
		sample(b, "wschat_redis_up", "", up)
	}
	writeRuntime(b)
}

// runtimeMemory names the Go runtime's memory classes worth watching: what
// live objects take, what the heap holds but does not use yet, what it
// has given back to the system, and goroutine stacks.
var runtimeMemory = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/memory/classes/total:bytes",
}

// writeRuntime appends the process's goroutine count and memory classes.
func writeRuntime(b *bytes.Buffer) {
	samples := make([]runtimemetrics.Sample, len(runtimeMemory)+1)
	for i, name := range runtimeMemory {
		samples[i].Name = name
	}
	samples[len(runtimeMemory)].Name = "/sched/goroutines:goroutines"
	runtimemetrics.Read(samples)
	family(b, "go_goroutines", "gauge", "Goroutines that currently exist.")
	sample(b, "go_goroutines", "", strconv.FormatUint(samples[len(runtimeMemory)].Value.Uint64(), 10))
	family(b, "go_memory_bytes", "gauge", "Memory the Go runtime has mapped, by class (see runtime/metrics).")
	for _, s := range samples[:len(runtimeMemory)] {
		class := strings.TrimSuffix(strings.TrimPrefix(s.Name, "/memory/classes/"), ":bytes")
		sample(b, "go_memory_bytes", fmt.Sprintf(`class=%q`, class), strconv.FormatUint(s.Value.Uint64(), 10))
	}
}

// family writes the HELP and TYPE lines of a metric.
func family(b *bytes.Buffer, name, typ, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// counter writes a whole counter without labels.
func counter(b *bytes.Buffer, name, help string, v *atomic.Uint64) {
	family(b, name, "counter", help)
	sample(b, name, "", count(v))
}

// sample writes one line: name{labels} value.
func sample(b *bytes.Buffer, name, labels, value string) {
	b.WriteString(name)
	if labels != "" {
		b.WriteString("{" + labels + "}")
	}
	b.WriteString(" " + value + "\n")
}

func count(v *atomic.Uint64) string { return strconv.FormatUint(v.Load(), 10) }

// seconds formats d as a number of seconds, as Prometheus expects.
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'g', -1, 64) }
