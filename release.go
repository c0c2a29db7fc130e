package main

import (
	"runtime"
	"runtime/debug"
	runtimemetrics "runtime/metrics"
	"sync"
	"time"
)

// A burst of activity (a crowd joining, a message to thousands) leaves
// the heap larger than what stays live: the collector lets the heap grow
// to twice the live memory before it collects (GOGC=100), and gives back
// to the system only what lies beyond that, so the room of the burst
// stays resident after the connections have parked. When the server
// turns quiet after connections have parked, that room is given back at
// once: parked connections are then all the server holds.

// releaseAfter is how long no connection must have parked before the
// server counts as quiet: a burst parks connections as it ends, for
// parkAfter after each one's last message.
const releaseAfter = 5 * time.Second

// minRelease is the least free heap worth giving back: a release costs a
// full collection.
const minRelease = 4 << 20

// memoryRelease gives the heap's free memory back to the system once the
// server has parked connections and none has parked for releaseAfter,
// when there is enough to give. One timer serves the whole server. A nil
// *memoryRelease releases nothing.
type memoryRelease struct {
	metrics *metrics      // counts the releases
	after   time.Duration // quiet that makes a release
	least   uint64        // spare heap that makes a release, at the least

	spare    func() (live, spare uint64) // heapSpare
	giveBack func()                      // giveBack

	mu      sync.Mutex
	parks   uint64      // connections parked so far
	seen    uint64      // parks when the timer last looked
	timer   *time.Timer // runs check; nil until the first park
	armed   bool        // the timer is set
	stopped bool        // the server has shut down
}

// newMemoryRelease returns the memoryRelease of a server, counting in m.
func newMemoryRelease(m *metrics) *memoryRelease {
	return &memoryRelease{metrics: m, after: releaseAfter, least: minRelease, spare: heapSpare, giveBack: giveBack}
}

// giveBack collects garbage twice, which empties the pools of what only
// talking connections use (read states, compressors and decompressors:
// a collection moves what a sync.Pool holds aside, and the next drops
// it), and gives the free heap back to the system.
func giveBack() {
	runtime.GC()
	debug.FreeOSMemory()
}

// parked notes that a connection parked, and sets the timer if it is not.
func (r *memoryRelease) parked() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.parks++
	if r.armed || r.stopped {
		return
	}
	r.armed, r.seen = true, r.parks
	if r.timer == nil {
		r.timer = time.AfterFunc(r.after, r.check)
	} else {
		r.timer.Reset(r.after)
	}
}

// check releases memory if no connection has parked since the timer was
// set, and sets it again otherwise.
func (r *memoryRelease) check() {
	r.mu.Lock()
	if r.stopped || !r.armed {
		r.mu.Unlock()
		return
	}
	if r.parks != r.seen {
		r.seen = r.parks
		r.timer.Reset(r.after)
		r.mu.Unlock()
		return
	}
	r.armed = false
	r.mu.Unlock()
	if live, spare := r.spare(); spare >= max(r.least, live/4) {
		r.giveBack()
		r.metrics.memoryReleased()
	}
}

// stop stops the timer for good.
func (r *memoryRelease) stop() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped, r.armed = true, false
	if r.timer != nil {
		r.timer.Stop()
	}
}

// heapSpare returns the heap live after the last collection, and what
// the heap holds beyond it, which a collection and a release would give
// back: garbage, and free room not yet returned to the system.
func heapSpare() (live, spare uint64) {
	s := []runtimemetrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	runtimemetrics.Read(s)
	live = s[0].Value.Uint64()
	held := s[1].Value.Uint64() + s[2].Value.Uint64() + s[3].Value.Uint64()
	return live, held - min(held, live)
}
