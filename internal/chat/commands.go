package chat

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"wschat/internal/engine"
	"wschat/internal/store"
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
		"/history [ID] shows the messages before ID, with their ids, or the latest; /search TEXT finds the messages that say TEXT; " +
		"/reply ID TEXT answers a message; /react ID EMOJI puts an emoji on a message, or takes it back; " +
		"/edit ID TEXT and /delete ID change or take back a message of yours; " +
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
		s.rooms(nil)
	case "history":
		s.history(arg, textPage)
	case "search":
		s.search(arg, "")
	case "reply", "edit", "react":
		id, rest, _ := strings.Cut(arg, " ")
		s.act(strings.ToLower(verb), id, strings.TrimSpace(rest))
	case "delete":
		s.remove(arg)
	case "typing":
		if now := time.Now().UnixNano(); time.Duration(now-s.lastTyping) >= typingEvery {
			s.lastTyping = now
			s.c.hub.roomOf(s).typing(s)
		}
	case "help":
		words := helpText
		if s.c.opts.Renew != nil {
			words += tokenHelp
		}
		if s.c.opts.Accounts {
			words += moderationHelp
		} else {
			words += "; /report ID REASON reports a message"
		}
		s.answer(CodeHelp, words)
	case "token":
		s.renew(arg)
	default:
		if s.moderate(strings.ToLower(verb), arg) {
			return
		}
		s.answer(CodeUnknown, fmt.Sprintf("unknown command /%s: /help lists the commands", verb))
	}
}

// act carries out /reply, /edit or /react on the message id.
func (s *Session) act(verb, id, rest string) {
	if id == "" || rest == "" {
		s.answer(CodeUsage, fmt.Sprintf("usage: /%s ID %s", verb, map[string]string{"reply": "TEXT", "edit": "TEXT", "react": "EMOJI"}[verb]))
		return
	}
	switch verb {
	case "reply":
		s.reply(id, rest)
	case "edit":
		s.edit(id, rest)
	case "react":
		s.react(id, rest)
	}
}

// join moves s to the room called name.
func (s *Session) join(name string) {
	if name == "" {
		s.answer(CodeUsage, "usage: /join ROOM")
		return
	}
	if why := textrules.CheckName("room name", name); why != "" {
		s.answer(CodeBadName, why)
		return
	}
	c := s.c
	key := textrules.Fold(name)
	from := c.hub.roomOf(s)
	if key == from.key {
		s.answer(CodeSameRoom, "you are already in "+from.name)
		return
	}
	rec, err := c.admit(s, key, name)
	var r *Refusal
	if errors.As(err, &r) {
		s.answer(r.Code, r.Text)
		return
	}
	place := engine.Place{Room: key, RoomName: name, Name: s.name, Holder: s.holder}
	everyone, err := c.arrive(place)
	if err == nil {
		s.entering = entering{encrypted: c.roomEncrypted(key)}
		s.arrival = c.takeOwnership(s, rec, name, everyone.count <= 1)
		err = c.hub.move(s, name, key, everyone)
		s.arrival = engine.RoomRecord{}
		if err != nil {
			c.depart(place)
		}
	}
	if errors.As(err, &r) {
		s.answer(r.Code, r.Text)
		return
	}
	c.depart(s.placeIn(from))
	from.recount()
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
		s.answer(CodeUnavailable, unavailable)
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
// seen, from a JSON request, names the last message a client saw in
// rooms of its choice (by name): those rooms say how many came since.
func (s *Session) rooms(seen map[string]string) {
	ctx, cancel := call()
	defer cancel()
	all, err := s.c.presence.Rooms(ctx)
	if err != nil {
		s.c.failed("list the rooms", err)
		s.answer(CodeUnavailable, unavailable)
		return
	}
	since := make(map[string]store.ID, len(seen))
	for name, id := range seen {
		if parsed, err := store.ParseID(id); err == nil {
			since[textrules.Fold(name)] = parsed
		}
	}
	out := make([]RoomCount, 0, len(all))
	for _, er := range all {
		rc := RoomCount{Name: er.Name, Count: er.Count}
		if r := s.c.hub.room(er.Key); r != nil {
			r.mu.Lock()
			rc.Messages = r.messages
			r.mu.Unlock()
		}
		last, unread, more := s.c.activity.since(er.Key, since[er.Key])
		if !last.IsZero() {
			rc.Last = last.String()
		}
		if _, ok := since[er.Key]; ok {
			rc.Unread, rc.UnreadMore = unread, more
		}
		out = append(out, rc)
	}
	slices.SortFunc(out, func(a, b RoomCount) int { return cmp.Compare(textrules.Fold(a.Name), textrules.Fold(b.Name)) })
	words := roomsText(out)
	if s.json {
		s.send(jsonPayload(event{Type: "rooms", Rooms: out[:min(len(out), jsonNames)], Count: len(out), Text: words, ClientID: s.req.clientID}))
		return
	}
	s.send(text("* ", words, ""))
}

// renew takes a new token for s's connection, which then lives until the
// new token runs out: a client renews this way before its token does,
// without reconnecting.
func (s *Session) renew(token string) {
	if s.c.opts.Renew == nil {
		s.answer(CodeTokenRefused, "this server does not use tokens")
		return
	}
	subject, expires, err := s.c.opts.Renew(token)
	switch {
	case err != nil:
		s.answer(CodeTokenRefused, "token not taken: "+err.Error())
	case textrules.Fold(subject) != s.key:
		s.answer(CodeTokenRefused, "token not taken: it is for another name")
	default:
		if s.expiry != nil {
			s.expiry.Reset(time.Until(expires))
		}
		if s.json {
			s.send(jsonPayload(event{Type: "renewed", Code: CodeTokenRenewed, Time: expires.UTC().Format(timeFormat)}))
		} else {
			s.answer(CodeTokenRenewed, "token renewed: this connection lasts until "+expires.UTC().Format(time.DateTime)+" UTC")
		}
	}
}
