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
	Type      string      `json:"type"` // message, file, private, welcome, join, leave, typing, notice, who, rooms or renewed
	Code      Code        `json:"code,omitempty"`
	Room      string      `json:"room,omitempty"`
	ID        string      `json:"id,omitempty"`
	Time      string      `json:"time,omitempty"`
	Name      string      `json:"name,omitempty"`
	To        string      `json:"to,omitempty"`
	Text      string      `json:"text,omitempty"`
	Online    []string    `json:"online,omitempty"`
	Count     int         `json:"count,omitempty"`
	Rooms     []RoomCount `json:"rooms,omitempty"`
	History   bool        `json:"history,omitempty"`
	Recovered *bool       `json:"recovered,omitempty"`
	File      *FileInfo   `json:"file,omitempty"`
	Upload    string      `json:"upload,omitempty"` // the welcome's upload credential
}

// RoomCount is one line of /rooms: a room and how many are in it.
type RoomCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	// Messages counts the messages the room has had since it opened on
	// this node: a page compares it with what it saw to show unread counts.
	Messages uint64 `json:"messages"`
}

// message is what the room log keeps of a chat, file or private message:
// enough to encode it again, in either format, exactly as it was sent.
type message struct {
	Type string    `json:"type"` // "message", "file" or "private"
	Name string    `json:"name"`
	To   string    `json:"to,omitempty"` // a private message's recipient
	Text string    `json:"text"`
	File *FileInfo `json:"file,omitempty"` // a shared file's
}

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

// roomEvent is the JSON event of m, kept as id in room.
func roomEvent(room string, id store.ID, m message, history bool) event {
	return event{Type: m.Type, Room: room, ID: id.String(), Time: id.Time().Format(timeFormat),
		Name: m.Name, To: m.To, Text: m.Text, File: m.File, History: history}
}

// line is the plain text line of m.
func (m message) line() []byte {
	if m.Type == "private" {
		return text(m.Name+" → ", m.To, ": "+m.Text)
	}
	return text(m.Name, ": ", m.Text)
}

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
