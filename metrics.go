package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	runtimemetrics "runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"wschat/internal/chat"
	"wschat/internal/files"
	exposition "wschat/internal/metrics"
	"wschat/internal/store"
)

// metrics counts what one Server does, for GET /metrics. Every field is an
// atomic counter, so the connections update them without a lock; each
// Server has its own. A nil *metrics counts nothing, for connections made
// outside a Server.
type metrics struct {
	connections     atomic.Int64  // open WebSocket connections
	compressedConns atomic.Uint64 // connections that negotiated permessage-deflate

	bytesIn, bytesOut atomic.Uint64 // WebSocket frame bytes, headers included

	drops          [numDropReasons]atomic.Uint64
	protocolErrors [16]atomic.Uint64 // by close code - 1000
	refused        [numRefusals]atomic.Uint64
	refusedChat    [len(chatRefusals)]atomic.Uint64 // by chat.Code, as chatRefusals lists them
	waitingCut     atomic.Uint64                    // connections closed before a whole request header, over -max-handshakes
	memoryReleases atomic.Uint64                    // free heap given back to the system once quiet (memoryRelease)

	chat    *chat.Stats        // the chat's own counts; nil before it opens
	history func() store.Stats // the room log's own counts; nil for none
	mail    func() store.Stats // the mail log's own counts; nil for none
	files   func() files.Stats // the shared files' counts; nil before they open
	redisUp func() bool        // whether Redis answers; nil without -redis
}

// chatRefusals are the codes a chat connection may be refused with,
// listed in /metrics even while zero.
var chatRefusals = [...]chat.Code{chat.CodeBadName, chat.CodeNameTaken, chat.CodeBadRequest, chat.CodeAuthRequired,
	chat.CodeTokenExpired, chat.CodeRoomLimit, chat.CodeUnavailable}

// watch counts what the engine e tells of itself: a room log's figures,
// or whether Redis answers.
func (m *metrics) watch(e chatEngine) {
	if h, ok := e.(interface{ Stats() store.Stats }); ok {
		m.history = h.Stats
	}
	if h, ok := e.(interface{ MailStats() store.Stats }); ok {
		m.mail = h.MailStats
	}
	if r, ok := e.(interface{ Up() bool }); ok {
		m.redisUp = r.Up
	}
}

// refuseChat counts a chat connection refused with code.
func (m *metrics) refuseChat(code chat.Code) {
	if i := slices.Index(chatRefusals[:], code); i >= 0 {
		m.refusedChat[i].Add(1)
	}
}

// dropReason is why the server ended a connection because of its peer.
type dropReason int

const (
	dropTooSlow      dropReason = iota // its outbox overflowed (close 1008)
	dropWriteTimeout                   // a write to it timed out
	dropPingTimeout                    // it answered no ping for two intervals
	numDropReasons
)

func (r dropReason) String() string {
	return [...]string{"too_slow", "write_timeout", "ping_timeout"}[r]
}

// protocolErrorCodes are the close codes a connection fails with when its
// peer breaks the protocol: listed in /metrics even while zero.
var protocolErrorCodes = [...]closeCode{closeProtocolError, closeUnsupportedData, closeInvalidPayload, closeMessageTooBig}

// refusal is why a WebSocket connection was refused before the upgrade,
// with an HTTP status. The chat's refusals, right after the upgrade with
// close 1008, are counted by their code (chatRefusals).
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
	numRefusals
)

func (r refusal) String() string {
	return [...]string{"bad_request", "not_websocket", "version", "origin", "method",
		"max_conns", "max_conns_per_ip", "shutting_down"}[r]
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
func (m *metrics) cutWaiting() {
	if m != nil {
		m.waitingCut.Add(1)
	}
}

// memoryReleased counts the free heap given back once quiet.
func (m *metrics) memoryReleased() {
	if m != nil {
		m.memoryReleases.Add(1)
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

// handler serves the counters in the Prometheus text exposition format,
// version 0.0.4.
func (m *metrics) handler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var p exposition.Page
		m.write(&p)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Write(p.Bytes())
	}
}

// write appends the exposition of every metric to p.
func (m *metrics) write(p *exposition.Page) {
	p.Gauge("wschat_connections", "Open WebSocket connections, on every endpoint.", m.connections.Load())
	p.Counter("wschat_compressed_connections_total", "WebSocket connections that negotiated permessage-deflate (RFC 7692).", m.compressedConns.Load())
	if st := m.chat; st != nil {
		p.Counter("wschat_joins_total", "Participants who joined the chat.", st.Joins.Load())
		p.Counter("wschat_leaves_total", "Participants who left the chat, for any reason.", st.Leaves.Load())
		p.Counter("wschat_messages_received_total", "Chat messages read from participants, blank and rate-limited ones included.", st.Received.Load())
		p.Counter("wschat_messages_delivered_total", "Chat messages queued to peers by broadcasts: one per peer per message.", st.Delivered.Load())
		p.Counter("wschat_messages_limited_total", "Chat messages not broadcast because their sender was over its rate.", st.Limited.Load())
		p.Counter("wschat_rate_reported_total", "Chat messages within their sender's rate told to the engine, which adds up every node's.", st.RateReported.Load())
		p.Counter("wschat_private_messages_total", "Private messages delivered with /msg.", st.Private.Load())
		p.Counter("wschat_messages_not_stored_total", "Chat messages refused to their sender because they could not be kept.", st.NotStored.Load())
		p.Counter("wschat_messages_over_bounds_total", "Chat messages and private messages refused because they would pass a share or a total of history or mail.", st.OverBounds.Load())
		p.Histogram("wschat_broadcast_seconds", "Time to queue one chat message to every peer.", &st.Broadcast)
	}
	p.Counter("wschat_received_bytes_total", "WebSocket frame bytes read from clients, headers included.", m.bytesIn.Load())
	p.Counter("wschat_sent_bytes_total", "WebSocket frame bytes written to clients, headers included.", m.bytesOut.Load())

	p.Family("wschat_drops_total", "counter", "Connections the server ended because of their peer, by reason; protocol errors by the close code sent.")
	for r := range numDropReasons {
		p.Sample("wschat_drops_total", fmt.Sprintf(`reason=%q`, r), count(&m.drops[r]))
	}
	if st := m.chat; st != nil {
		p.Sample("wschat_drops_total", `reason="rate_limit"`, count(&st.RateDrops))
	}
	for i := range m.protocolErrors {
		code := closeCode(1000 + i)
		if n := m.protocolErrors[i].Load(); n > 0 || slices.Contains(protocolErrorCodes[:], code) {
			p.Sample("wschat_drops_total", fmt.Sprintf(`reason="protocol_error",code="%d"`, code), strconv.FormatUint(n, 10))
		}
	}

	p.Family("wschat_refused_total", "counter", "WebSocket connections refused, by reason: before the upgrade with an HTTP status, or by the chat with close 1008 and a code.")
	for r := range numRefusals {
		p.Sample("wschat_refused_total", fmt.Sprintf(`reason=%q`, r), count(&m.refused[r]))
	}
	for i, code := range chatRefusals {
		p.Sample("wschat_refused_total", fmt.Sprintf(`reason=%q`, code), count(&m.refusedChat[i]))
	}
	p.Counter("wschat_memory_releases_total", "Times the server, quiet after connections parked, gave the heap's free memory back to the system.", m.memoryReleases.Load())
	p.Counter("wschat_unfinished_requests_closed_total", "Connections closed while waiting for their request header, the longest waiting first, to stay within -max-handshakes and -max-handshakes-per-ip.", m.waitingCut.Load())
	if m.history != nil {
		writeHistory(p, m.history())
	}
	if m.mail != nil {
		st := m.mail()
		p.Gauge("wschat_mail_messages", "Letters kept, every mailbox together.", int64(st.Records))
		p.Gauge("wschat_mail_charged_bytes", "What the letters kept are charged against -mail-bytes.", st.Charged)
	}
	if m.files != nil {
		st := m.files()
		p.Gauge("wschat_files_bytes", "Bytes of shared files kept, within -files-budget.", st.Bytes)
		p.Gauge("wschat_files_pending_bytes", "Bytes of uploads in progress.", st.Pending)
		p.Counter("wschat_files_evictions_total", "Shared files removed to make room.", uint64(st.Evictions))
	}
	if m.redisUp != nil {
		up := int64(0)
		if m.redisUp() {
			up = 1
		}
		p.Gauge("wschat_redis_up", "1 while Redis, which the nodes of the chat share, answers; 0 while this node refuses joins and messages without it.", up)
	}
	writeRuntime(p)
}

// writeHistory appends the room log's figures.
func writeHistory(p *exposition.Page, st store.Stats) {
	for _, c := range []struct {
		name, typ, help string
		value           uint64
	}{
		{"wschat_history_appends_total", "counter", "Messages kept in the room log.", st.Appends},
		{"wschat_history_syncs_total", "counter", "fsyncs of the room log's files: one serves every message written with it.", st.Syncs},
		{"wschat_history_failures_total", "counter", "Messages the room log could not keep (a full or failing disk, say).", st.Failures},
		{"wschat_history_read_errors_total", "counter", "Kept messages the room log could not read back.", st.ReadErrors},
		{"wschat_history_messages", "gauge", "Messages kept, every room together.", uint64(st.Records)},
		{"wschat_history_rooms", "gauge", "Rooms with history.", uint64(st.Rooms)},
		{"wschat_history_disk_bytes", "gauge", "Bytes of the room log on disk.", uint64(st.DiskBytes)},
		{"wschat_history_charged_bytes", "gauge", "What the messages kept are charged against -history-bytes.", uint64(st.Charged)},
	} {
		p.Family(c.name, c.typ, c.help)
		p.Sample(c.name, "", strconv.FormatUint(c.value, 10))
	}
}

// runtimeMemory names the Go runtime's memory classes: what live objects
// take, what the heap holds but does not use yet, what it has given back
// to the system, goroutine stacks, and the runtime's own outside the heap
// (span and other metadata, the network poller's descriptors and
// finalizers, counted in "other"), which together tell where a
// connection's resident memory goes.
var runtimeMemory = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/metadata/mcache/free:bytes",
	"/memory/classes/metadata/mcache/inuse:bytes",
	"/memory/classes/metadata/mspan/free:bytes",
	"/memory/classes/metadata/mspan/inuse:bytes",
	"/memory/classes/metadata/other:bytes",
	"/memory/classes/os-stacks:bytes",
	"/memory/classes/other:bytes",
	"/memory/classes/profiling/buckets:bytes",
}

// writeRuntime appends the process's goroutine count and memory classes.
func writeRuntime(p *exposition.Page) {
	samples := make([]runtimemetrics.Sample, len(runtimeMemory)+1)
	for i, name := range runtimeMemory {
		samples[i].Name = name
	}
	samples[len(runtimeMemory)].Name = "/sched/goroutines:goroutines"
	runtimemetrics.Read(samples)
	p.Gauge("go_goroutines", "Goroutines that currently exist.", int64(samples[len(runtimeMemory)].Value.Uint64()))
	p.Family("go_memory_bytes", "gauge", "Memory the Go runtime has mapped, by class (see runtime/metrics).")
	for _, s := range samples[:len(runtimeMemory)] {
		class := strings.TrimSuffix(strings.TrimPrefix(s.Name, "/memory/classes/"), ":bytes")
		p.Sample("go_memory_bytes", fmt.Sprintf(`class=%q`, class), strconv.FormatUint(s.Value.Uint64(), 10))
	}
}

func count(v *atomic.Uint64) string { return strconv.FormatUint(v.Load(), 10) }
