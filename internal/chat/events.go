package chat

import (
	"encoding/json"
	"fmt"
	"strings"

	"wschat/internal/store"
)

// Wire formats. The plain text format is one line per frame: "name: text"
// for a message, "alice → bob: text" for a private message and "* ..." for
// a notice. With format=json each frame is one event object; events about
// a room carry its name, messages their id and time, and notices and
// refusals a machine-readable code. The chat builds payloads; the
// Encoder frames them.
type event struct {
	// message, file, private, edit, delete, react, welcome, join, leave,
	// count, typing, notice, error, who, rooms, renewed, history, search,
	// mention, moderation, room, report or ack
	Type      string          `json:"type"`
	Code      Code            `json:"code,omitempty"`
	Room      string          `json:"room,omitempty"`
	ID        string          `json:"id,omitempty"` // a message's; an action's: the message it acts on
	Time      string          `json:"time,omitempty"`
	Name      string          `json:"name,omitempty"`
	To        string          `json:"to,omitempty"`
	Text      string          `json:"text,omitempty"`
	Online    []string        `json:"online,omitempty"`
	Count     int             `json:"count,omitempty"`
	Rooms     []RoomCount     `json:"rooms,omitempty"`
	History   bool            `json:"history,omitempty"`
	Repeat    bool            `json:"repeat,omitempty"` // an ack's: the request was taken before, and not carried out again
	Recovered *bool           `json:"recovered,omitempty"`
	File      *FileInfo       `json:"file,omitempty"`
	Sealed    json.RawMessage `json:"sealed,omitempty"`    // an encrypted message's sealed object (docs/encryption.md)
	Encrypted bool            `json:"encrypted,omitempty"` // the welcome's: the room is encrypted
	Upload    string          `json:"upload,omitempty"`    // the welcome's upload credential

	ReplyTo   string     `json:"reply_to,omitempty"`   // the id of the message a message answers
	ReplyName string     `json:"reply_name,omitempty"` // and who wrote that one
	Edited    bool       `json:"edited,omitempty"`     // a message's text is not the first it had
	Reactions []Reaction `json:"reactions,omitempty"`  // a message's reactions, as they stand
	Emoji     string     `json:"emoji,omitempty"`      // a reaction's
	On        *bool      `json:"on,omitempty"`         // a reaction put on, or taken back
	ActionID  string     `json:"action_id,omitempty"`  // an action's own id in the room's history
	ClientID  string     `json:"client_id,omitempty"`  // what the client named the request this answers

	// Moderation (moderation.go): a moderation event's action, and until
	// when a ban or mute lasts; a room event's topic, owner, the
	// reader's role and whether the room is invite-only.
	Action     string `json:"action,omitempty"`
	Until      string `json:"until,omitempty"`
	Topic      string `json:"topic,omitempty"`
	Owner      string `json:"owner,omitempty"`
	Role       string `json:"role,omitempty"`
	InviteOnly bool   `json:"invite_only,omitempty"`
	Quote      string `json:"quote,omitempty"` // a report's: the words of the message reported

	Messages []event `json:"messages,omitempty"` // a page of history, or what a search found
	Before   string  `json:"before,omitempty"`   // where the page after this one ends
	More     bool    `json:"more,omitempty"`     // there is more before Before
	Partial  bool    `json:"partial,omitempty"`  // a search read only part of the room's history
}

// Reaction is one emoji on a message: how many put it there, and who.
type Reaction struct {
	Emoji string   `json:"emoji"`
	Count int      `json:"count"`
	Names []string `json:"names"` // the first maxReactionNames of them, in the order they reacted
}

// RoomCount is one line of /rooms: a room and how many are in it.
type RoomCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	// Messages counts the messages the room has had since it opened on
	// this node.
	Messages uint64 `json:"messages"`
	// Last is the id of the room's newest message this node has seen;
	// Unread, how many came after the id a client said it saw there
	// (see rooms request), UnreadMore that there may be more than that.
	Last       string `json:"last,omitempty"`
	Unread     int    `json:"unread,omitempty"`
	UnreadMore bool   `json:"unread_more,omitempty"`
}

// message is what the room log keeps of a chat, file or private
// message, or of an action on a message (an edit, a deletion, a
// reaction): enough to encode it again, in either format, exactly as it
// was sent. An action is a record of its own that names the message it
// acts on, so the log stays append-only; a replay folds the actions
// into the messages they act on (fold.go).
type message struct {
	Type string    `json:"type"` // "message", "file", "private", "moderation", or an action: "edit", "delete", "react"
	Name string    `json:"name"`
	To   string    `json:"to,omitempty"` // a private message's recipient; an action's, who wrote the message acted on
	Text string    `json:"text,omitempty"`
	File *FileInfo `json:"file,omitempty"` // a shared file's
	// An encrypted message's sealed object, checked and re-encoded
	// (package sealed): Text is empty then, and nobody but its readers
	// knows what it says.
	Sealed json.RawMessage `json:"sealed,omitempty"`

	ReplyTo   string `json:"reply_to,omitempty"`   // a message's: the id of the one it answers
	ReplyName string `json:"reply_name,omitempty"` // and who wrote that one
	Target    string `json:"target,omitempty"`     // an action's: the id of the message it acts on
	Emoji     string `json:"emoji,omitempty"`      // a reaction's
	On        bool   `json:"on,omitempty"`         // a reaction's: put on, or taken back
	Owner     string `json:"owner,omitempty"`      // a message's: who may edit or delete it (Session.owner)
	ClientID  string `json:"client_id,omitempty"`  // what the sender's client named it
	Action    string `json:"action,omitempty"`     // a moderation's: what was done (moderation.go)
	Until     string `json:"until,omitempty"`      // a moderation's: when a ban or mute ends
	Quote     string `json:"quote,omitempty"`      // a report's: the words of the message reported
}

// isAction reports whether m is an action on another message.
func (m message) isAction() bool { return m.Type == "edit" || m.Type == "delete" || m.Type == "react" }

// isPost reports whether m is a message of a room's that actions may act
// on: a chat message or a shared file.
func (m message) isPost() bool { return m.Type == "message" || m.Type == "file" }

// isLine reports whether m is a line of a room's of its own, which a
// replay counts: a post, or a moderation message.
func (m message) isLine() bool { return m.isPost() || m.Type == "moderation" }

// FileInfo is what a file message says of its file.
type FileInfo struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Lists in notices and welcomes are cut short in a crowd: a plain text
// line names the first welcomeNames, a JSON event the first jsonNames,
// and says how many there are in all.
const (
	welcomeNames = 20
	jsonNames    = 200
	listedRooms  = 50
)

// timeFormat is how events write a time: RFC 3339 in UTC, to the
// millisecond.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// roomEvent is the JSON event of m, kept as id in room. An action's
// event names the message it acts on as its id, and its own as
// action_id.
func roomEvent(room string, id store.ID, m message, history bool) event {
	e := event{Type: m.Type, Room: room, ID: id.String(), Time: id.Time().Format(timeFormat),
		Name: m.Name, To: m.To, Text: m.Text, File: m.File, Sealed: m.Sealed, History: history,
		ReplyTo: m.ReplyTo, ReplyName: m.ReplyName, ClientID: m.ClientID}
	if m.isAction() {
		e.ID, e.ActionID = m.Target, id.String()
		if m.Type == "react" {
			e.Emoji, e.On = m.Emoji, &m.On
		}
	}
	e.Action, e.Until = m.Action, m.Until
	return e
}

// line is the plain text line of m. A message's line breaks show as
// " ⏎ ", so that every message is one line after its sender's name.
func (m message) line() []byte {
	words := strings.ReplaceAll(m.Text, "\n", lineBreak)
	if m.Sealed != nil {
		words = encryptedText
	}
	switch m.Type {
	case "private":
		return text(m.Name+" → ", m.To, ": "+words)
	case "edit":
		return text("* ", m.Name, " edited: "+words)
	case "delete":
		return text("* ", m.Name, " deleted a message")
	case "moderation":
		return text("* ", m.Name, " "+moderationWords(m))
	case "react":
		if m.On {
			return text("* ", m.Name, " reacted "+m.Emoji+" to "+m.To+"'s message")
		}
		return text("* ", m.Name, " took back "+m.Emoji+" from "+m.To+"'s message")
	}
	if m.ReplyTo != "" {
		words = "[reply to " + m.ReplyName + "] " + words
	}
	return text(m.Name, ": ", words)
}

// lineBreak is how a line break inside a message shows in the plain text
// format: nothing a client prints can start a line of its own.
const lineBreak = " ⏎ "

// notRecovered is the notice for a client whose ?since= the room cannot
// answer in full.
const notRecovered = "some messages since you were last here could not be recovered: the room keeps only its latest"

// payloads is one event in both formats.
type payloads struct{ text, json []byte }

func (p payloads) pick(json bool) []byte {
	if json {
		return p.json
	}
	return p.text
}

// notice is "* TEXT" for one participant, in both formats.
func notice(c Code, words string) payloads {
	return payloads{text: text("* ", words, ""), json: jsonPayload(event{Type: "notice", Code: c, Text: words})}
}

// joined is "* NAME joined" in both formats.
func joined(room, name string) payloads {
	return payloads{text: text("* ", name, " joined"), json: jsonPayload(event{Type: "join", Room: room, Name: name})}
}

// left is "* NAME left" in both formats.
func left(room, name string) payloads {
	return payloads{text: text("* ", name, " left"), json: jsonPayload(event{Type: "leave", Room: room, Name: name})}
}

// roomsText is the answer to /rooms in words.
func roomsText(all []RoomCount) string {
	parts := make([]string, 0, min(len(all), listedRooms))
	for _, rc := range all[:min(len(all), listedRooms)] {
		parts = append(parts, fmt.Sprintf("%s (%d)", rc.Name, rc.Count))
	}
	s := fmt.Sprintf("%d rooms: %s", len(all), strings.Join(parts, ", "))
	if more := len(all) - len(parts); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// joinNames joins names for a notice, saying how many of total it left out.
func joinNames(names []string, total int) string {
	s := strings.Join(names, ", ")
	if more := total - len(names); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// text concatenates a, b and c with a single allocation.
func text(a, b, c string) []byte {
	p := make([]byte, 0, len(a)+len(b)+len(c))
	p = append(p, a...)
	p = append(p, b...)
	return append(p, c...)
}

// jsonPayload encodes e.
func jsonPayload(e event) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("encode chat event: %v", err)) // a struct of strings always encodes
	}
	return b
}
