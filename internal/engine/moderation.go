package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Moderation keeps what the people who run rooms decide, on every node:
// each room's record (owner, operators, topic, invitations, bans and
// mutes), the reports of messages, and the audit log of every
// moderation action. The chat decides who may do what; an engine keeps
// the records within their bounds, and changes a room's record only as
// one step over the record the change was made from.
type Moderation interface {
	// Room returns room's record; a room nobody has set anything for
	// has the zero record, with only its Key.
	Room(ctx context.Context, room string) (RoomRecord, error)
	// Put replaces the record old (as Room returned it) with next. It
	// fails with ErrChanged when the record is no longer old, and with
	// a *BoundError when next's owner would own more rooms than
	// ModerationLimits.Owned, or next holds more than List entries in
	// one of its lists. A next with nothing in it removes the record.
	Put(ctx context.Context, old, next RoomRecord) error
	// Report keeps a report. It fails with a *BoundError when its
	// reporter has Limits.ReportsEach reports kept already; past
	// Limits.Reports in all, the oldest is dropped.
	Report(ctx context.Context, r Report) error
	// Reports returns the newest n reports, newest first.
	Reports(ctx context.Context, n int) ([]Report, error)
	// Audit keeps an entry of the audit log; past Limits.Audit entries
	// the oldest is dropped.
	Audit(ctx context.Context, e AuditEntry) error
	// AuditLog returns the newest n entries, newest first.
	AuditLog(ctx context.Context, n int) ([]AuditEntry, error)
}

// ModerationLimits bound what Moderation keeps. Zero values take the
// defaults given.
type ModerationLimits struct {
	Owned       int // rooms one account may own; default 20
	List        int // entries in each list of a room's record (operators, invitations, bans, mutes); default 1000
	Reports     int // reports kept in all; default 1000
	ReportsEach int // reports of one reporter kept; default 20
	Audit       int // audit log entries kept; default 10,000
}

// WithDefaults returns l with its zero values set.
func (l ModerationLimits) WithDefaults() ModerationLimits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.Owned, 20)
	def(&l.List, 1000)
	def(&l.Reports, 1000)
	def(&l.ReportsEach, 20)
	def(&l.Audit, 10_000)
	return l
}

// ErrChanged is Put's error when the room's record changed after it was
// read: the caller reads it again and decides anew.
var ErrChanged = errors.New("engine: the room's record changed meanwhile")

// BoundError is a refusal of what would take a moderation record past
// one of its bounds.
type BoundError struct {
	Bound string // "owned", "list" or "reports-each"
	Max   int
}

func (e *BoundError) Error() string {
	return fmt.Sprintf("engine: past the bound of %d %s", e.Max, e.Bound)
}

// RoomRecord is what a room keeps of its moderation, by the room's key.
// People are named by their name's key (accounts), with the name as
// spelled beside it for the words.
type RoomRecord struct {
	Key        string     `json:"key"`
	Name       string     `json:"name,omitempty"`  // the room as spelled by its owner
	Owner      string     `json:"owner,omitempty"` // the owner's key; "" for none
	OwnerName  string     `json:"owner_name,omitempty"`
	Operators  []string   `json:"ops,omitempty"` // keys
	Topic      string     `json:"topic,omitempty"`
	TopicBy    string     `json:"topic_by,omitempty"`
	InviteOnly bool       `json:"invite_only,omitempty"`
	Invited    []string   `json:"invited,omitempty"` // keys
	Bans       []Sanction `json:"bans,omitempty"`
	Mutes      []Sanction `json:"mutes,omitempty"`
}

// Sanction is one ban or mute: of whom, by whom, why, and until when.
type Sanction struct {
	Key    string    `json:"key"`
	Name   string    `json:"name"`
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
	Until  time.Time `json:"until,omitzero"` // zero: until lifted
}

// Empty reports whether r holds nothing, so that no record is kept.
func (r RoomRecord) Empty() bool {
	return r.Owner == "" && len(r.Operators) == 0 && r.Topic == "" && !r.InviteOnly &&
		len(r.Invited) == 0 && len(r.Bans) == 0 && len(r.Mutes) == 0
}

// Check returns a *BoundError when one of r's lists holds more than
// max entries.
func (r RoomRecord) Check(max int) error {
	if len(r.Operators) > max || len(r.Invited) > max || len(r.Bans) > max || len(r.Mutes) > max {
		return &BoundError{Bound: "list", Max: max}
	}
	return nil
}

// Encode is r as kept: "" for an empty record.
func (r RoomRecord) Encode() string {
	if r.Empty() {
		return ""
	}
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("engine: encode a room record: %v", err)) // strings and times always encode
	}
	return string(b)
}

// DecodeRoom reads a record Encode wrote, for the room key; "" is the
// empty record.
func DecodeRoom(key, s string) (RoomRecord, error) {
	r := RoomRecord{Key: key}
	if s == "" {
		return r, nil
	}
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return RoomRecord{Key: key}, fmt.Errorf("engine: read room %q's record: %w", key, err)
	}
	return r, nil
}

// Report is a message someone reported to a room's operators and the
// administrators: the message's words, and nothing else of the room's.
type Report struct {
	Time     time.Time `json:"time"`
	Room     string    `json:"room"`
	ID       string    `json:"id"`     // the message's id
	Author   string    `json:"author"` // who wrote it
	Text     string    `json:"text"`   // what it says
	Reason   string    `json:"reason"`
	By       string    `json:"by"`       // the reporter's name
	Reporter string    `json:"reporter"` // the participant charged with it
}

// AuditEntry is one moderation action: who did what, to whom, where,
// when and why. It holds no message's words.
type AuditEntry struct {
	Time   time.Time `json:"time"`
	Room   string    `json:"room"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	Reason string    `json:"reason,omitempty"`
	Until  time.Time `json:"until,omitzero"`
}
