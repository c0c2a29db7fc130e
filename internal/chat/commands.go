package chat

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"wschat/internal/engine"
	"wschat/internal/textrules"
)

// A text message that starts with "/" is a command: it is carried out,
// never broadcast as a chat message, and what it answers goes to its
// sender alone, beyond what the command itself delivers (a private
// message, a typing event). "//text" is the message "/text".

// typingEvery is the least time between two typing events of one sender:
// one more within it goes nowhere.
const typingEvery = 2 * time.Second

// helpText is the answer to /help; tokenHelp is added where tokens are on.
const (
	helpText = "commands: /join ROOM moves you to ROOM; /msg NAME TEXT sends NAME a private message; " +
		"/who lists who is in the room; /rooms lists the rooms; /typing tells the room you are typing; " +
		"/help shows this; //text sends a message that starts with /"
	tokenHelp = "; /token TOKEN renews a connection's token"
)

// isTyping reports whether the command line cmd is /typing.
func isTyping(cmd string) bool {
	verb, _, _ := strings.Cut(cmd, " ")
	return strings.EqualFold(verb, "typing")
}

// command carries out the command line cmd ("join go", say) that s sent.
func (s *Session) command(cmd string) {
	verb, arg, _ := strings.Cut(cmd, " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToLower(verb) {
	case "join":
		s.join(arg)
	case "msg":
		to, words, _ := strings.Cut(arg, " ")
		s.private(to, strings.TrimSpace(words))
	case "who":
		s.who()
	case "rooms":
		s.rooms()
	case "typing":
		if now := time.Now().UnixNano(); time.Duration(now-s.lastTyping) >= typingEvery {
			s.lastTyping = now
			s.c.hub.roomOf(s).typing(s)
		}
	case "help":
		if s.c.opts.Renew != nil {
			s.tell(CodeHelp, helpText+tokenHelp)
		} else {
			s.tell(CodeHelp, helpText)
		}
	case "token":
		s.renew(arg)
	default:
		s.tell(CodeUnknown, fmt.Sprintf("unknown command /%s: /help lists the commands", verb))
	}
}

// join moves s to the room called name.
func (s *Session) join(name string) {
	if name == "" {
		s.tell(CodeUsage, "usage: /join ROOM")
		return
	}
	if why := textrules.CheckName("room name", name); why != "" {
		s.tell(CodeBadName, why)
		return
	}
	c := s.c
	key := textrules.Fold(name)
	from := c.hub.roomOf(s)
	if key == from.key {
		s.tell(CodeSameRoom, "you are already in "+from.name)
		return
	}
	place := engine.Place{Room: key, RoomName: name, Name: s.name, Holder: s.holder}
	everyone, err := c.arrive(place)
	if err == nil {
		err = c.hub.move(s, name, key, everyone)
		if err != nil {
			c.depart(place)
		}
	}
	var r *Refusal
	if errors.As(err, &r) {
		s.tell(r.Code, r.Text)
		return
	}
	c.depart(s.placeIn(from))
	c.log.Info("move", "name", s.name, "from", from.name, "to", name)
	s.startReplay(c.hub.roomOf(s), replayFrom{fromEnd: true, last: c.opts.Replay}, false)
}

// who answers /who: who is in s's room, on every node.
func (s *Session) who() {
	r := s.c.hub.roomOf(s)
	ctx, cancel := call()
	defer cancel()
	names, count, err := s.c.presence.Members(ctx, r.key, jsonNames)
	if err != nil {
		s.c.failed("list a room's members", err)
		s.tell(CodeUnavailable, unavailable)
		return
	}
	r.mu.Lock()
	names, count = r.names(roster{names, count}, jsonNames)
	r.mu.Unlock()
	words := fmt.Sprintf("in %s (%d): %s", r.name, count, joinNames(names[:min(len(names), welcomeNames)], count))
	if s.json {
		s.send(jsonPayload(event{Type: "who", Room: r.name, Online: names, Count: count, Text: words}))
		return
	}
	s.send(text("* ", words, ""))
}

// rooms answers /rooms: the rooms with someone in them, on every node.
func (s *Session) rooms() {
	ctx, cancel := call()
	defer cancel()
	all, err := s.c.presence.Rooms(ctx)
	if err != nil {
		s.c.failed("list the rooms", err)
		s.tell(CodeUnavailable, unavailable)
		return
	}
	out := make([]RoomCount, 0, len(all))
	for _, er := range all {
		rc := RoomCount{Name: er.Name, Count: er.Count}
		if r := s.c.hub.room(er.Key); r != nil {
			r.mu.Lock()
			rc.Messages = r.messages
			r.mu.Unlock()
		}
		out = append(out, rc)
	}
	slices.SortFunc(out, func(a, b RoomCount) int { return cmp.Compare(textrules.Fold(a.Name), textrules.Fold(b.Name)) })
	words := roomsText(out)
	if s.json {
		s.send(jsonPayload(event{Type: "rooms", Rooms: out[:min(len(out), jsonNames)], Count: len(out), Text: words}))
		return
	}
	s.send(text("* ", words, ""))
}

// renew takes a new token for s's connection, which then lives until the
// new token runs out: a client renews this way before its token does,
// without reconnecting.
func (s *Session) renew(token string) {
	if s.c.opts.Renew == nil {
		s.tell(CodeTokenRefused, "this server does not use tokens")
		return
	}
	subject, expires, err := s.c.opts.Renew(token)
	switch {
	case err != nil:
		s.tell(CodeTokenRefused, "token not taken: "+err.Error())
	case textrules.Fold(subject) != s.key:
		s.tell(CodeTokenRefused, "token not taken: it is for another name")
	default:
		if s.expiry != nil {
			s.expiry.Reset(time.Until(expires))
		}
		if s.json {
			s.send(jsonPayload(event{Type: "renewed", Code: CodeTokenRenewed, Time: expires.UTC().Format(timeFormat)}))
		} else {
			s.tell(CodeTokenRenewed, "token renewed: this connection lasts until "+expires.UTC().Format(time.DateTime)+" UTC")
		}
	}
}
