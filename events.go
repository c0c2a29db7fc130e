package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"wschat/internal/store"
	"wschat/internal/textrules"
)

// Wire formats. The plain text format is one line per frame: "name: text"
// for a message, "alice → bob: text" for a private message and "* ..." for
// a notice. With format=json each frame is one event object; events about
// a room carry its name, and messages their id and time.
type event struct {
	Type      string      `json:"type"` // message, file, private, welcome, join, leave, typing, notice, who, rooms or renewed
	Room      string      `json:"room,omitempty"`
	ID        string      `json:"id,omitempty"`
	Time      string      `json:"time,omitempty"`
	Name      string      `json:"name,omitempty"`
	To        string      `json:"to,omitempty"`
	Text      string      `json:"text,omitempty"`
	Online    []string    `json:"online,omitempty"`
	Count     int         `json:"count,omitempty"`
	Rooms     []roomCount `json:"rooms,omitempty"`
	History   bool        `json:"history,omitempty"`
	Recovered *bool       `json:"recovered,omitempty"`
	File      *fileInfo   `json:"file,omitempty"`
	Upload    string      `json:"upload,omitempty"` // the welcome's upload credential
}

// roomCount is one line of /rooms: a room and how many are in it.
type roomCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	// Messages counts the messages the room has had since the server
	// started: a page compares it with what it saw to show unread counts.
	Messages uint64 `json:"messages"`
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

// message encodes a chat message of room r in the formats its peers read:
// a format nobody there reads is left nil. The caller holds r.mu.
func (r *room) message(id store.ID, m storedMessage, history bool) frames {
	var f frames
	if r.jsonPeers < len(r.peers) {
		f.text = textFrame(m.Name, ": ", m.Text)
	}
	if r.jsonPeers > 0 {
		f.json = jsonFrame(event{Type: m.Type, Room: r.name, ID: id.String(), Time: id.Time().Format(timeFormat),
			Name: m.Name, Text: m.Text, File: m.File, History: history})
	}
	r.compressLocked(&f)
	return f
}

// notRecovered is the notice for a client whose ?since= the room log
// cannot answer in full.
const notRecovered = "some messages since you were last here could not be recovered: the room keeps only its latest"

// privateMessage encodes "alice → bob: text" for p: sent at, or kept in
// a mailbox as id when id is not zero, and replayed when history is set.
func privateMessage(p *peer, m storedMessage, id store.ID, at time.Time, history bool) []byte {
	if !p.json {
		return textFrame(m.Name+" → ", m.To, ": "+m.Text)
	}
	e := event{Type: "private", Time: at.UTC().Format(timeFormat), Name: m.Name, To: m.To, Text: m.Text, History: history}
	if !id.IsZero() {
		e.ID, e.Time = id.String(), id.Time().Format(timeFormat)
	}
	return jsonFrame(e)
}

// notice encodes "* TEXT", a notice for one participant, in both formats.
func notice(text string) frames {
	return frames{text: textFrame("* ", text, ""), json: jsonFrame(event{Type: "notice", Text: text})}
}

// joined encodes "* NAME joined" in both formats.
func joined(room, name string) frames {
	return frames{text: textFrame("* ", name, " joined"), json: jsonFrame(event{Type: "join", Room: room, Name: name})}
}

// left encodes "* NAME left" in both formats.
func left(room, name string) frames {
	return frames{text: textFrame("* ", name, " left"), json: jsonFrame(event{Type: "leave", Room: room, Name: name})}
}

// typing encodes the JSON event that name is typing; text clients never
// get it.
func typing(room, name string) []byte {
	return jsonFrame(event{Type: "typing", Room: room, Name: name})
}

// welcome encodes p's welcome to room r, listing who is in it, p included.
// The lobby's plain welcome reads as it always has; another room's names
// the room. A JSON welcome says "recovered": false when the messages p
// asked for since its last visit are not all there.
func welcome(p *peer, r *room, recovered bool) []byte {
	if p.json {
		e := event{Type: "welcome", Room: r.name, Name: p.name, Online: r.names(jsonNames), Count: len(r.present), Upload: p.upload}
		if !recovered {
			e.Recovered = &recovered
		}
		return jsonFrame(e)
	}
	greeting := "* welcome, "
	if r.key != textrules.Fold(lobby) {
		greeting = "* welcome to " + r.name + ", "
	}
	return textFrame(greeting, p.name, fmt.Sprintf("! %d online: %s", len(r.present), joinNames(r.names(welcomeNames), len(r.present))))
}

// who encodes the answer to /who: who is in room r.
func who(p *peer, r *room) []byte {
	text := fmt.Sprintf("in %s (%d): %s", r.name, len(r.present), joinNames(r.names(welcomeNames), len(r.present)))
	if p.json {
		return jsonFrame(event{Type: "who", Room: r.name, Online: r.names(jsonNames), Count: len(r.present), Text: text})
	}
	return textFrame("* ", text, "")
}

// rooms encodes the answer to /rooms: every room with people in it.
func rooms(p *peer, all []roomCount) []byte {
	parts := make([]string, 0, min(len(all), listedRooms))
	for _, rc := range all[:min(len(all), listedRooms)] {
		parts = append(parts, fmt.Sprintf("%s (%d)", rc.Name, rc.Count))
	}
	text := fmt.Sprintf("%d rooms: %s", len(all), strings.Join(parts, ", "))
	if more := len(all) - len(parts); more > 0 {
		text += fmt.Sprintf(" and %d more", more)
	}
	if p.json {
		return jsonFrame(event{Type: "rooms", Rooms: all[:min(len(all), jsonNames)], Count: len(all), Text: text})
	}
	return textFrame("* ", text, "")
}

// names returns the names of the first n people in room r, each once
// however many connections it has there. The caller holds r.mu.
func (r *room) names(n int) []string {
	out := make([]string, 0, min(len(r.present), n))
	var seen map[string]bool // only when someone is here more than once
	if len(r.present) < len(r.peers) {
		seen = make(map[string]bool, len(r.present))
	}
	for _, p := range r.peers {
		if len(out) == n {
			break
		}
		if seen != nil {
			if seen[p.key] {
				continue
			}
			seen[p.key] = true
		}
		out = append(out, p.name)
	}
	return out
}

// joinNames joins names for a notice, saying how many of total it left out.
func joinNames(names []string, total int) string {
	s := strings.Join(names, ", ")
	if more := total - len(names); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// textFrame encodes the concatenation of a, b and c as one text frame,
// with a single allocation.
func textFrame(a, b, c string) []byte {
	n := len(a) + len(b) + len(c)
	f := appendFrameHeader(make([]byte, 0, maxHeaderSize+n), frameHeader{fin: true, opcode: opText, length: int64(n)})
	f = append(f, a...)
	f = append(f, b...)
	return append(f, c...)
}

// jsonFrame encodes e as one text frame.
func jsonFrame(e event) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("encode chat event: %v", err)) // a struct of strings always encodes
	}
	return encodeFrame(opText, b)
}
