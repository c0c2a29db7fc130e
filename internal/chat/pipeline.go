package chat

import (
	"context"
	"sync"

	"wschat/internal/engine"
	"wschat/internal/store"
)

// Pipelining. Where keeping a message is a round trip to a store that
// other nodes share (an engine.Pipeliner: Redis), a reader that waited
// for each of its client's messages to be kept before reading the next
// would fall behind whenever a round trip took longer than the time
// between two messages, as it does on a busy machine: the client's
// messages would wait unread, each one late by the whole queue. So the
// reader hands a message over and reads on, up to postWindow messages
// ahead of the store; a goroutine of the session's own, while any are
// in flight, waits for each in turn and tells the client of a refusal
// as post would have. Anything else the client asks for waits until all
// are kept (awaitPosts), so that it comes after them, as it would have.

// postWindow is how many of a session's messages may be handed over and
// not yet kept: how far a sender may run ahead of the store.
const postWindow = 16

// postQueue is a session's messages handed to the broker and not yet
// kept, oldest first. The reader adds to it; the session's finisher
// takes from it.
type postQueue struct {
	mu      sync.Mutex
	pending []pendingPost
	running bool          // the finisher is at work
	shrunk  chan struct{} // closed when pending shrinks; made by a reader that waits
}

// pendingPost is one message handed over: how to wait for it, and what
// the reader was answering when it was sent, for a refusal to answer.
type pendingPost struct {
	wait   func(context.Context) (store.ID, error)
	ctx    context.Context
	cancel context.CancelFunc
	req    request
}

// startPost hands m to a pipelining broker, once fewer than postWindow
// of the session's messages are in flight, and reports whether it did.
// A message that mentions someone is not pipelined: telling them needs
// its id; nor is one from someone muted, which post refuses. Only the
// reader calls it.
func (s *Session) startPost(m message) bool {
	p, ok := s.c.broker.(engine.Pipeliner)
	if !ok || len(mentioned(m.Text)) > 0 || s.mutedIn(s.c.hub.roomOf(s)) != nil {
		return false
	}
	if s.posts == nil {
		s.posts = new(postQueue)
	}
	q := s.posts
	q.await(postWindow - 1)
	ctx, cancel := call()
	pp := pendingPost{ctx: ctx, cancel: cancel, req: s.req}
	pp.wait = p.StartPublish(ctx, s.c.hub.roomOf(s).key, s.p.key, encodeMessage(m))
	q.mu.Lock()
	q.pending = append(q.pending, pp)
	s.req.handed = true
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go s.finishPosts(q)
	}
	return true
}

// finishPosts waits for each message in q in turn, tells the client of
// one that was refused, and ends when q is empty.
func (s *Session) finishPosts(q *postQueue) {
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.pending, q.running = nil, false
			q.mu.Unlock()
			return
		}
		pp := q.pending[0]
		q.mu.Unlock()
		id, err := pp.wait(pp.ctx)
		pp.cancel()
		if err != nil {
			r := s.c.refusal(err, historyWords)
			s.answerTo(pp.req, r.Code, r.Text)
		}
		if pp.req.once {
			s.settleOnce(pp.req, id, err != nil)
		}
		q.mu.Lock()
		q.pending[0] = pendingPost{}
		q.pending = q.pending[1:]
		if q.shrunk != nil {
			close(q.shrunk)
			q.shrunk = nil
		}
		q.mu.Unlock()
	}
}

// awaitPosts returns once every message the session handed over is kept
// or refused, and the client told of each refusal. Only the reader calls
// it.
func (s *Session) awaitPosts() {
	if s.posts != nil {
		s.posts.await(0)
	}
}

// await returns once at most n messages are in flight.
func (q *postQueue) await(n int) {
	for {
		q.mu.Lock()
		if len(q.pending) <= n {
			q.mu.Unlock()
			return
		}
		if q.shrunk == nil {
			q.shrunk = make(chan struct{})
		}
		shrunk := q.shrunk
		q.mu.Unlock()
		<-shrunk
	}
}
