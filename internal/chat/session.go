package chat

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"wschat/internal/engine"
	"wschat/internal/store"
	"wschat/internal/textrules"
)

// Session is one connection's place in the chat, from Join to Leave. Its
// connection's reader calls Receive with every message, and Leave once.
type Session struct {
	c       *Chat
	t       Transport
	name    string
	key     string // name folded: names are unique by key
	json    bool   // reads format=json
	deflate bool   // takes compressed broadcasts
	account bool   // the name is an account's, which may have several connections
	admin   bool   // an administrator's: may moderate every room
	holder  string // this connection's claim on the name, unique to it
	addr    string // the client's address, for the log
	upload  string // the credential the connection uploads files with
	owner   string // who may edit and delete the messages it sends (see owner)
	p       *participant
	same    *Session // the next session of the same name on this node (hub.names)

	// Where the session is. Its own reader moves it, holding hub.mu and
	// the rooms' locks; others read these holding the room's lock.
	room       *room
	index      int // position in room.members
	noticeFrom int // where its share of room.notices starts
	// While catching up, the live messages of the room are held for the
	// session (held, up to Options.HoldBytes, then dropped and read
	// again from the log); after is the last message it was replayed,
	// so that one delivered live later is not sent twice.
	catching, overflow bool
	held               []heldMessage
	heldBytes          int
	after              store.ID

	// The replay under way, or nil: set by the reader, and cleared by the
	// replay once it is done, so that a quiet session keeps none.
	replay atomic.Pointer[replayer]

	box *mailState // with accounts: the mailbox's replay; nil otherwise

	// The messages handed to a pipelining broker and not yet kept; made
	// by the reader at the first (pipeline.go).
	posts *postQueue

	// Owned by the reader.
	req        request     // what it is answering now
	entering   entering    // what it learnt of the room it is entering
	lastTyping int64       // when the last typing event went out, in Unix nanoseconds
	expiry     *time.Timer // closes the connection when its token runs out; nil without tokens
	// arrival is the moderation record of the room it is entering, for
	// its welcome.
	arrival engine.RoomRecord
}

// mailState is where a session with a mailbox stands in it. While the
// mailbox is replayed, the private messages kept meanwhile are held, the
// newest mailHold of them, and go out after the replay unless it had
// them; after is the last one it was replayed, so that none is sent
// twice. The engine hands mail over on a goroutine of its own: mu guards
// the rest.
type mailState struct {
	mu       sync.Mutex
	catching bool
	held     []heldMessage
	after    store.ID
}

// heldMessage is a live message held for a session catching up.
type heldMessage struct {
	id      store.ID
	encoded []byte
}

// Name is the participant's name, as spelled.
func (s *Session) Name() string { return s.name }

// Participant is the key of the participant the session counts as (see
// ParticipantOf): what it keeps is charged to that.
func (s *Session) Participant() string { return s.p.key }

// Receive acts on one text message the client sent: a chat message goes
// to the room, a command or a JSON request (input.go) is carried out.
// Only the connection's reader calls it. While the session is catching
// up with its room's history it waits, so that what the client does
// comes after what it missed.
func (s *Session) Receive(msg []byte) {
	c := s.c
	c.Stats.Received.Add(1)
	s.awaitReplay()
	if s.json {
		if rq, bad, ok := parseRequest(msg); ok {
			if bad != "" || rq.Type != "message" || rq.ReplyTo != "" {
				s.awaitPosts()
			}
			s.req = request{object: true, clientID: rq.ClientID}
			defer func() { s.req = request{} }()
			switch {
			case !s.withinLimit():
			case bad != "":
				s.answer(CodeBadRequest, bad)
			default:
				s.doOnce(rq)
			}
			return
		}
	}
	text := textrules.CleanMessage(string(msg))
	if text == "" {
		return
	}
	if cmd, ok := strings.CutPrefix(text, "/"); ok && !strings.HasPrefix(cmd, "/") {
		s.awaitPosts()
		// /typing has a limit of its own (typingEvery), so that a
		// household behind one address does not spend its rate on it.
		if isTyping(cmd) || s.withinLimit() {
			s.command(cmd)
		}
		return
	}
	if !s.withinLimit() {
		return
	}
	s.keep(s.message(strings.TrimPrefix(text, "/"))) // "//text" says "/text"
}

// withinLimit applies the rate limit to a message or command, and reports
// whether it may go ahead. One over the limit is answered with a notice
// to the sender alone; the maxOverLimit-th in a row closes the connection.
func (s *Session) withinLimit() bool {
	if s.p.lim == nil {
		return true
	}
	switch s.c.allow(s.p, time.Now()) {
	case withinLimit:
		return true
	case persistent:
		s.c.Stats.Limited.Add(1)
		s.c.Stats.RateDrops.Add(1)
		s.t.Close(Reason(CodeTooFast, s.c.tooFast()))
	default:
		s.c.Stats.Limited.Add(1)
		if s.req.object {
			s.answer(CodeSlowDown, s.c.slowDownWords())
		} else {
			s.send(s.c.slowDown.pick(s.json))
		}
	}
	return false
}

// Leave takes the session out of the chat once its connection has ended:
// the room hears it left, and the name is free again. cause is why the
// connection ended, for the log.
func (s *Session) Leave(cause error) {
	c := s.c
	if s.expiry != nil {
		s.expiry.Stop()
	}
	s.stopReplay()
	c.uploads.revoke(s)
	r := c.hub.remove(s)
	if r == nil {
		return
	}
	c.people.leave(s.p)
	s.dropAdmin()
	c.depart(s.placeIn(r))
	r.recount()
	c.release(s)
	c.Stats.Leaves.Add(1)
	c.log.Info("leave", "name", s.name, "remote", s.addr, "reason", cause)
}

// claim is the session's claim on its name: by the name's key, which
// names that look the same share (UTS #39), so that nobody can pass for
// someone online.
func (s *Session) claim() engine.Claim {
	c := engine.Claim{Key: textrules.NameKey(s.name), Name: s.name, Holder: s.holder}
	if s.account {
		c.Account = s.key
	}
	return c
}

// placeIn is the session in room r, for the engine.
func (s *Session) placeIn(r *room) engine.Place {
	return engine.Place{Room: r.key, RoomName: r.name, Name: s.name, Holder: s.holder}
}

// send frames payload and queues it for the session's client.
func (s *Session) send(payload []byte) {
	s.t.Send(s.c.enc.Frame(payload))
}

// tell sends the session a notice.
func (s *Session) tell(c Code, words string) {
	s.send(notice(c, words).pick(s.json))
}
