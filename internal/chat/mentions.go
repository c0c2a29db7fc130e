package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"wschat/internal/store"
	"wschat/internal/textrules"
)

// Mentions. A message that names someone with @name reaches everyone in
// its room as any message does, and their client marks the name; whoever
// it names who is online elsewhere, in another room of this node or of
// another, is told besides: a "mention" event in JSON (room, id, who,
// what), "* bob mentioned you in go: ..." in plain text. Nothing is kept
// of it: the message is in its room's history.

// maxMentions is how many different people one message tells at most.
const maxMentions = 5

// mentioned returns the keys of the names text mentions with @, each
// once, at most maxMentions of them.
func mentioned(text string) []string {
	var keys []string
	for i := 0; i < len(text) && len(keys) < maxMentions; i++ {
		if text[i] != '@' || i > 0 && isNameByte(text, i-1) {
			continue
		}
		j := i + 1
		for j < len(text) {
			r, size := utf8.DecodeRuneInString(text[j:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '.' {
				break
			}
			j += size
		}
		name := strings.TrimRight(text[i+1:j], ".-")
		if textrules.CheckName("name", name) == "" {
			if k := textrules.Fold(name); !contains(keys, k) {
				keys = append(keys, k)
			}
		}
		i = j - 1
	}
	return keys
}

// isNameByte reports whether the character ending at text[i] could be
// part of a name, so an @ after it is inside a word (an address).
func isNameByte(text string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(text[:i+1])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func contains(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// mention tells the people the message m, kept as id in s's room,
// mentions and who are elsewhere, on this node and the others.
func (s *Session) mention(id store.ID, m message) {
	keys := mentioned(m.Text)
	if len(keys) == 0 {
		return
	}
	room := s.c.hub.roomOf(s)
	note := message{Type: "mention", Name: s.name, To: room.name, Text: m.Text, Target: id.String()}
	payload := encodeMessage(note)
	for _, k := range keys {
		if k == s.key {
			continue
		}
		s.c.tellMentioned(k, note)
		ctx, cancel := call()
		s.c.broker.Private(ctx, k, payload) // the other nodes; best effort
		cancel()
	}
}

// tellMentioned tells the sessions here of the name key that are not in
// the room note names that they were mentioned there.
func (c *Chat) tellMentioned(key string, note message) {
	roomKey := textrules.Fold(note.To)
	for _, s := range c.hub.find(key) {
		if c.hub.roomOf(s).key == roomKey {
			continue
		}
		if s.json {
			id, _ := store.ParseID(note.Target)
			s.send(jsonPayload(event{Type: "mention", Room: note.To, ID: note.Target, Time: id.Time().Format(timeFormat), Name: note.Name, Text: note.Text}))
		} else {
			s.send(text("* ", note.Name, " mentioned you in "+note.To+": "+strings.ReplaceAll(note.Text, "\n", lineBreak)))
		}
	}
}
