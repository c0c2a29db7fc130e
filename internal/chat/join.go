package chat

import (
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"time"

	"wschat/internal/engine"
	"wschat/internal/store"
	"wschat/internal/textrules"
)

// JoinRequest is what a connection asks of the chat: who, where, in which
// format, and from which message on.
type JoinRequest struct {
	Name    string
	Room    string
	JSON    bool
	Since   *store.ID // the last message the client saw in the room, or nil
	Expires time.Time // when the connection's token runs out; zero without tokens
	Addr    string    // the client's address, for the log
	// Participant is who the connection counts as (ParticipantOf); ""
	// counts it as its name's.
	Participant string
	// Admin: the connection's token says it administers the server.
	Admin bool
}

// ParseJoin reads a /ws/chat query. subject is who the connection's token
// says it is, "" without tokens: the name is then the subject's, and a
// name in the query must be the same. It returns a Refusal when the
// query asks for what cannot be.
func ParseJoin(q url.Values, subject string, expires time.Time) (JoinRequest, error) {
	// Cloned: the names outlive the request, whose whole line they would
	// otherwise keep in memory for as long as the session lasts.
	req := JoinRequest{Name: strings.Clone(strings.TrimSpace(q.Get("name"))), Room: strings.Clone(strings.TrimSpace(q.Get("room"))), Expires: expires}
	if subject != "" {
		if req.Name != "" && textrules.Fold(req.Name) != textrules.Fold(subject) {
			return req, refuse(CodeAuthRequired, fmt.Sprintf("name %q is not the one your token is for, %q", req.Name, subject))
		}
		req.Name = subject
	}
	if why := textrules.CheckName("name", req.Name); why != "" {
		return req, refuse(CodeBadName, why)
	}
	if req.Room == "" {
		req.Room = lobby
	} else if why := textrules.CheckName("room name", req.Room); why != "" {
		return req, refuse(CodeBadRequest, why)
	}
	switch format := q.Get("format"); format {
	case "", "text":
	case "json":
		req.JSON = true
	default:
		return req, refuse(CodeBadRequest, `format must be "text" (the default) or "json"`)
	}
	if s := q.Get("since"); s != "" {
		id, err := store.ParseID(s)
		if err != nil {
			return req, refuse(CodeBadRequest, fmt.Sprintf("since must be the id of a message, such as %s", store.ID{Ms: 1796045000123}))
		}
		req.Since = &id
	}
	return req, nil
}

// Join lets the connection t in as req asks: it claims the name, enters
// the room (the connection gets its welcome, the room hears it joined)
// and starts replaying the room's history to it. It returns the session,
// or a *Refusal, which the runtime closes the connection with.
func (c *Chat) Join(t Transport, req JoinRequest) (*Session, error) {
	s := c.newSession(t, req)
	if err := c.claim(s); err != nil {
		c.people.leave(s.p)
		s.dropAdmin()
		return nil, err
	}
	from, recovered, err := c.locate(req.Room, req.Since)
	if err == nil {
		c.uploads.grant(s) // before the welcome, which hands the credential over
		err = c.enter(s, req.Room, recovered)
	}
	if err != nil {
		c.uploads.revoke(s)
		c.release(s)
		c.people.leave(s.p)
		s.dropAdmin()
		return nil, err
	}
	if c.opts.Accounts {
		c.openMailbox(s)
	}
	c.Stats.Joins.Add(1)
	c.log.Info("join", "name", s.name, "room", req.Room, "remote", req.Addr)
	if c.opts.Accounts && !req.Expires.IsZero() {
		s.expiry = time.AfterFunc(time.Until(req.Expires), func() { t.Close(Reason(CodeTokenExpired, tokenExpired)) })
	}
	s.startReplay(s.room, from, c.opts.Accounts)
	return s, nil
}

// tokenExpired is the reason a connection is closed with when its token
// runs out.
const tokenExpired = "token expired: log in again"

// newSession returns the session of a connection, not yet in the chat.
func (c *Chat) newSession(t Transport, req JoinRequest) *Session {
	key := textrules.Fold(req.Name)
	if req.Participant == "" {
		req.Participant = ParticipantOf(key, "")
	}
	s := &Session{c: c, t: t, name: req.Name, key: key, json: req.JSON,
		deflate: t.Compressed(), account: c.opts.Accounts, holder: rand.Text(), addr: req.Addr,
		p: c.people.join(req.Participant)}
	s.owner = owner(s.p.key, key)
	if c.opts.Accounts && (req.Admin || c.admins[key]) {
		s.admin = true
		if !c.admins[key] {
			c.tokenAdmins.add(key, 1)
		}
	}
	if c.opts.Accounts {
		s.box = &mailState{catching: true}
	}
	return s
}

// openMailbox gives s's account a mailbox, so that it may be written to
// while it is away.
func (c *Chat) openMailbox(s *Session) {
	ctx, cancel := call()
	defer cancel()
	if err := c.mail.Open(ctx, s.key); err != nil && !quiet(err) {
		c.log.Warn("open a mailbox", "name", s.name, "err", err)
	}
}

// claim takes s's name on every node.
func (c *Chat) claim(s *Session) error {
	ctx, cancel := call()
	defer cancel()
	heldBy, err := c.presence.Claim(ctx, s.claim())
	switch {
	case err != nil:
		return c.failed("claim a name", err)
	case heldBy == "":
		return nil
	case textrules.Fold(heldBy) == s.key:
		return refuse(CodeNameTaken, fmt.Sprintf("name %q is taken: choose another", s.name))
	}
	return refuse(CodeNameTaken, textrules.LookAlikeReason("name", s.name, heldBy, "who is online"))
}

// release gives s's name up.
func (c *Chat) release(s *Session) {
	ctx, cancel := call()
	defer cancel()
	if err := c.presence.Release(ctx, s.claim()); err != nil {
		c.log.Warn("release a name", "name", s.name, "err", err)
	}
}

// replayFrom says where a newcomer's replay starts: after an id, or
// counting from the end, at the room's last few messages or none.
type replayFrom struct {
	after   store.ID
	fromEnd bool // after is unused
	last    int  // with fromEnd: how many of the room's last messages
}

// locate decides what a newcomer to room who saw since last is replayed,
// and whether that is everything it missed.
func (c *Chat) locate(room string, since *store.ID) (replayFrom, bool, error) {
	if since == nil {
		return replayFrom{fromEnd: true, last: c.opts.Replay}, true, nil
	}
	ctx, cancel := call()
	defer cancel()
	l, err := c.history.Locate(ctx, textrules.Fold(room), *since)
	if err != nil {
		return replayFrom{}, false, c.failed("read a room's history", err)
	}
	if !l.Kept && !l.Older {
		// Never given here: from before a reset, or another server.
		return replayFrom{fromEnd: true}, false, nil
	}
	// Everything after since is kept when since is: or, for the zero id,
	// which means "from the start", when the room lost nothing. Any other
	// id older than all the room keeps may have been given and dropped,
	// or never given here: either way something may be missing.
	recovered := l.Kept || since.IsZero() && l.Complete
	return replayFrom{after: *since}, recovered, nil
}

// enter puts s into the room called name, which it opens if it must: s
// gets the room's welcome, and the room hears that s joined, here and on
// the other nodes.
func (c *Chat) enter(s *Session, name string, recovered bool) error {
	key := textrules.Fold(name)
	rec, err := c.admit(s, key, name)
	if err != nil {
		return err
	}
	place := engine.Place{Room: key, RoomName: name, Name: s.name, Holder: s.holder}
	everyone, err := c.arrive(place)
	if err != nil {
		return err
	}
	s.entering = entering{encrypted: c.roomEncrypted(key)}
	s.arrival = c.takeOwnership(s, rec, name, everyone.count <= 1)
	defer func() { s.arrival = engine.RoomRecord{} }()
	if err := c.hub.add(s, name, key, everyone, recovered); err != nil {
		c.depart(place)
		return err
	}
	return nil
}

// arrive records a place with the engine, and returns who is in its
// room now, on every node.
func (c *Chat) arrive(p engine.Place) (roster, error) {
	ctx, cancel := call()
	defer cancel()
	if err := c.presence.Enter(ctx, p); err != nil {
		return roster{}, c.failed("record a member", err)
	}
	names, count, err := c.presence.Members(ctx, p.Room, jsonNames)
	if err != nil {
		c.depart(p)
		return roster{}, c.failed("list a room's members", err)
	}
	return roster{names, count}, nil
}

// depart takes a place back from the engine.
func (c *Chat) depart(p engine.Place) {
	ctx, cancel := call()
	defer cancel()
	if err := c.presence.Exit(ctx, p); err != nil {
		c.log.Warn("record a member's leaving", "name", p.Name, "room", p.RoomName, "err", err)
	}
}

// failed turns an engine's error into a refusal, and logs what is not
// the engine being away.
func (c *Chat) failed(what string, err error) error {
	if !quiet(err) {
		c.log.Error(what, "err", err)
	}
	return refuse(CodeUnavailable, unavailable)
}
