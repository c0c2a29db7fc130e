package chat

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"

	"wschat/internal/textrules"
)

// Participants. What a person may use of the chat (its message rate,
// the rooms it opens; and, kept by the engine and the shared files, its
// share of history, mail and files) belongs to a participant, not to a
// connection: the account (or token subject) when tokens are on, else
// the client's address, so that reconnecting, or connecting many times,
// buys nothing. Package main says who a connection's participant is
// (JoinRequest.Participant, ParticipantOf).

// ParticipantOf is the participant a connection counts as: with tokens,
// the subject's, whatever address it comes from; without, the address's
// (addr as the runtime groups addresses: an IPv6 /64, say). Names never
// hold a colon, so the two kinds never meet.
func ParticipantOf(subject, addr string) string {
	if subject != "" {
		return "name:" + textrules.Fold(subject)
	}
	return "addr:" + addr
}

// participant is what the chat keeps for one participant on this node,
// across its connections.
type participant struct {
	key   string
	lim   *limiter     // its rate, shared by its connections; nil without a limit
	conns int          // its sessions in the chat now
	rooms int          // rooms it opened that are open now
	sent  atomic.Int64 // messages sent since the engine was last told (spending.go)
	idle  *list.Element
	// reports limits its reports (reports.go); guarded by the
	// participants' mu.
	reports tokenBucket
}

// rested reports whether p's limits have come back whole by now, so that
// a new record would be the same.
func (p *participant) rested(now time.Time) bool {
	return (p.lim == nil || p.lim.rested(now)) && p.reports.whole(now)
}

// participants is the record of the participants on this node. A record
// with nothing in force (no session, no open room it opened, and a rate
// that has come back whole) is dropped; the rest stay while they are in
// force, and at most max are kept: past it the one idle longest goes,
// its rate nearly whole by then.
type participants struct {
	limit rateLimit
	max   int

	mu        sync.Mutex
	byKey     map[string]*participant
	idle      list.List      // *participant with no session and no room, the longest idle first
	spenders  []*participant // those whose sent went from 0 since the last report
	reporting bool           // a reportSpending is at work
}

// maxParticipants is how many participants' records a chat keeps at most.
const maxParticipants = 100_000

func newParticipants(limit rateLimit, size int) *participants {
	return &participants{limit: limit, max: size, byKey: make(map[string]*participant)}
}

// join returns the record of the participant key, counting in one
// session of it.
func (ps *participants) join(key string) *participant {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	now := time.Now()
	ps.tidyLocked(now)
	p := ps.byKey[key]
	if p == nil {
		p = &participant{key: key, lim: newLimiter(ps.limit, now)}
		ps.byKey[key] = p
	}
	p.conns++
	ps.busyLocked(p)
	return p
}

// leave counts out one session of p.
func (ps *participants) leave(p *participant) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p.conns--
	ps.idleLocked(p)
}

// openRoom counts a room p opens, unless p has opened most rooms
// already (0 is no limit), and reports whether it did.
func (ps *participants) openRoom(p *participant, most int) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if most > 0 && p.rooms >= most {
		return false
	}
	p.rooms++
	ps.busyLocked(p)
	return true
}

// closeRoom counts out a room p opened, now closed.
func (ps *participants) closeRoom(p *participant) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p.rooms--
	ps.idleLocked(p)
}

// busyLocked takes p off the idle list. ps.mu is held.
func (ps *participants) busyLocked(p *participant) {
	if p.idle != nil {
		ps.idle.Remove(p.idle)
		p.idle = nil
	}
}

// idleLocked puts p on the idle list if nothing holds it. ps.mu is held.
func (ps *participants) idleLocked(p *participant) {
	if p.conns == 0 && p.rooms == 0 && p.idle == nil {
		p.idle = ps.idle.PushBack(p)
	}
}

// tidyLocked drops the records idle longest whose rate has come back
// whole, and past max the ones idle longest whatever their rate. ps.mu
// is held.
func (ps *participants) tidyLocked(now time.Time) {
	for e := ps.idle.Front(); e != nil; e = ps.idle.Front() {
		p := e.Value.(*participant)
		if len(ps.byKey) <= ps.max && !p.rested(now) {
			return
		}
		ps.idle.Remove(e)
		delete(ps.byKey, p.key)
	}
}

// takeReport takes one of p's reports at now, and reports whether it
// had one left.
func (ps *participants) takeReport(p *participant, now time.Time) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if p.reports.rate == 0 {
		p.reports = tokenBucket{rate: reportRate, burst: reportBurst, tokens: reportBurst, last: now}
	}
	return p.reports.take(now)
}

// spent counts one message of p's for the engine, and reports whether
// a reportSpending must start. Only p's first since the last report
// takes the participants' lock.
func (ps *participants) spent(p *participant) bool {
	if p.sent.Add(1) > 1 {
		return false
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.spenders = append(ps.spenders, p)
	start := !ps.reporting
	ps.reporting = true
	return start
}

// takeSent returns, by participant, what was sent since it was last
// called, and nil when nothing was: the reporting then ends.
func (ps *participants) takeSent() map[string]int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if len(ps.spenders) == 0 {
		ps.reporting = false
		return nil
	}
	sent := make(map[string]int, len(ps.spenders))
	for _, p := range ps.spenders {
		sent[p.key] += int(p.sent.Swap(0))
	}
	clear(ps.spenders)
	ps.spenders = ps.spenders[:0]
	return sent
}

// refuse refuses the participants in waits, each for its wait from now.
func (ps *participants) refuse(waits map[string]time.Duration, now time.Time) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for key, d := range waits {
		if p := ps.byKey[key]; p != nil && p.lim != nil {
			p.lim.refuseUntil(now.Add(d))
		}
	}
}

// count returns how many records are kept.
func (ps *participants) count() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return len(ps.byKey)
}
