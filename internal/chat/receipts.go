package chat

import "wschat/internal/store"

// Requests sent again. A client whose connection was lost before the
// answer to a request came cannot know whether it was carried out, so
// it sends it again, with the same client_id, once it is back. A JSON
// request that changes something (message, private, edit, delete,
// react) and carries a client_id is carried out once for the name that
// sent it, across its connections, its nodes and its reconnections: the
// engine's Receipts remember the name's newest client ids (see
// engine.ReceiptsEach and engine.ReceiptsFor). Such a request carried
// out is acknowledged to the connection that sent it, once kept:
// {"type":"ack","client_id":"c1","id":"…"} (id: the message it kept in
// the room, if it kept one), after the events it caused, or, where
// messages are pipelined to Redis (pipeline.go), perhaps before the
// message's own event. One whose client_id was taken
// already is not carried out again, and is answered
// {"type":"ack","client_id":"c1","repeat":true}. A refused one is
// answered with its error, and its client_id may be sent again.

// once are the types of JSON request carried out once for each client_id.
var once = map[string]bool{"message": true, "private": true, "edit": true, "delete": true, "react": true}

// doOnce carries out rq, unless its client_id was taken from s's name
// already, and acknowledges it.
func (s *Session) doOnce(rq clientRequest) {
	if rq.ClientID == "" || !once[rq.Type] {
		s.do(rq)
		return
	}
	ctx, cancel := call()
	fresh, err := s.c.receipts.Take(ctx, s.key, rq.ClientID)
	cancel()
	switch {
	case err != nil:
		s.c.failed("take a request's client_id", err)
		s.answer(CodeUnavailable, unavailable)
		return
	case !fresh:
		s.send(jsonPayload(event{Type: "ack", ClientID: rq.ClientID, Repeat: true}))
		return
	}
	s.req.once = true
	s.do(rq)
	if !s.req.handed { // else the pipeline's finisher settles it, once kept
		s.settleOnce(s.req, s.req.kept, s.req.refused)
	}
}

// settleOnce acknowledges rq, whose client_id was taken, with the message
// it kept, if any; or, refused, forgets its client_id, so that it may be
// sent again. The reader calls it, or the pipeline's finisher.
func (s *Session) settleOnce(rq request, kept store.ID, refused bool) {
	if refused {
		ctx, cancel := call()
		defer cancel()
		if err := s.c.receipts.Forget(ctx, s.key, rq.clientID); err != nil {
			s.c.failed("forget a refused request's client_id", err)
		}
		return
	}
	ack := event{Type: "ack", ClientID: rq.clientID}
	if !kept.IsZero() {
		ack.ID = kept.String()
	}
	s.send(jsonPayload(ack))
}
