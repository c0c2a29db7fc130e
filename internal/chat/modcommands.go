package chat

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"wschat/internal/engine"
	"wschat/internal/textrules"
)

// The moderation commands. Each checks the actor's role over the room's
// record as it stands, changes the record (Chat.change), tells the room
// (announce) and keeps an audit entry. A refusal says why.

// maxTopic is the longest topic, in bytes.
const maxTopic = 300

// maxReason is the longest reason given with a kick, ban, mute or report,
// in bytes.
const maxReason = 300

// moderationHelp is what /help adds with accounts.
const moderationHelp = "; /topic [TEXT] shows or sets the room's topic (/topic - clears it); " +
	"operators: /kick NAME [REASON], /ban NAME [DURATION] [REASON], /unban NAME, /mute NAME [DURATION] [REASON], /unmute NAME, " +
	"/invite NAME, /inviteonly on|off, /delete ID of anyone's message; the owner: /op NAME, /deop NAME, /droproom; " +
	"anyone: /report ID REASON. Durations: 30s, 10m, 2h, 1d, 1w; a ban lasts until /unban unless given one, a mute 10m"

// moderate carries out a moderation command, and reports whether verb
// was one.
func (s *Session) moderate(verb, arg string) bool {
	switch verb {
	case "topic":
		s.topic(arg)
	case "kick", "ban", "mute":
		s.sanction(verb, arg)
	case "unban", "unmute":
		s.lift(verb, arg)
	case "op", "deop":
		s.operator(verb, arg)
	case "invite":
		s.invite(arg)
	case "inviteonly":
		s.inviteOnly(arg)
	case "droproom":
		s.dropRoom()
	case "report":
		id, reason, _ := strings.Cut(arg, " ")
		s.report(id, strings.TrimSpace(reason))
	default:
		return false
	}
	return true
}

// moderating checks that the server has moderation at all.
func (s *Session) moderating() bool {
	if !s.c.opts.Accounts {
		s.answer(CodeNoModeration, "this server has no accounts, so rooms have no owners and nobody moderates them")
		return false
	}
	return true
}

// least returns a refusal unless s has at least want in rec.
func (s *Session) least(rec engine.RoomRecord, want role, what string) *Refusal {
	if s.roleIn(rec) >= want {
		return nil
	}
	who := "an operator"
	if want == roomOwner {
		who = "the room's owner"
	}
	return refuse(CodeNotAllowed, fmt.Sprintf("only %s or an administrator may %s; you are %s", who, what, s.roleIn(rec).title()))
}

// topic shows the room's topic, or sets it (an operator's).
func (s *Session) topic(words string) {
	r := s.c.hub.roomOf(s)
	if words == "" {
		rec, err := s.c.recordOf(r)
		switch {
		case err != nil:
			s.answer(CodeUnavailable, unavailable)
		case rec.Topic == "":
			s.answer(CodeTopic, r.name+" has no topic")
		default:
			s.answer(CodeTopic, "topic of "+r.name+": "+rec.Topic+" (set by "+rec.TopicBy+")")
		}
		return
	}
	if !s.moderating() {
		return
	}
	if len(words) > maxTopic {
		s.answer(CodeUsage, fmt.Sprintf("a topic is at most %d bytes", maxTopic))
		return
	}
	if words == "-" {
		words = ""
	}
	_, ref := s.c.change(r.key, func(next *engine.RoomRecord) *Refusal {
		if ref := s.least(*next, operator, "set the topic"); ref != nil {
			return ref
		}
		next.Topic, next.TopicBy = words, s.name
		return nil
	})
	s.done(r, ref, "topic", "", words, time.Time{})
}

// target reads NAME from a command's argument, and the rest after it.
func (s *Session) target(verb, arg, usage string) (name, key, rest string, ok bool) {
	name, rest, _ = strings.Cut(arg, " ")
	if name == "" {
		s.answer(CodeUsage, "usage: /"+verb+" "+usage)
		return "", "", "", false
	}
	if why := textrules.CheckName("name", name); why != "" {
		s.answer(CodeBadName, why)
		return "", "", "", false
	}
	return name, textrules.Fold(name), strings.TrimSpace(rest), true
}

// over returns a refusal unless s may act on the person key in rec: not
// on oneself, and only on someone of a lesser role.
func (s *Session) over(rec engine.RoomRecord, verb, name, key string) *Refusal {
	if key == s.key {
		return refuse(CodeNotAllowed, "you cannot "+verb+" yourself")
	}
	if theirs, mine := s.c.roleOfKey(rec, key), s.roleIn(rec); theirs >= mine {
		return refuse(CodeNotAllowed, fmt.Sprintf("%s is %s: you cannot %s them", name, theirs.title(), verb))
	}
	return nil
}

// sanction kicks, bans or mutes someone in s's room.
func (s *Session) sanction(verb, arg string) {
	if !s.moderating() {
		return
	}
	name, key, rest, ok := s.target(verb, arg, map[string]string{"kick": "NAME [REASON]", "ban": "NAME [DURATION] [REASON]", "mute": "NAME [DURATION] [REASON]"}[verb])
	if !ok {
		return
	}
	var d time.Duration
	if verb != "kick" {
		first, after, _ := strings.Cut(rest, " ")
		if parsed, ok := parseDuration(first); ok {
			d, rest = parsed, strings.TrimSpace(after)
		}
	}
	s.sanctionFor(verb, name, key, d, rest)
}

// sanctionFor kicks, bans or mutes the person key, called name, for d
// (0: a ban until lifted, a mute for defaultMute), for the reason rest.
func (s *Session) sanctionFor(verb, name, key string, d time.Duration, rest string) {
	if verb == "mute" && d == 0 {
		d = defaultMute
	}
	if len(rest) > maxReason {
		s.answer(CodeUsage, fmt.Sprintf("a reason is at most %d bytes", maxReason))
		return
	}
	r := s.c.hub.roomOf(s)
	var until time.Time
	if d > 0 {
		until = time.Now().Add(d).UTC().Truncate(time.Millisecond)
	}
	if verb == "kick" {
		s.kick(r, name, key, rest)
		return
	}
	_, ref := s.c.change(r.key, func(next *engine.RoomRecord) *Refusal {
		if ref := s.least(*next, operator, verb+" anyone"); ref != nil {
			return ref
		}
		if ref := s.over(*next, verb, name, key); ref != nil {
			return ref
		}
		x := engine.Sanction{Key: key, Name: name, By: s.name, Reason: rest, Until: until}
		if verb == "ban" {
			next.Bans, _ = without(next.Bans, key)
			next.Bans = append(next.Bans, x)
			next.Invited = slices.DeleteFunc(next.Invited, func(k string) bool { return k == key })
			next.Operators = slices.DeleteFunc(next.Operators, func(k string) bool { return k == key })
		} else {
			next.Mutes, _ = without(next.Mutes, key)
			next.Mutes = append(next.Mutes, x)
		}
		return nil
	})
	s.done(r, ref, verb, name, rest, until)
}

// kick takes the person key out of r, wherever they are connected.
func (s *Session) kick(r *room, name, key, reason string) {
	ctx, cancel := call()
	defer cancel()
	rec, err := s.c.moderation.Room(ctx, r.key)
	if err != nil {
		s.answer(CodeUnavailable, unavailable)
		return
	}
	ref := s.least(rec, operator, "kick anyone")
	if ref == nil {
		ref = s.over(rec, "kick", name, key)
	}
	if ref == nil && !s.c.inRoom(ctx, r.key, key) {
		ref = refuse(CodeNotOnline, name+" is not in "+r.name)
	}
	s.done(r, ref, "kick", name, reason, time.Time{})
}

// inRoom reports whether the person key is in the room, on any node, as
// far as its first members tell.
func (c *Chat) inRoom(ctx context.Context, room, key string) bool {
	names, _, err := c.presence.Members(ctx, room, 10*jsonNames)
	return err == nil && slices.ContainsFunc(names, func(n string) bool { return textrules.Fold(n) == key })
}

// onPerson carries out verb NAME in s's room: apply changes the room's
// record for the person key, called name, or refuses; the room hears
// the outcome.
func (s *Session) onPerson(verb, arg string, apply func(next *engine.RoomRecord, r *room, name, key string) *Refusal) {
	if !s.moderating() {
		return
	}
	name, key, _, ok := s.target(verb, arg, "NAME")
	if !ok {
		return
	}
	r := s.c.hub.roomOf(s)
	_, ref := s.c.change(r.key, func(next *engine.RoomRecord) *Refusal { return apply(next, r, name, key) })
	s.done(r, ref, verb, name, "", time.Time{})
}

// lift lifts someone's ban or mute.
func (s *Session) lift(verb, arg string) {
	s.onPerson(verb, arg, func(next *engine.RoomRecord, r *room, name, key string) *Refusal {
		if ref := s.least(*next, operator, verb+" anyone"); ref != nil {
			return ref
		}
		list, what := &next.Bans, "banned"
		if verb == "unmute" {
			list, what = &next.Mutes, "muted"
		}
		var had bool
		if *list, had = without(*list, key); !had {
			return refuse(CodeNoSuchPerson, name+" is not "+what+" in "+r.name)
		}
		return nil
	})
}

// operator makes someone an operator of s's room, or no longer one.
func (s *Session) operator(verb, arg string) {
	s.onPerson(verb, arg, func(next *engine.RoomRecord, r *room, name, key string) *Refusal {
		if ref := s.least(*next, roomOwner, "name operators"); ref != nil {
			return ref
		}
		if key == s.key {
			return refuse(CodeNotAllowed, "you cannot make yourself an operator, or stop being one: the owner or an administrator does")
		}
		has := slices.Contains(next.Operators, key)
		switch {
		case verb == "op" && has:
			return refuse(CodeModeration, name+" is an operator of "+r.name+" already")
		case verb == "op" && key == next.Owner:
			return refuse(CodeNotAllowed, name+" owns "+r.name)
		case verb == "op":
			next.Operators = append(next.Operators, key)
		case !has:
			return refuse(CodeNoSuchPerson, name+" is not an operator of "+r.name)
		default:
			next.Operators = slices.DeleteFunc(next.Operators, func(k string) bool { return k == key })
		}
		return nil
	})
}

// invite lets someone into s's room while it is invite-only.
func (s *Session) invite(arg string) {
	s.onPerson("invite", arg, func(next *engine.RoomRecord, r *room, name, key string) *Refusal {
		if ref := s.least(*next, operator, "invite anyone"); ref != nil {
			return ref
		}
		if _, banned := sanctioned(next.Bans, key, time.Now()); banned {
			return refuse(CodeNotAllowed, name+" is banned from "+r.name+": /unban first")
		}
		if slices.Contains(next.Invited, key) {
			return refuse(CodeModeration, name+" is invited to "+r.name+" already")
		}
		next.Invited = append(next.Invited, key)
		return nil
	})
}

// inviteOnly turns the room's invite-only mode on or off.
func (s *Session) inviteOnly(arg string) {
	if !s.moderating() {
		return
	}
	on := strings.EqualFold(arg, "on")
	if !on && !strings.EqualFold(arg, "off") {
		s.answer(CodeUsage, "usage: /inviteonly on|off")
		return
	}
	r := s.c.hub.roomOf(s)
	_, ref := s.c.change(r.key, func(next *engine.RoomRecord) *Refusal {
		if ref := s.least(*next, operator, "make the room invite-only"); ref != nil {
			return ref
		}
		next.InviteOnly = on
		return nil
	})
	s.done(r, ref, "invite-only", "", strings.ToLower(arg), time.Time{})
}

// dropRoom forgets the room's record: owner, operators, topic, bans and
// all; the next to open it empty owns it.
func (s *Session) dropRoom() {
	if !s.moderating() {
		return
	}
	r := s.c.hub.roomOf(s)
	_, ref := s.c.change(r.key, func(next *engine.RoomRecord) *Refusal {
		if ref := s.least(*next, roomOwner, "remove the room"); ref != nil {
			return ref
		}
		*next = engine.RoomRecord{Key: r.key}
		return nil
	})
	s.done(r, ref, "droproom", "", "", time.Time{})
}
