package memory

import (
	"container/list"
	"context"
	"hash/maphash"
	"sync"
	"time"

	"wschat/internal/engine"
)

// Receipts is the single node's engine.Receipts: for each participant,
// a ring of the hashes of its newest engine.ReceiptsEach client ids,
// forgotten engine.ReceiptsFor after its last request; at most max
// participants are remembered, past it the one idle longest is
// forgotten. A restart forgets them all: a client that reconnects to a
// restarted server learns from the replay of its room what arrived.
type Receipts struct {
	max  int
	now  func() time.Time
	seed maphash.Seed

	mu   sync.Mutex
	by   map[string]*list.Element // of *receipts, by sender
	idle list.List                // *receipts, the longest idle first
}

// receipts is one participant's record.
type receipts struct {
	sender string
	last   time.Time
	ids    [engine.ReceiptsEach]uint64 // hashes of ids; 0 is none
	next   int                         // where the next id goes
}

// NewReceipts returns a record of the client ids of at most max
// participants.
func NewReceipts(max int) *Receipts {
	return &Receipts{max: max, now: time.Now, seed: maphash.MakeSeed(), by: make(map[string]*list.Element)}
}

// hash is id's hash, never 0.
func (r *Receipts) hash(id string) uint64 { return max(maphash.String(r.seed, id), 1) }

// Take implements engine.Receipts.
func (r *Receipts) Take(_ context.Context, sender, id string) (bool, error) {
	h, now := r.hash(id), r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	rs := r.of(sender, now)
	for _, x := range rs.ids {
		if x == h {
			return false, nil
		}
	}
	rs.ids[rs.next] = h
	rs.next = (rs.next + 1) % len(rs.ids)
	return true, nil
}

// Forget implements engine.Receipts.
func (r *Receipts) Forget(_ context.Context, sender, id string) error {
	h := r.hash(id)
	r.mu.Lock()
	defer r.mu.Unlock()
	if el, ok := r.by[sender]; ok {
		rs := el.Value.(*receipts)
		for i, x := range rs.ids {
			if x == h {
				rs.ids[i] = 0
			}
		}
	}
	return nil
}

// of returns sender's record, renewed at now: a new one when it has
// none, or had none since engine.ReceiptsFor. Holding mu.
func (r *Receipts) of(sender string, now time.Time) *receipts {
	el, ok := r.by[sender]
	if ok && now.Sub(el.Value.(*receipts).last) > engine.ReceiptsFor {
		r.idle.Remove(el)
		delete(r.by, sender)
		ok = false
	}
	if !ok {
		for r.idle.Len() >= r.max {
			oldest := r.idle.Front()
			r.idle.Remove(oldest)
			delete(r.by, oldest.Value.(*receipts).sender)
		}
		el = r.idle.PushBack(&receipts{sender: sender})
		r.by[sender] = el
	}
	rs := el.Value.(*receipts)
	rs.last = now
	r.idle.MoveToBack(el)
	return rs
}

// Senders reports how many participants are remembered.
func (r *Receipts) Senders() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.by)
}
