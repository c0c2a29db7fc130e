package main

import (
	"sync"
	"time"
)

// frames is one broadcast, encoded once for each wire format; every peer
// that reads that format is queued the very same bytes.
type frames struct {
	text []byte // for clients of the plain text format
	json []byte // for clients that asked for format=json
}

// pick returns the frame for a peer of the given format.
func (f frames) pick(json bool) []byte {
	if json {
		return f.json
	}
	return f.text
}

// peer is one chat participant as the hub sees it.
type peer struct {
	conn  *Conn
	name  string
	key   string // name folded for case-insensitive uniqueness
	json  bool   // reads format=json
	index int    // position in hub.peers

	noticeFrom int // where p's share of hub.notices starts

	lim *limiter // p's message rate, nil when there is no limit
}

// hub is the set of chat participants. A single mutex orders every
// broadcast, so all peers see the same sequence; a broadcast only queues
// frames, so it never waits on a peer's socket.
type hub struct {
	mu    sync.Mutex
	peers []*peer          // in join order, but for swaps on leave
	names map[string]*peer // by folded name

	metrics *metrics // counts broadcasts; nil counts nothing

	// notices holds the join and leave notices of the last moment, not
	// yet queued to anyone: the frames one after another, in each format.
	// A peer's share is what came after it joined, from its noticeFrom.
	notices  frames
	flushDue bool // a flush of notices is scheduled
}

// noticeDelay is how long join and leave notices may wait to go out
// together. When a crowd arrives, every arrival is news to everyone
// present: queued one by one that is a frame, and soon a write, per peer
// per arrival, which grows with the square of the crowd. Gathered for a
// moment, the notices go to each peer as one piece of shared bytes. A
// chat message in the meantime sends them at once, so order is kept.
const noticeDelay = 20 * time.Millisecond

func newHub() *hub {
	return &hub{names: make(map[string]*peer)}
}

// add joins p unless its name is taken, and reports whether it did. In
// the same step, so no broadcast comes between, p is sent the welcome
// built from the names online (p's included), and everyone else is told
// p joined.
func (h *hub) add(p *peer, welcome func(online []*peer) []byte, joined frames) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, taken := h.names[p.key]; taken {
		return false
	}
	h.noticeLocked(joined)
	p.noticeFrom = len(h.notices.pick(p.json))
	p.index = len(h.peers)
	h.peers = append(h.peers, p)
	h.names[p.key] = p
	p.conn.send(welcome(h.peers))
	return true
}

// remove takes p out and tells everyone it left, and reports whether p
// was still there: a peer leaves once, however many reasons it has.
func (h *hub) remove(p *peer, left frames) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.names[p.key] != p {
		return false
	}
	delete(h.names, p.key)
	last := h.peers[len(h.peers)-1]
	h.peers[p.index], last.index = last, p.index
	h.peers[len(h.peers)-1] = nil
	h.peers = h.peers[:len(h.peers)-1]
	h.noticeLocked(left)
	return true
}

// broadcast queues f to every peer, after the notices gathered so far,
// and returns the connections now past their soft limit, which the sender
// waits for (awaitDrained) before it reads on; usually none.
func (h *hub) broadcast(f frames) (behind []*Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	start := time.Now()
	h.flushLocked()
	for _, p := range h.peers {
		if _, over := p.conn.queueFrame(f.pick(p.json)); over {
			behind = append(behind, p.conn)
		}
	}
	h.metrics.fannedOut(len(h.peers), time.Since(start))
	return behind
}

// noticeLocked gathers a notice for the peers present, and schedules the
// flush that sends it.
func (h *hub) noticeLocked(f frames) {
	h.notices.text = append(h.notices.text, f.text...)
	h.notices.json = append(h.notices.json, f.json...)
	if !h.flushDue {
		h.flushDue = true
		time.AfterFunc(noticeDelay, h.flush)
	}
}

func (h *hub) flush() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.flushDue = false
	h.flushLocked()
}

// flushLocked queues to every peer its share of the gathered notices. A
// peer too slow to take it is dropped by its connection, and leaves
// through its own reader.
func (h *hub) flushLocked() {
	if len(h.notices.text) == 0 {
		return
	}
	for _, p := range h.peers {
		if share := h.notices.pick(p.json)[p.noticeFrom:]; len(share) > 0 {
			p.conn.send(share)
		}
		p.noticeFrom = 0
	}
	// The queued bytes are shared and must not change: gather anew.
	h.notices = frames{}
}
