package chat

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"wschat/internal/engine"
)

// Reports. Anyone may report a message of their room with a reason: the
// report is kept (engine.Moderation.Report, within the reporter's
// share) and told at once to the room's owner and operators and to the
// administrators who are online, on any node. A participant (all its
// connections, and its reconnections) reports at most reportBurst at once
// and reportRate a second after that.

const (
	reportBurst = 3
	reportRate  = 1.0 / 20
)

// report reports the message idText of s's room, for reason.
func (s *Session) report(idText, reason string) {
	if idText == "" || reason == "" {
		s.answer(CodeUsage, "usage: /report ID REASON")
		return
	}
	if len(reason) > maxReason {
		s.answer(CodeUsage, fmt.Sprintf("a reason is at most %d bytes", maxReason))
		return
	}
	if !s.c.people.takeReport(s.p, time.Now()) {
		s.answer(CodeReportLimit, fmt.Sprintf("you may report %d messages at once, then one every %s: this report was not sent", reportBurst, time.Duration(float64(time.Second)/reportRate)))
		return
	}
	t, ref := s.inspect(idText)
	if ref != nil {
		s.answer(ref.Code, ref.Text)
		return
	}
	r := s.c.hub.roomOf(s)
	rep := engine.Report{Time: time.Now().UTC(), Room: r.name, ID: idText, Author: t.m.Name, Text: t.m.Text,
		Reason: reason, By: s.name, Reporter: s.p.key}
	ctx, cancel := call()
	err := s.c.moderation.Report(ctx, rep)
	cancel()
	var b *engine.BoundError
	switch {
	case errors.As(err, &b):
		s.answer(CodeReportLimit, fmt.Sprintf("you have %d reports waiting already, the most one may: wait for them to be dealt with", b.Max))
		return
	case err != nil:
		s.answer(CodeUnavailable, s.c.failed("keep a report", err).(*Refusal).Text)
		return
	}
	s.c.audit(engine.AuditEntry{Room: r.name, Actor: s.name, Action: "report", Target: t.m.Name, Reason: reason})
	s.answer(CodeReported, "reported "+t.m.Name+"'s message to the operators of "+r.name+" and the administrators")
	s.c.passOn(r, message{Type: "report", Name: s.name, To: r.name, Target: idText, ReplyName: t.m.Name, Text: reason, Quote: t.m.Text})
}

// passOn tells a report to the room's owner and operators and to the
// administrators, here and on the other nodes.
func (c *Chat) passOn(r *room, note message) {
	rec, _ := c.recordOf(r) // without it, the administrators are still told
	keys := slices.Concat([]string{rec.Owner}, rec.Operators, c.adminKeys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	payload := encodeMessage(note)
	for _, k := range keys {
		if k == "" {
			continue
		}
		c.tellReport(k, note)
		ctx, cancel := call()
		c.broker.Private(ctx, k, payload) // the other nodes; best effort
		cancel()
	}
	// The administrators by token claim, wherever they are connected.
	c.tellTokenAdmins(note, keys)
	ctx, cancel := call()
	c.broker.Private(ctx, "", payload)
	cancel()
}

// tellTokenAdmins tells the administrators by token claim connected
// here of a report, but for those told already (told).
func (c *Chat) tellTokenAdmins(note message, told []string) {
	for _, k := range c.tokenAdmins.keys() {
		if !slices.Contains(told, k) {
			c.tellReport(k, note)
		}
	}
}

// tellReport tells the sessions here of the name key of a report.
func (c *Chat) tellReport(key string, note message) {
	for _, s := range c.hub.find(key) {
		if s.json {
			s.send(jsonPayload(event{Type: "report", Room: note.To, ID: note.Target, Name: note.Name, To: note.ReplyName,
				Text: note.Text, Quote: note.Quote, Time: time.Now().UTC().Format(timeFormat)}))
		} else {
			s.send(text("* ", note.Name, " reported "+note.ReplyName+"'s message "+note.Target+" in "+note.To+": "+note.Text+
				" (it says: "+strings.ReplaceAll(note.Quote, "\n", lineBreak)+")"))
		}
	}
}
