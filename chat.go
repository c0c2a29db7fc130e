package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"wschat/internal/store"
	"wschat/internal/textrules"
)

// chat is the /ws/chat endpoint: names, rooms, commands and notices, and
// the hub that fans messages out.
type chat struct {
	hub     *hub
	history *history
	log     *slog.Logger
	metrics *metrics
	limit   rateLimit
	// Encoded once, for a message over the rate limit: the notice to its
	// sender and the reason it is closed with when it keeps at it.
	slowDown    frames
	tooFastText string
}

func newChat(log *slog.Logger, m *metrics, limit rateLimit, maxRooms int, h *history) *chat {
	return &chat{
		hub:         newHub(maxRooms, m, h),
		history:     h,
		log:         log,
		metrics:     m,
		limit:       limit,
		slowDown:    notice("slow down: the limit is " + limit.describe() + "; this message was not sent"),
		tooFastText: fmt.Sprintf("sending too fast: %d messages in a row over the limit of %s", maxOverLimit, limit.describe()),
	}
}

// handle reads the name, room and format from the query before the
// upgrade. A bad one still gets upgraded, and is then refused with close
// 1008: a reason in a close frame reaches the person, where an HTTP 400
// would be shown by no WebSocket client.
func (ch *chat) handle(r *http.Request) (func(*Conn) func() bool, error) {
	q := r.URL.Query()
	name := strings.TrimSpace(q.Get("name"))
	room := strings.TrimSpace(q.Get("room"))
	refusal, why := textrules.CheckName("name", name), refusedName
	if room == "" {
		room = lobby
	} else if refusal == "" {
		refusal, why = textrules.CheckName("room name", room), refusedBadRequest
	}
	format := q.Get("format")
	if refusal == "" && format != "" && format != "text" && format != "json" {
		refusal, why = `format must be "text" (the default) or "json"`, refusedBadRequest
	}
	var since *store.ID
	if s := q.Get("since"); refusal == "" && s != "" {
		id, err := store.ParseID(s)
		if err != nil {
			refusal, why = fmt.Sprintf("since must be the id of a message, such as %s", store.ID{Ms: 1796045000123}), refusedBadRequest
		}
		since = &id
	}
	return func(c *Conn) func() bool {
		if refusal != "" {
			return ch.refuse(c, name, why, refusal)
		}
		p := &peer{conn: c, name: name, key: textrules.Fold(name), json: format == "json",
			lim: newLimiter(ch.limit, time.Now()), acked: make(chan struct{}, 1)}
		switch err := ch.hub.add(p, room, textrules.Fold(room), since); err {
		case errNameTaken:
			return ch.refuse(c, name, refusedName, fmt.Sprintf("name %q is taken: choose another", p.name))
		case errTooManyRooms:
			return ch.refuse(c, name, refusedRooms, tooManyRooms(ch.hub.maxRooms))
		}
		ch.metrics.joins.Add(1)
		ch.log.Info("join", "name", p.name, "room", room, "remote", c.RemoteAddr())
		return func() bool { return ch.serve(p) }
	}, nil
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
	if ch.hub.remove(p) {
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
