package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"wschat/internal/files"
	"wschat/internal/store"
	"wschat/internal/textrules"
)

// chat is the /ws/chat endpoint: names, rooms, commands and notices, and
// the hub that fans messages out.
type chat struct {
	hub     *hub
	history *history
	auth    *auth // nil: any name may join
	files   *files.Store
	uploads *uploads
	maxFile int64
	log     *slog.Logger
	metrics *metrics
	limit   rateLimit
	// Encoded once, for a message over the rate limit: the notice to its
	// sender and the reason it is closed with when it keeps at it.
	slowDown    frames
	tooFastText string
}

func newChat(cfg Config, log *slog.Logger, m *metrics, h *history, a *auth, f *files.Store, d *deflater) *chat {
	limit := rateLimit{Rate: cfg.Rate, Burst: cfg.Burst}
	hub := newHub(cfg.MaxRooms, m, h)
	hub.deflater = d
	return &chat{
		hub:         hub,
		history:     h,
		auth:        a,
		files:       f,
		uploads:     &uploads{byID: make(map[string]*peer)},
		maxFile:     cfg.MaxFile,
		log:         log,
		metrics:     m,
		limit:       limit,
		slowDown:    notice("slow down: the limit is " + limit.describe() + "; this message was not sent"),
		tooFastText: fmt.Sprintf("sending too fast: %d messages in a row over the limit of %s", maxOverLimit, limit.describe()),
	}
}

// chatRequest is what a /ws/chat URL asks for.
type chatRequest struct {
	name, room string
	json       bool
	since      *store.ID // the last message seen in the room, or nil
	expires    time.Time // when the token runs out; zero without tokens
}

// handle reads what the URL asks for before the upgrade. A refused one
// still gets upgraded, and is then closed with 1008: a reason in a close
// frame reaches the person, where an HTTP 400 would be shown by no
// WebSocket client.
func (ch *chat) handle(r *http.Request) (func(*Conn) func() bool, error) {
	req, refusal, why := ch.parse(r)
	return func(c *Conn) func() bool {
		if refusal != "" {
			return ch.refuse(c, req.name, why, refusal)
		}
		p := &peer{conn: c, name: req.name, key: textrules.Fold(req.name), json: req.json, deflate: c.takesBroadcastDeflate(), account: ch.auth != nil,
			lim: newLimiter(ch.limit, time.Now()), acked: make(chan struct{}, 1)}
		if p.json {
			ch.uploads.grant(p)
		}
		if reason, why := ch.claim(p); reason != "" {
			ch.uploads.revoke(p)
			return ch.refuse(c, req.name, why, reason)
		}
		switch err := ch.hub.add(p, req.room, textrules.Fold(req.room), req.since); err {
		case errNameTaken:
			ch.uploads.revoke(p)
			return ch.refuse(c, req.name, refusedName, fmt.Sprintf("name %q is taken: choose another", p.name))
		case errTooManyRooms:
			ch.release(p)
			ch.uploads.revoke(p)
			return ch.refuse(c, req.name, refusedRooms, tooManyRooms(ch.hub.maxRooms))
		}
		ch.entered(p)
		ch.metrics.joins.Add(1)
		ch.log.Info("join", "name", p.name, "room", req.room, "remote", c.RemoteAddr())
		if p.account {
			p.expiry = time.AfterFunc(time.Until(req.expires), func() { c.Close(closePolicyViolation, tokenExpired) })
			ch.replayMail(p)
		}
		return func() bool { return ch.serve(p) }
	}, nil
}

// tokenExpired is the reason a connection is closed with when its token
// runs out.
const tokenExpired = "token expired: log in again"

// parse reads the name, room, format and since of a chat URL, and with
// tokens on the token that says who the connection is. It returns the
// reason to refuse the connection with, if any, and how to count it.
func (ch *chat) parse(r *http.Request) (req chatRequest, reason string, kind refusal) {
	q := r.URL.Query()
	req.name = strings.TrimSpace(q.Get("name"))
	req.room = strings.TrimSpace(q.Get("room"))
	if ch.auth != nil {
		claims, why := ch.auth.identify(r)
		if why != "" {
			return req, why, refusedAuth
		}
		if req.name != "" && textrules.Fold(req.name) != textrules.Fold(claims.Subject) {
			return req, fmt.Sprintf("name %q is not the one your token is for, %q", req.name, claims.Subject), refusedAuth
		}
		req.name, req.expires = claims.Subject, claims.Expires
	}
	if why := textrules.CheckName("name", req.name); why != "" {
		return req, why, refusedName
	}
	if req.room == "" {
		req.room = lobby
	} else if why := textrules.CheckName("room name", req.room); why != "" {
		return req, why, refusedBadRequest
	}
	switch format := q.Get("format"); format {
	case "", "text":
	case "json":
		req.json = true
	default:
		return req, `format must be "text" (the default) or "json"`, refusedBadRequest
	}
	if s := q.Get("since"); s != "" {
		id, err := store.ParseID(s)
		if err != nil {
			return req, fmt.Sprintf("since must be the id of a message, such as %s", store.ID{Ms: 1796045000123}), refusedBadRequest
		}
		req.since = &id
	}
	return req, "", 0
}

// refuse closes c with 1008 and the reason a person can read, and returns
// the loop that waits for the closing handshake.
func (ch *chat) refuse(c *Conn, name string, why refusal, reason string) func() bool {
	ch.metrics.refuse(why)
	ch.log.Info("refused", "name", name, "remote", c.RemoteAddr(), "reason", reason)
	c.Close(closePolicyViolation, reason)
	return c.drain
}

// serve runs a participant's session once joined, until it leaves or
// parks; it reports whether the participant left.
func (ch *chat) serve(p *peer) bool {
	c := p.conn
	err := ch.readLoop(p)
	if err == errParked {
		return false
	}
	if p.expiry != nil {
		p.expiry.Stop()
	}
	ch.uploads.revoke(p)
	if ch.hub.remove(p) {
		ch.exited(p, p.room)
		ch.release(p)
		ch.metrics.leaves.Add(1)
		ch.log.Info("leave", "name", p.name, "remote", c.RemoteAddr(), "reason", c.Cause(err))
	}
	c.finish(err)
	return true
}

// readLoop acts on what p sends until the connection ends or parks: a
// message goes to p's room, a command is carried out.
func (ch *chat) readLoop(p *peer) error {
	for {
		op, msg, err := p.conn.ReadMessage()
		if err != nil {
			return err
		}
		if op == opBinary {
			ch.metrics.protocolError(closeUnsupportedData)
			p.conn.Close(closeUnsupportedData, "binary messages are not supported: the chat takes text")
			continue
		}
		ch.metrics.received.Add(1)
		text := textrules.CleanMessage(string(msg))
		if text == "" {
			continue // nothing to say
		}
		if p.lim != nil && !ch.withinLimit(p, p.lim) {
			continue
		}
		if cmd, ok := strings.CutPrefix(text, "/"); ok && !strings.HasPrefix(cmd, "/") {
			ch.command(p, cmd)
			continue
		}
		ch.say(p, strings.TrimPrefix(text, "/")) // "//text" says "/text"
	}
}

// withinLimit applies p's rate limit to a message or command p sent, and
// reports whether it may go ahead. One over the limit is answered with a
// notice to p alone; the maxOverLimit-th in a row closes p with 1008.
func (ch *chat) withinLimit(p *peer, lim *limiter) bool {
	v := lim.check(time.Now())
	if v == withinLimit {
		return true
	}
	ch.metrics.limited.Add(1)
	if v == persistent {
		ch.metrics.drop(dropRateLimit)
		p.conn.Close(closePolicyViolation, ch.tooFastText)
		return false
	}
	p.conn.send(ch.slowDown.pick(p.json))
	return false
}
