package chat

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"wschat/internal/engine"
	"wschat/internal/textrules"
)

// Moderation. With accounts, whoever opens a room that has no owner owns
// it, and may name operators; the server's administrators (Options.Admins,
// or a token's admin claim) may do everything, in every room. The
// engine keeps each room's record (engine.Moderation): owner, operators,
// topic, invitations, bans and mutes, across restarts and nodes. Every
// change is made over the record as it stands, then told to the room as
// a kept "moderation" message, which every node hands its members: a
// node forgets its copy of the room's record then, and closes the
// connections a kick or ban names (room.enforce). Every action goes to
// the audit log. Without accounts, rooms have no owners and nobody
// moderates.

// role is what a person may do in a room, each more than the last.
type role int

const (
	member role = iota
	operator
	roomOwner
	admin
)

// String is the role as events name it: "" for a member.
func (r role) String() string { return [...]string{"", "operator", "owner", "admin"}[r] }

// title is the role in words, after "is".
func (r role) title() string {
	return [...]string{"a member", "an operator", "the room's owner", "an administrator"}[r]
}

// roleIn is s's role in the room whose record is rec.
func (s *Session) roleIn(rec engine.RoomRecord) role {
	if s.admin {
		return admin
	}
	return roleOf(rec, s.key)
}

// roleOf is the role the record rec gives the person whose key is key.
func roleOf(rec engine.RoomRecord, key string) role {
	switch {
	case rec.Owner != "" && rec.Owner == key:
		return roomOwner
	case slices.Contains(rec.Operators, key):
		return operator
	}
	return member
}

// roleOfKey is the role of the person whose key is key in the room of
// rec, an administrator counted as one when the chat knows it: by
// Options.Admins, or by a connection of theirs on this node.
func (c *Chat) roleOfKey(rec engine.RoomRecord, key string) role {
	if c.admins[key] {
		return admin
	}
	for _, s := range c.hub.find(key) {
		if s.admin {
			return admin
		}
	}
	return roleOf(rec, key)
}

// sanctioned returns key's ban or mute in list that has not run out.
func sanctioned(list []engine.Sanction, key string, now time.Time) (engine.Sanction, bool) {
	for _, x := range list {
		if x.Key == key && (x.Until.IsZero() || now.Before(x.Until)) {
			return x, true
		}
	}
	return engine.Sanction{}, false
}

// withoutExpired returns list without the sanctions that ran out by now.
func withoutExpired(list []engine.Sanction, now time.Time) []engine.Sanction {
	return slices.DeleteFunc(slices.Clone(list), func(x engine.Sanction) bool { return !x.Until.IsZero() && !now.Before(x.Until) })
}

// without returns list without key's entry, and whether it had one.
func without(list []engine.Sanction, key string) ([]engine.Sanction, bool) {
	out := slices.DeleteFunc(slices.Clone(list), func(x engine.Sanction) bool { return x.Key == key })
	return out, len(out) < len(list)
}

// changeTries is how often a change is made again over a record that
// another moderator changed meanwhile.
const changeTries = 5

// change makes edit to the record of the room key, over the record as it
// stands (its run-out sanctions dropped); edit refuses to change
// anything by returning a refusal. It returns the record as changed.
func (c *Chat) change(key string, edit func(*engine.RoomRecord) *Refusal) (engine.RoomRecord, *Refusal) {
	for range changeTries {
		ctx, cancel := call()
		old, err := c.moderation.Room(ctx, key)
		if err != nil {
			cancel()
			return old, c.failed("read a room's record", err).(*Refusal)
		}
		now := time.Now()
		next := old
		next.Operators, next.Invited = slices.Clone(old.Operators), slices.Clone(old.Invited)
		next.Bans, next.Mutes = withoutExpired(old.Bans, now), withoutExpired(old.Mutes, now)
		if r := edit(&next); r != nil {
			cancel()
			return old, r
		}
		err = c.moderation.Put(ctx, old, next)
		cancel()
		var b *engine.BoundError
		switch {
		case err == nil:
			return next, nil
		case errors.Is(err, engine.ErrChanged):
			continue
		case errors.As(err, &b) && b.Bound == "owned":
			return old, refuse(CodeOwnedLimit, fmt.Sprintf("you own %d rooms, the most one may: remove one (/droproom) to own another", b.Max))
		case errors.As(err, &b):
			return old, refuse(CodeListFull, fmt.Sprintf("a room keeps at most %d bans, mutes, operators and invitations each: lift some first", b.Max))
		default:
			return old, c.failed("change a room's record", err).(*Refusal)
		}
	}
	return engine.RoomRecord{}, refuse(CodeBusy, "others changed the room's record at the same moment: try again")
}

// recordOf returns the moderation record of r, from r's copy or read
// from the engine. Without accounts every room has the empty one.
func (c *Chat) recordOf(r *room) (engine.RoomRecord, error) {
	if !c.opts.Accounts {
		return engine.RoomRecord{Key: r.key}, nil
	}
	r.mu.Lock()
	rec, ok, gen := r.mod, r.modOK, r.modGen
	r.mu.Unlock()
	if ok {
		return rec, nil
	}
	ctx, cancel := call()
	defer cancel()
	rec, err := c.moderation.Room(ctx, r.key)
	if err != nil {
		return rec, err
	}
	r.mu.Lock()
	if r.modGen == gen { // no change was told meanwhile
		r.mod, r.modOK = rec, true
	}
	r.mu.Unlock()
	return rec, nil
}

// admit reads the record of the room key, which s is about to enter,
// and refuses s when it is banned there, or the room is invite-only
// and s not invited.
func (c *Chat) admit(s *Session, key, name string) (engine.RoomRecord, error) {
	if !c.opts.Accounts {
		return engine.RoomRecord{Key: key}, nil
	}
	ctx, cancel := call()
	defer cancel()
	rec, err := c.moderation.Room(ctx, key)
	if err != nil {
		return rec, c.failed("read a room's record", err)
	}
	role := s.roleIn(rec)
	if b, ok := sanctioned(rec.Bans, s.key, time.Now()); ok && role < admin {
		return rec, refuse(CodeBanned, banWords(name, b))
	}
	if rec.InviteOnly && role == member && !slices.Contains(rec.Invited, s.key) {
		return rec, refuse(CodeInviteOnly, name+" is invite-only: an operator of the room may invite you (/invite)")
	}
	return rec, nil
}

// banWords tells someone banned from room why.
func banWords(room string, b engine.Sanction) string {
	words := "you are banned from " + room + " by " + b.By
	if b.Until.IsZero() {
		words += " until the ban is lifted"
	} else {
		words += " until " + b.Until.UTC().Format("2006-01-02 15:04") + " UTC"
	}
	if b.Reason != "" {
		words += ": " + b.Reason
	}
	return words
}

// takeOwnership makes s the owner of the room of rec, which s has just
// opened, when it has none: with accounts, in any room but the lobby. It
// returns the record as it stands, and tells s when it could not.
func (c *Chat) takeOwnership(s *Session, rec engine.RoomRecord, name string, alone bool) engine.RoomRecord {
	if !c.opts.Accounts || !alone || rec.Owner != "" || rec.Key == lobby {
		return rec
	}
	next, r := c.change(rec.Key, func(next *engine.RoomRecord) *Refusal {
		if next.Owner != "" {
			return refuse(CodeModeration, "") // someone else took it first
		}
		next.Owner, next.OwnerName, next.Name = s.key, s.name, name
		return nil
	})
	switch {
	case r == nil:
		c.audit(engine.AuditEntry{Room: name, Actor: s.name, Action: "own"})
	case r.Code == CodeOwnedLimit:
		s.tell(r.Code, r.Text+"; "+name+" has no owner")
	}
	return next
}

// audit keeps an entry of the audit log; one that cannot be kept is
// logged instead.
func (c *Chat) audit(e engine.AuditEntry) {
	e.Time = time.Now().UTC()
	ctx, cancel := call()
	defer cancel()
	if err := c.moderation.Audit(ctx, e); err != nil {
		c.log.Warn("keep an audit entry", "action", e.Action, "room", e.Room, "err", err)
	}
}

// outdate forgets r's copy of its record, for a moderation message
// about to be delivered: the next use reads it again.
func (r *room) outdate() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.modGen++
	r.modOK, r.mod = false, engine.RoomRecord{}
}

// enforce closes the members a kick or ban delivered to r names, with
// the reason, after the message itself.
func (r *room) enforce(m message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	code := map[string]Code{"kick": CodeKicked, "ban": CodeBanned}[m.Action]
	if code == "" {
		return
	}
	words := moderationCloseWords(r.name, m)
	key := textrules.Fold(m.To)
	for _, s := range r.members {
		if s.key == key {
			s.t.Close(Reason(code, words))
		}
	}
}

// moderationCloseWords is the reason a kicked or banned person's
// connection is closed with.
func moderationCloseWords(room string, m message) string {
	words := "you were kicked from " + room + " by " + m.Name
	if m.Action == "ban" {
		words = "you are banned from " + room + " by " + m.Name
		if m.Until == "" {
			words += " until the ban is lifted"
		} else if t, err := time.Parse(timeFormat, m.Until); err == nil {
			words += " until " + t.UTC().Format("2006-01-02 15:04") + " UTC"
		}
	}
	if m.Text != "" {
		words += ": " + m.Text
	}
	return words
}

// mutedIn returns a refusal when s is muted in r.
func (s *Session) mutedIn(r *room) *Refusal {
	if !s.c.opts.Accounts {
		return nil
	}
	rec, err := s.c.recordOf(r)
	if err != nil {
		return s.c.failed("read a room's record", err).(*Refusal)
	}
	if x, ok := sanctioned(rec.Mutes, s.key, time.Now()); ok && s.roleIn(rec) < admin {
		return refuse(CodeMuted, fmt.Sprintf("you are muted in %s by %s until %s UTC: nothing you send reaches the room", r.name, x.By, x.Until.UTC().Format("2006-01-02 15:04")))
	}
	return nil
}

// adminSet counts the connections here of administrators by token
// claim, by name key, so that reports reach them.
type adminSet struct {
	mu    sync.Mutex
	count map[string]int
}

// add counts n more connections of key.
func (a *adminSet) add(key string, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.count == nil {
		a.count = make(map[string]int)
	}
	if a.count[key] += n; a.count[key] <= 0 {
		delete(a.count, key)
	}
}

// keys lists the administrators connected here.
func (a *adminSet) keys() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.count))
	for k := range a.count {
		out = append(out, k)
	}
	return out
}

// dropAdmin uncounts s among the administrators connected here, for a
// session that never got in.
func (s *Session) dropAdmin() {
	if s.admin && !s.c.admins[s.key] {
		s.c.tokenAdmins.add(s.key, -1)
	}
}
