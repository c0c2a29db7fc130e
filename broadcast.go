package main

import (
	"sync"
	"time"

	"wschat/internal/store"
)

// frames is one broadcast, encoded once for each wire format; every peer
// that reads that format is queued the very same bytes. A chat message
// may also carry each format compressed once (RFC 7692), for the peers
// that negotiated permessage-deflate.
type frames struct {
	text []byte // for clients of the plain text format
	json []byte // for clients that asked for format=json

	// The same messages compressed, nil when nobody of that format takes
	// compression or the message is too short to gain.
	textDeflated, jsonDeflated []byte
}

// pick returns the frame for a peer of the given format.
func (f frames) pick(json bool) []byte {
	if json {
		return f.json
	}
	return f.text
}

// pickFor returns the frame for p: the compressed one when p takes
// compressed broadcasts and there is one, the plain one otherwise.
func (f frames) pickFor(p *peer) []byte {
	z := f.textDeflated
	if p.json {
		z = f.jsonDeflated
	}
	if p.deflate && z != nil {
		return z
	}
	return f.pick(p.json)
}

// compress adds the compressed variant of each format that some peer
// takes, compressing each once: text when any of the room's deflating
// peers reads text, JSON when any reads JSON. The caller holds r.mu.
func (r *room) compressLocked(f *frames) {
	if r.deflater == nil {
		return
	}
	if r.deflatePeers > r.deflateJSON && f.text != nil {
		f.textDeflated = r.deflater.compressedFrame(opText, framePayload(f.text), true)
	}
	if r.deflateJSON > 0 && f.json != nil {
		f.jsonDeflated = r.deflater.compressedFrame(opText, framePayload(f.json), true)
	}
}

// peer is one chat participant.
type peer struct {
	conn *Conn
	name string
	key  string // name folded for case-insensitive uniqueness
	json bool   // reads format=json
	// deflate: p takes compressed broadcasts (permessage-deflate with
	// the full window).
	deflate bool

	upload string // the credential p uploads files with; JSON readers only

	// account: the name is an account's (authentication is on), which may
	// have several connections at once.
	account bool

	// room is where p is. Its own reader changes it, holding hub.mu and
	// both rooms' locks; others read it holding one of them.
	room       *room
	index      int // position in room.peers
	noticeFrom int // where p's share of room.notices starts

	// Owned by p's reader.
	lim        *limiter      // p's message rate, nil when there is no limit
	lastTyping time.Time     // when p's last typing event went out
	acked      chan struct{} // signalled once a message p sent is kept and delivered
	expiry     *time.Timer   // closes p when its token runs out; nil without tokens
}

// room is a set of participants who hear each other. A single mutex
// orders every broadcast, so all of them see the same sequence; a
// broadcast only queues frames, so it never waits on a peer's socket.
type room struct {
	name string // as spelled by whoever opened it
	key  string // name folded, the room's identity

	mu        sync.Mutex
	peers     []*peer        // in join order, but for swaps on leave
	present   map[string]int // connections in the room by folded name: an account may have several
	jsonPeers int            // how many of peers read JSON
	// How many of peers take compressed broadcasts, and how many of
	// those read JSON; deflater compresses for them, nil for none.
	deflatePeers, deflateJSON int
	deflater                  *deflater
	lastID                    store.ID // the last message delivered, or kept when the room opened
	messages                  uint64   // messages broadcast since the room opened

	history *history // the room log and how much of it a newcomer gets
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

// enterLocked adds p, and in the same step, so no broadcast comes
// between, sends p its welcome and the room's history, and tells
// everyone else p came in. since is the last message p saw, or nil for
// the room's last messages. The caller holds r.mu.
func (r *room) enterLocked(p *peer, since *store.ID) {
	if r.present[p.key]++; r.present[p.key] == 1 {
		r.noticeLocked(joined(r.name, p.name))
	}
	p.room = r
	p.noticeFrom = len(r.notices.pick(p.json))
	p.index = len(r.peers)
	r.peers = append(r.peers, p)
	if p.json {
		r.jsonPeers++
	}
	r.countDeflate(p, 1)
	past, recovered := r.history.since(r.key, since, r.lastID)
	p.conn.send(welcome(p, r, recovered))
	if !recovered && !p.json {
		p.conn.send(notice(notRecovered).text)
	}
	for _, rec := range past {
		r.replayLocked(p, rec)
	}
}

// exitLocked takes p out and tells everyone left that p went. Notices
// gathered so far go out first, to p as well: they were news while p was
// there. The caller holds r.mu.
func (r *room) exitLocked(p *peer) {
	r.flushLocked()
	last := r.peers[len(r.peers)-1]
	r.peers[p.index], last.index = last, p.index
	r.peers[len(r.peers)-1] = nil
	r.peers = r.peers[:len(r.peers)-1]
	if p.json {
		r.jsonPeers--
	}
	r.countDeflate(p, -1)
	if r.present[p.key]--; r.present[p.key] == 0 {
		delete(r.present, p.key)
		r.noticeLocked(left(r.name, p.name))
	}
}

// deliver broadcasts message id, once it is in the room log, to everyone
// in the room, sender included, after the notices gathered so far. A
// message the room already had when it opened went to its members as
// history, and is not sent again. It returns the connections now past
// their soft limit, which the sender waits for (awaitDrained) before it
// reads on; usually none.
func (r *room) deliver(id store.ID, m storedMessage) (behind []*Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.lastID.Less(id) {
		return nil
	}
	r.lastID = id
	return r.broadcastLocked(r.message(id, m, false))
}

// broadcastLocked queues f to every peer, after the notices gathered so
// far, and returns the connections now past their soft limit. The caller
// holds r.mu.
func (r *room) broadcastLocked(f frames) (behind []*Conn) {
	start := time.Now()
	r.flushLocked()
	for _, p := range r.peers {
		if _, over := p.conn.queueFrame(f.pickFor(p)); over {
			behind = append(behind, p.conn)
		}
	}
	r.messages++
	r.metrics.fannedOut(len(r.peers), time.Since(start))
	return behind
}

// countDeflate adds n to the counts of peers taking compressed
// broadcasts, when p is one. The caller holds r.mu.
func (r *room) countDeflate(p *peer, n int) {
	if !p.deflate {
		return
	}
	r.deflatePeers += n
	if p.json {
		r.deflateJSON += n
	}
}

// typing tells the room's JSON readers, but from's own, that from is
// typing.
func (r *room) typing(from *peer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.jsonPeers == 0 || r.jsonPeers == 1 && from.json {
		return
	}
	f := typing(r.name, from.name)
	for _, p := range r.peers {
		if p.json && p.key != from.key {
			p.conn.send(f)
		}
	}
}

// noticeLocked gathers a notice for the peers present, and schedules the
// flush that sends it. The caller holds r.mu.
func (r *room) noticeLocked(f frames) {
	r.notices.text = append(r.notices.text, f.text...)
	r.notices.json = append(r.notices.json, f.json...)
	if !r.flushDue {
		r.flushDue = true
		time.AfterFunc(noticeDelay, r.flush)
	}
}

func (r *room) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushDue = false
	r.flushLocked()
}

// flushLocked queues to every peer its share of the gathered notices. A
// peer too slow to take it is dropped by its connection, and leaves
// through its own reader. The caller holds r.mu.
func (r *room) flushLocked() {
	if len(r.notices.text) == 0 {
		return
	}
	for _, p := range r.peers {
		if share := r.notices.pick(p.json)[p.noticeFrom:]; len(share) > 0 {
			p.conn.send(share)
		}
		p.noticeFrom = 0
	}
	// The queued bytes are shared and must not change: gather anew.
	r.notices = frames{}
}
