package main

import (
	"fmt"
	"strings"
	"time"

	"wschat/internal/textrules"
)

// A text message that starts with "/" is a command: it is carried out,
// never broadcast as a chat message, and what it answers goes to its
// sender alone, beyond what the command itself delivers (a private
// message, a typing event). "//text" is the message "/text".

// typingEvery is the least time between two typing events of one sender:
// one more within it goes nowhere.
const typingEvery = 2 * time.Second

// helpText is the answer to /help.
const helpText = "commands: /join ROOM moves you to ROOM; /msg NAME TEXT sends NAME a private message; " +
	"/who lists who is in the room; /rooms lists the rooms; /typing tells the room you are typing; " +
	"/help shows this; //text sends a message that starts with /; /token TOKEN renews a connection's token"

// command carries out the command line cmd ("join go", say) that p sent.
func (ch *chat) command(p *peer, cmd string) {
	verb, arg, _ := strings.Cut(cmd, " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToLower(verb) {
	case "join":
		ch.join(p, arg)
	case "msg":
		to, text, _ := strings.Cut(arg, " ")
		ch.private(p, to, strings.TrimSpace(text))
	case "who":
		ch.who(p)
	case "rooms":
		ch.rooms(p)
	case "typing":
		if now := time.Now(); now.Sub(p.lastTyping) >= typingEvery {
			p.lastTyping = now
			p.room.typing(p)
		}
	case "help":
		tell(p, helpText)
	case "token":
		ch.renew(p, arg)
	default:
		tell(p, fmt.Sprintf("unknown command /%s: /help lists the commands", verb))
	}
}

// join moves p to the room called name.
func (ch *chat) join(p *peer, name string) {
	if name == "" {
		tell(p, "usage: /join ROOM")
		return
	}
	if why := textrules.CheckName("room name", name); why != "" {
		tell(p, why)
		return
	}
	if b := ch.history.shared; b != nil && !b.up.Load() {
		tell(p, noRedis)
		return
	}
	from := p.room
	switch err := ch.hub.move(p, name, textrules.Fold(name)); err {
	case errSameRoom:
		tell(p, "you are already in "+p.room.name)
	case errTooManyRooms:
		tell(p, tooManyRooms(ch.hub.maxRooms))
	case nil:
		ch.exited(p, from)
		ch.entered(p)
		ch.log.Info("move", "name", p.name, "from", from.name, "to", p.room.name)
	}
}

// who answers /who: who is in p's room, on every node with -redis.
func (ch *chat) who(p *peer) {
	r := p.room
	if b := ch.history.shared; b != nil {
		names, _, err := b.members(r.key)
		if err != nil {
			tell(p, noRedis)
			return
		}
		p.conn.send(whoNames(p, r.name, names))
		return
	}
	r.mu.Lock()
	p.conn.send(who(p, r))
	r.mu.Unlock()
}

// rooms answers /rooms: the rooms with someone in them, on every node
// with -redis.
func (ch *chat) rooms(p *peer) {
	all := ch.hub.roomCounts()
	if b := ch.history.shared; b != nil {
		var err error
		if all, err = b.roomCounts(all); err != nil {
			tell(p, noRedis)
			return
		}
	}
	p.conn.send(rooms(p, all))
}

// renew takes a new token for p's connection, which then lives until the
// new token runs out: a client renews this way before its token does,
// without reconnecting.
func (ch *chat) renew(p *peer, token string) {
	if ch.auth == nil {
		tell(p, "this server does not use tokens")
		return
	}
	c, err := ch.auth.verifier.Verify(token)
	switch {
	case err != nil:
		tell(p, "token not taken: "+err.Error())
	case textrules.Fold(c.Subject) != p.key:
		tell(p, "token not taken: it is for another name")
	default:
		p.expiry.Reset(time.Until(c.Expires))
		if p.json {
			p.conn.send(jsonFrame(event{Type: "renewed", Time: c.Expires.UTC().Format(timeFormat)}))
		} else {
			tell(p, "token renewed: this connection lasts until "+c.Expires.UTC().Format(time.DateTime)+" UTC")
		}
	}
}

// tell sends p a notice.
func tell(p *peer, text string) {
	p.conn.send(notice(text).pick(p.json))
}
