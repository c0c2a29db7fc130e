package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxNameLength is the longest name, in characters.
const maxNameLength = 32

// welcomeNames is how many names the plain text welcome lists; a crowded
// room is summed up after them. The JSON welcome lists everyone, for
// clients that show who is online.
const welcomeNames = 20

// chat is the /ws/chat endpoint: names, notices, and the hub that fans
// messages out.
type chat struct {
	hub     *hub
	log     *slog.Logger
	metrics *metrics
	limit   rateLimit
	// Encoded once, for a message over the rate limit: the notice to its
	// sender and the reason it is closed with when it keeps at it.
	slowDown    frames
	tooFastText string
}

func newChat(log *slog.Logger, m *metrics, limit rateLimit) *chat {
	h := newHub()
	h.metrics = m
	return &chat{
		hub:         h,
		log:         log,
		metrics:     m,
		limit:       limit,
		slowDown:    notice("slow down: the limit is " + limit.describe() + "; this message was not sent"),
		tooFastText: fmt.Sprintf("sending too fast: %d messages in a row over the limit of %s", maxOverLimit, limit.describe()),
	}
}

// handle reads the name and format from the query before the upgrade.
// A bad name still gets upgraded, and is then refused with close 1008: a
// reason in a close frame reaches the person, where an HTTP 400 would be
// shown by no WebSocket client.
func (ch *chat) handle(r *http.Request) (func(*Conn) func() bool, error) {
	q := r.URL.Query()
	name := strings.TrimSpace(q.Get("name"))
	refusal, why := checkName(name), refusedName
	format := q.Get("format")
	if refusal == "" && format != "" && format != "text" && format != "json" {
		refusal, why = `format must be "text" (the default) or "json"`, refusedBadRequest
	}
	return func(c *Conn) func() bool {
		if refusal != "" {
			return ch.refuse(c, name, why, refusal)
		}
		p := &peer{conn: c, name: name, key: foldName(name), json: format == "json", lim: newLimiter(ch.limit, time.Now())}
		if !ch.hub.add(p, ch.welcome(p), ch.joined(p.name)) {
			return ch.refuse(c, name, refusedName, fmt.Sprintf("name %q is taken: choose another", p.name))
		}
		ch.metrics.joins.Add(1)
		ch.log.Info("join", "name", p.name, "remote", c.RemoteAddr())
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
	if ch.hub.remove(p, ch.left(p.name)) {
		ch.metrics.leaves.Add(1)
		ch.log.Info("leave", "name", p.name, "remote", c.RemoteAddr(), "reason", c.Cause(err))
	}
	c.finish(err)
	return true
}

// readLoop broadcasts what p sends until the connection ends or parks.
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
		text := cleanText(string(msg))
		if text == "" {
			continue // nothing to say
		}
		if p.lim != nil && !ch.withinLimit(p, p.lim) {
			continue
		}
		awaitDrained(ch.hub.broadcast(ch.message(p.name, text)))
	}
}

// withinLimit applies p's rate limit to a message p sent, and reports
// whether it may be broadcast. One over the limit is answered with a
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

// checkName returns why name cannot be used, or "" when it can.
func checkName(name string) string {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "name is required: connect to /ws/chat?name=yourname"
	case n > maxNameLength:
		return fmt.Sprintf("name is too long: at most %d characters", maxNameLength)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_-.", r) {
			return `name may use only letters, digits, "_", "-" and "."`
		}
	}
	return ""
}

// foldName maps a name to a key that is the same for every spelling that
// differs only in case (the simple case folding strings.EqualFold uses):
// each character becomes the smallest one it folds to.
func foldName(name string) string {
	var b strings.Builder
	for _, r := range name {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}

// cleanText makes a message safe to show on one line after its sender's
// name: control characters (newlines among them), line and paragraph
// separators and bidirectional overrides become spaces, so the text can
// neither start a line of its own, posing as another participant or as a
// server notice, nor reorder what is shown around it. Surrounding white
// space is trimmed; an empty result means there is nothing to send.
func cleanText(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) || unicode.Is(unicode.Bidi_Control, r) {
			return ' '
		}
		return r
	}, s))
}

// Wire formats. The plain text format is one line per frame: "name: text"
// for a message and "* ..." for a notice. With format=json each frame is
// one event object.
type event struct {
	Type   string   `json:"type"` // message, welcome, join, leave or notice
	Name   string   `json:"name,omitempty"`
	Text   string   `json:"text,omitempty"`
	Online []string `json:"online,omitempty"`
}

// message encodes a chat message in both formats.
func (ch *chat) message(name, text string) frames {
	return frames{
		text: textFrame(name, ": ", text),
		json: jsonFrame(event{Type: "message", Name: name, Text: text}),
	}
}

// notice encodes "* TEXT", a notice for one participant, in both formats.
func notice(text string) frames {
	return frames{text: textFrame("* ", text, ""), json: jsonFrame(event{Type: "notice", Text: text})}
}

// joined encodes "* NAME joined" in both formats.
func (ch *chat) joined(name string) frames {
	return frames{text: textFrame("* ", name, " joined"), json: jsonFrame(event{Type: "join", Name: name})}
}

// left encodes "* NAME left" in both formats.
func (ch *chat) left(name string) frames {
	return frames{text: textFrame("* ", name, " left"), json: jsonFrame(event{Type: "leave", Name: name})}
}

// welcome returns the builder of p's welcome, which the hub calls with
// everyone online, p included.
func (ch *chat) welcome(p *peer) func([]*peer) []byte {
	return func(online []*peer) []byte {
		if p.json {
			names := make([]string, len(online))
			for i, o := range online {
				names[i] = o.name
			}
			return jsonFrame(event{Type: "welcome", Name: p.name, Online: names})
		}
		names := make([]string, 0, min(len(online), welcomeNames))
		for _, o := range online[:min(len(online), welcomeNames)] {
			names = append(names, o.name)
		}
		list := strings.Join(names, ", ")
		if more := len(online) - len(names); more > 0 {
			list += fmt.Sprintf(" and %d more", more)
		}
		return textFrame("* welcome, ", p.name, fmt.Sprintf("! %d online: %s", len(online), list))
	}
}

// textFrame encodes the concatenation of a, b and c as one text frame,
// with a single allocation.
func textFrame(a, b, c string) []byte {
	n := len(a) + len(b) + len(c)
	f := appendFrameHeader(make([]byte, 0, maxHeaderSize+n), frameHeader{fin: true, opcode: opText, length: int64(n)})
	f = append(f, a...)
	f = append(f, b...)
	return append(f, c...)
}

// jsonFrame encodes e as one text frame.
func jsonFrame(e event) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("encode chat event: %v", err)) // a struct of strings always encodes
	}
	return encodeFrame(opText, b)
}
