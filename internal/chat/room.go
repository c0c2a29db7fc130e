package chat

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"wschat/internal/engine"
	"wschat/internal/store"
	"wschat/internal/textrules"
)

// room is the members of one room on this node. A single mutex orders
// every broadcast, so all of them see the same sequence; a broadcast only
// queues bytes, so it never waits on a member's socket.
type room struct {
	c      *Chat
	name   string       // as spelled by whoever opened it
	key    string       // name folded, the room's identity
	opener *participant // who opened it, counted against its rooms; nil for the lobby

	mu        sync.Mutex
	members   []*Session // in join order, but for swaps on leave
	distinct  int        // names in the room: an account may be in it several times
	crowd     crowd      // how many are in the room on every node (crowd.go)
	jsonPeers int        // how many members read JSON
	// How many members take compressed broadcasts, and how many of those
	// read JSON.
	deflatePeers, deflateJSON int
	// encrypted: the room is flagged encrypted (sealed.go); once set,
	// for good.
	encrypted atomic.Bool
	lastID    store.ID // the last message delivered here
	messages  uint64   // messages delivered since the room opened here

	// notices holds the join and leave notices of the last moment, not
	// yet queued to anyone: encoded one after another, in each format. A
	// member's share is what came after it joined, from its noticeFrom.
	notices  encodedPair
	flushDue bool // a flush of notices is scheduled

	// The room's moderation record as last read (Chat.recordOf), while
	// modOK; modGen counts the moderation messages delivered, each of
	// which makes it out of date.
	mod    engine.RoomRecord
	modOK  bool
	modGen uint64
}

// encodedPair is bytes an Encoder made, one for each format.
type encodedPair struct{ text, json []byte }

func (p encodedPair) pick(json bool) []byte {
	if json {
		return p.json
	}
	return p.text
}

// frames is one broadcast, encoded once for each format, and compressed
// once for each format some member takes compressed: every member who
// reads that form is queued the very same bytes.
type frames struct {
	plain, deflated encodedPair
}

// pickFor returns the bytes for s.
func (f frames) pickFor(s *Session) []byte {
	if s.deflate {
		if z := f.deflated.pick(s.json); z != nil {
			return z
		}
	}
	return f.plain.pick(s.json)
}

func newRoom(c *Chat, name, key string) *room {
	return &room{c: c, name: name, key: key}
}

// noticeDelay is how long join and leave notices may wait to go out
// together. When a crowd arrives, every arrival is news to everyone
// present: queued one by one that is a frame, and soon a write, per
// member per arrival, which grows with the square of the crowd. Gathered
// for a moment, the notices go to each member as one piece of shared
// bytes. A chat message in the meantime sends them at once, so order is
// kept.
const noticeDelay = 20 * time.Millisecond

// enterLocked adds s, and in the same step, so no broadcast comes
// between, sends s its welcome and tells everyone else s came in. s
// catches up from then on (see replay.go). everyone is who the engine
// says is in the room, for the welcome; alone, that no other session of
// s's name is in the room. The caller holds r.mu.
func (r *room) enterLocked(s *Session, everyone roster, recovered, alone bool) {
	if alone {
		r.distinct++
	}
	r.crowd.people = max(everyone.count, r.distinct)
	if alone {
		r.crowd.people-- // told next
		r.tellLocked(s.name, true)
	}
	s.room = r
	s.noticeFrom = len(r.notices.pick(s.json))
	s.index = len(r.members)
	s.catching, s.held, s.heldBytes, s.overflow, s.after = true, nil, 0, false, store.ID{}
	r.members = append(r.members, s)
	if s.json {
		r.jsonPeers++
	}
	r.countDeflate(s, 1)
	if s.entering.encrypted {
		r.encrypted.Store(true)
	}
	s.send(r.welcome(s, everyone, recovered))
	if r.encrypted.Load() && !s.json {
		s.send(notice(CodeRoomEncrypted, roomEncryptedHere).text)
	}
	if !recovered && !s.json {
		s.send(notice(CodeNotRecovered, notRecovered).text)
	}
}

// exitLocked takes s out and tells everyone left that s went. Notices
// gathered so far go out first, to s as well: they were news while s was
// there. alone says no other session of s's name stays. The caller holds
// r.mu.
func (r *room) exitLocked(s *Session, alone bool) {
	r.flushLocked()
	last := r.members[len(r.members)-1]
	r.members[s.index], last.index = last, s.index
	r.members[len(r.members)-1] = nil
	r.members = r.members[:len(r.members)-1]
	if s.json {
		r.jsonPeers--
	}
	r.countDeflate(s, -1)
	s.held, s.heldBytes = nil, 0
	if alone {
		r.distinct--
		r.tellLocked(s.name, false)
	}
}

// deliver broadcasts a kept message to every member, sender included,
// after the notices gathered so far. One the room has delivered already
// (the same, or an older one, as a catch-up may hand over again) is not
// sent again. It returns the members now past their soft limit, which
// the sender waits for before it reads on; usually none.
func (r *room) deliver(id store.ID, m message) engine.Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.lastID.Less(id) {
		return nil
	}
	r.lastID = id
	if m.Sealed != nil && m.isPost() {
		r.encrypted.Store(true)
	}
	start := time.Now()
	f := r.encode(id, m)
	r.flushLocked()
	var behind waitList
	for _, s := range r.members {
		b := f.pickFor(s)
		switch {
		case s.catching:
			s.hold(id, b)
		case !s.after.Less(id):
			// replayed already
		case s.t.Send(b):
			behind = append(behind, s.t)
		}
	}
	if m.isPost() {
		r.messages++
	}
	r.c.Stats.fannedOut(len(r.members), time.Since(start))
	if len(behind) == 0 {
		return nil
	}
	return behind
}

// waitList is the members a sender waits for.
type waitList []Transport

// Wait implements engine.Delivery.
func (w waitList) Wait() {
	for _, t := range w {
		t.Wait()
	}
}

// encode encodes a message for the formats and compressions the members
// read: one nobody reads is left nil. The caller holds r.mu.
func (r *room) encode(id store.ID, m message) frames {
	var p payloads
	if r.jsonPeers < len(r.members) {
		p.text = m.line()
	}
	if r.jsonPeers > 0 {
		p.json = jsonPayload(roomEvent(r.name, id, m, false))
	}
	enc := r.c.enc
	var f frames
	if p.text != nil {
		f.plain.text = enc.Frame(p.text)
		if r.deflatePeers > r.deflateJSON {
			f.deflated.text = enc.Compress(p.text)
		}
	}
	if p.json != nil {
		f.plain.json = enc.Frame(p.json)
		if r.deflateJSON > 0 {
			f.deflated.json = enc.Compress(p.json)
		}
	}
	return f
}

// countDeflate adds n to the counts of members taking compressed
// broadcasts, when s is one. The caller holds r.mu.
func (r *room) countDeflate(s *Session, n int) {
	if !s.deflate {
		return
	}
	r.deflatePeers += n
	if s.json {
		r.deflateJSON += n
	}
}

// typing tells the room's JSON readers, but from's own connections, that
// from is typing.
func (r *room) typing(from *Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.jsonPeers == 0 || r.jsonPeers == 1 && from.json {
		return
	}
	b := r.c.enc.Frame(jsonPayload(event{Type: "typing", Room: r.name, Name: from.name}))
	for _, s := range r.members {
		if s.json && s.key != from.key {
			s.t.Send(b)
		}
	}
}

// remoteNotice tells the room that name joined or left it on another
// node.
func (r *room) remoteNotice(name string, joining bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tellLocked(name, joining)
}

// noticeLocked gathers a notice for the members present, and schedules
// the flush that sends it. The caller holds r.mu.
func (r *room) noticeLocked(p payloads) {
	r.notices.text = append(r.notices.text, r.c.enc.Frame(p.text)...)
	r.notices.json = append(r.notices.json, r.c.enc.Frame(p.json)...)
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

// flushLocked queues to every member its share of the gathered notices.
// A member too slow to take it is dropped by its connection, and leaves
// through its own reader. The caller holds r.mu.
func (r *room) flushLocked() {
	if len(r.notices.text) == 0 {
		return
	}
	for _, s := range r.members {
		if share := r.notices.pick(s.json)[s.noticeFrom:]; len(share) > 0 {
			s.t.Send(share)
		}
		s.noticeFrom = 0
	}
	// The queued bytes are shared and must not change: gather anew.
	r.notices = encodedPair{}
}

// roster is who is in a room on every node, as the engine counts them:
// some of their names, and how many there are.
type roster struct {
	names []string
	count int
}

// welcome is s's welcome to the room, listing who is in it: those here
// first, in the order they came, then others elsewhere. The lobby's
// plain welcome reads as it always has; another room's names the room.
// A JSON welcome says "recovered": false when the messages s asked for
// since its last visit are not all there. The caller holds r.mu.
func (r *room) welcome(s *Session, everyone roster, recovered bool) []byte {
	names, count := r.names(everyone, jsonNames)
	if s.json {
		rec := s.arrival
		e := event{Type: "welcome", Room: r.name, Name: s.name, Online: names, Count: count, Upload: s.upload,
			Encrypted: r.encrypted.Load(),
			Topic:     rec.Topic, Owner: rec.OwnerName, Role: s.roleIn(rec).String(), InviteOnly: rec.InviteOnly}
		if !recovered {
			e.Recovered = &recovered
		}
		return jsonPayload(e)
	}
	greeting := "* welcome, "
	if r.key != lobby {
		greeting = "* welcome to " + r.name + ", "
	}
	line := text(greeting, s.name, fmt.Sprintf("! %d online: %s", count, joinNames(names[:min(len(names), welcomeNames)], count)))
	if s.arrival.Topic != "" {
		line = append(line, " Topic: "+s.arrival.Topic...)
	}
	return line
}

// names returns at most limit of the names in the room, each once, those
// here first in join order, then others from everyone, sorted; and how
// many there are in all. The caller holds r.mu.
func (r *room) names(everyone roster, limit int) ([]string, int) {
	// One name has one spelling at a time (claims are by key), so names
	// are told apart as spelled.
	out := make([]string, 0, min(limit, r.distinct))
	seen := make(map[string]bool, cap(out))
	for _, s := range r.members {
		if len(out) == limit {
			break
		}
		if !seen[s.name] {
			seen[s.name] = true
			out = append(out, s.name)
		}
	}
	if len(out) < limit && everyone.count > r.distinct {
		var rest []string
		for _, name := range everyone.names {
			if !seen[name] {
				seen[name] = true
				rest = append(rest, name)
			}
		}
		slices.SortFunc(rest, func(a, b string) int { return cmp.Compare(textrules.Fold(a), textrules.Fold(b)) })
		out = append(out, rest[:min(len(rest), limit-len(out))]...)
	}
	return out, max(everyone.count, r.distinct, len(out))
}
