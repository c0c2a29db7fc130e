package chat

import (
	"fmt"
	"time"

	"wschat/internal/engine"
	"wschat/internal/textrules"
)

// What a moderation command comes to: the room's moderation message and
// its words, the audit entry, and the commands as JSON requests.

// done answers a moderation command: its refusal, or else the room is
// told what s did (a moderation message everyone gets) and the audit
// log keeps it.
func (s *Session) done(r *room, ref *Refusal, action, target, words string, until time.Time) {
	if ref != nil {
		s.answer(ref.Code, ref.Text)
		return
	}
	m := message{Type: "moderation", Action: action, Name: s.name, To: target, Text: words, ClientID: s.req.clientID}
	if !until.IsZero() {
		m.Until = until.Format(timeFormat)
	}
	reason := words
	if action == "topic" || action == "invite-only" {
		reason = "" // not a reason: said in the room
	}
	s.c.audit(engine.AuditEntry{Room: r.name, Actor: s.name, Action: action, Target: target, Reason: reason, Until: until})
	s.c.log.Info("moderation", "room", r.name, "actor", s.name, "action", action, "target", target)
	if _, ref := s.post(m); ref != nil {
		s.answer(ref.Code, ref.Text)
	}
}

// moderationWords is a moderation message in words, after its actor's
// name.
func moderationWords(m message) string {
	reason := ""
	if m.Text != "" {
		reason = ": " + m.Text
	}
	until := " until lifted"
	if t, err := time.Parse(timeFormat, m.Until); err == nil {
		until = " until " + t.UTC().Format("2006-01-02 15:04") + " UTC"
	}
	switch m.Action {
	case "topic":
		if m.Text == "" {
			return "cleared the topic"
		}
		return "set the topic: " + m.Text
	case "kick":
		return "kicked " + m.To + reason
	case "ban":
		return "banned " + m.To + until + reason
	case "mute":
		return "muted " + m.To + until + reason
	case "unban":
		return "lifted " + m.To + "'s ban"
	case "unmute":
		return "lifted " + m.To + "'s mute"
	case "op":
		return "made " + m.To + " an operator"
	case "deop":
		return "took " + m.To + "'s operator role"
	case "invite":
		return "invited " + m.To
	case "invite-only":
		if m.Text == "on" {
			return "made the room invite-only"
		}
		return "opened the room to everyone"
	case "droproom":
		return "removed the room's owner, operators, topic and bans"
	}
	return m.Action + " " + m.To
}

// moderateJSON carries out a moderation command sent as a JSON request:
// {"type":"kick","name":NAME,"reason":...}, "ban" and "mute" with
// "duration" too, "unban", "unmute", "op", "deop" and "invite" with
// "name", {"type":"topic","text":...}, {"type":"inviteonly","on":true},
// {"type":"droproom"}, {"type":"report","id":ID,"reason":...}.
func (s *Session) moderateJSON(rq clientRequest) {
	switch rq.Type {
	case "topic":
		s.topic(textrules.CleanMessage(rq.Text))
	case "kick", "ban", "mute":
		if !s.moderating() {
			return
		}
		name, key, _, ok := s.target(rq.Type, rq.Name, "NAME")
		if !ok {
			return
		}
		var d time.Duration
		if rq.Duration != "" {
			if d, ok = parseDuration(rq.Duration); !ok || rq.Type == "kick" {
				s.answer(CodeUsage, fmt.Sprintf("%q is not a duration: durations look like 30s, 10m, 2h, 1d or 1w", rq.Duration))
				return
			}
		}
		s.sanctionFor(rq.Type, name, key, d, textrules.CleanMessage(rq.Reason))
	case "inviteonly":
		on := "off"
		if rq.On != nil && *rq.On {
			on = "on"
		}
		s.inviteOnly(on)
	case "report":
		s.report(rq.ID, textrules.CleanMessage(rq.Reason))
	default:
		s.moderate(rq.Type, rq.Name)
	}
}
