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
}

// hub is the set of chat participants. A single mutex orders every
// broadcast, so all peers see the same sequence; a broadcast only queues
// frames, so it never waits on a peer's socket.
type hub struct {
	mu    sync.Mutex
	peers []*peer          // in join order, but for swaps on leave
	names map[string]*peer // by folded name

	metrics *metrics // counts broadcasts; nil counts nothing

	wakePending bool // notices queued with sendLater wait for wakeAll
}

// noticeDelay is how long join and leave notices may wait to go out with
// the ones that follow. In a crowded room a burst of arrivals sends one
// notice per arrival to everyone present; written one by one that is a
// write per peer per arrival, held back for a moment it is one write per
// peer for the lot. A chat message in the meantime sends them at once.
const noticeDelay = 20 * time.Millisecond

func newHub() *hub {
	return &hub{names: make(map[string]*peer)}
}

// add joins p unless its name is taken, and reports whether it did. In
// the same step, so no broadcast comes between, p is sent the welcome
// built from the names online (p's included) and everyone else joined.
func (h *hub) add(p *peer, welcome func(online []*peer) []byte, joined frames) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, taken := h.names[p.key]; taken {
		return false
	}
	p.index = len(h.peers)
	h.peers = append(h.peers, p)
	h.names[p.key] = p
	p.conn.send(welcome(h.peers))
	h.noticeLocked(joined, p)
	return true
}

// remove takes p out and sends everyone left, and reports whether p was
// still there: a peer leaves once, however many reasons it has.
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
	h.noticeLocked(left, nil)
	return true
}

// broadcast queues f to every peer.
func (h *hub) broadcast(f frames) {
	h.mu.Lock()
	defer h.mu.Unlock()
	start := time.Now()
	h.fanOutLocked(f, nil)
	h.metrics.fannedOut(len(h.peers), time.Since(start))
}

// fanOutLocked queues f to every peer but except. A peer too slow to take
// it is dropped by its connection, and leaves through its own reader.
func (h *hub) fanOutLocked(f frames, except *peer) {
	for _, p := range h.peers {
		if p != except {
			p.conn.send(f.pick(p.json))
		}
	}
}

// noticeLocked queues a notice to every peer but except, and has their
// writers woken after noticeDelay unless something wakes them sooner.
func (h *hub) noticeLocked(f frames, except *peer) {
	for _, p := range h.peers {
		if p != except {
			p.conn.sendLater(f.pick(p.json))
		}
	}
	if !h.wakePending {
		h.wakePending = true
		time.AfterFunc(noticeDelay, h.wakeAll)
	}
}

// wakeAll starts the writer of every peer with frames waiting.
func (h *hub) wakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.wakePending = false
	for _, p := range h.peers {
		p.conn.wake()
	}
}
