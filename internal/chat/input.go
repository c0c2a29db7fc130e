package chat

import (
	"bytes"
	"encoding/json"
	"fmt"

	"wschat/internal/store"
	"wschat/internal/textrules"
)

// JSON requests. A client of the JSON format may send, instead of plain
// text, one JSON object a frame:
//
//	{"type":"message","text":"hi","reply_to":ID}   a message, of several lines if it likes
//	{"type":"private","to":"bob","text":"psst"}    a private message
//	{"type":"edit","id":ID,"text":"hello"}         its own message, edited
//	{"type":"delete","id":ID}                      its own message, deleted
//	{"type":"react","id":ID,"emoji":"👍"}           a reaction put on, or taken back
//	{"type":"history","before":ID,"limit":50}      a page of older messages
//	{"type":"search","text":"word","before":ID}    messages that say it
//	{"type":"rooms","seen":{"go":ID}}              the rooms, with unread counts
//	{"type":"message","sealed":{...}}              an encrypted message (sealed.go)
//	{"type":"private","to":"bob","sealed":{...}}   an encrypted private message
//	{"type":"ban","name":"eve","duration":"1d","reason":"spam"}
//	                                               a moderation command (modcommands.go)
//
// Any of them may carry "client_id", at most maxClientID bytes the
// client chose: the events that answer the request carry it back (the
// message itself, or an error). A frame that is not such an object is
// plain text, as ever: "{hi}" is a message, and so is an object of some
// other type.

// maxClientID is the longest client_id a request may carry, in bytes.
const maxClientID = 64

// maxSeen is how many rooms a rooms request may say it has seen.
const maxSeen = 100

// clientRequest is a JSON request, as a client sends it.
type clientRequest struct {
	Type     string            `json:"type"`
	ClientID string            `json:"client_id"`
	Text     string            `json:"text"`
	To       string            `json:"to"`
	ID       string            `json:"id"`
	ReplyTo  string            `json:"reply_to"`
	Emoji    string            `json:"emoji"`
	Before   string            `json:"before"`
	Limit    int               `json:"limit"`
	Seen     map[string]string `json:"seen"`
	Sealed   json.RawMessage   `json:"sealed"`
	// Moderation's (modcommands.go).
	Name     string `json:"name"`
	Duration string `json:"duration"`
	Reason   string `json:"reason"`
	On       *bool  `json:"on"`
}

// requestTypes are the types of JSON request.
var requestTypes = map[string]bool{"message": true, "private": true, "edit": true, "delete": true,
	"react": true, "history": true, "search": true, "rooms": true,
	"topic": true, "kick": true, "ban": true, "unban": true, "mute": true, "unmute": true, "op": true, "deop": true,
	"invite": true, "inviteonly": true, "droproom": true, "report": true}

// request is what the session's reader is answering: set while it
// carries out one message of its client's, and read by nobody else.
type request struct {
	object   bool     // a JSON request: refusals are error events
	clientID string   // to echo on what answers it
	refused  bool     // it was answered with why it was not done
	kept     store.ID // the message it kept in the room, if any
	once     bool     // its client_id was taken (receipts.go): it is acknowledged, or its id forgotten
	handed   bool     // its message was handed to the pipeline, whose finisher settles it
}

// parseRequest reads msg as a JSON request. It reports false when msg is
// plain text; a request of a known type that is malformed is returned
// with the reason.
func parseRequest(msg []byte) (clientRequest, string, bool) {
	var rq clientRequest
	trimmed := bytes.TrimSpace(msg)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return rq, "", false
	}
	var head struct {
		Type     string          `json:"type"`
		ClientID json.RawMessage `json:"client_id"`
	}
	if json.Unmarshal(trimmed, &head) != nil || !requestTypes[head.Type] {
		return rq, "", false
	}
	if err := json.Unmarshal(trimmed, &rq); err != nil {
		rq = clientRequest{Type: head.Type}
		json.Unmarshal(head.ClientID, &rq.ClientID) // echoed if it reads
		if len(rq.ClientID) > maxClientID {
			rq.ClientID = ""
		}
		return rq, fmt.Sprintf("a %s request that does not read: %v", head.Type, err), true
	}
	switch {
	case len(rq.ClientID) > maxClientID:
		rq.ClientID = ""
		return rq, fmt.Sprintf("client_id is longer than %d bytes", maxClientID), true
	case len(rq.Seen) > maxSeen:
		return rq, fmt.Sprintf("seen names more than %d rooms", maxSeen), true
	}
	return rq, "", true
}

// do carries out a JSON request.
func (s *Session) do(rq clientRequest) {
	switch rq.Type {
	case "message", "private":
		if rq.Sealed != nil {
			s.sendSealed(rq)
			return
		}
	}
	switch rq.Type {
	case "message":
		words := textrules.CleanLines(rq.Text)
		switch {
		case words == "":
			s.answer(CodeUsage, "a message needs some text")
		case rq.ReplyTo != "":
			s.reply(rq.ReplyTo, words)
		default:
			s.keep(s.message(words))
		}
	case "private":
		s.private(rq.To, textrules.CleanLines(rq.Text))
	case "edit":
		s.edit(rq.ID, textrules.CleanLines(rq.Text))
	case "delete":
		s.remove(rq.ID)
	case "react":
		s.react(rq.ID, rq.Emoji)
	case "history":
		s.history(rq.Before, rq.Limit)
	case "search":
		s.search(rq.Text, rq.Before)
	case "rooms":
		s.rooms(rq.Seen)
	default:
		s.moderateJSON(rq)
	}
}

// answer tells s why what its client just asked for was not done: as an
// error event carrying the request's client_id for a JSON request, as a
// notice otherwise. Only the reader calls it.
func (s *Session) answer(c Code, words string) {
	s.req.refused = true
	s.answerTo(s.req, c, words)
}

// answerTo is answer for the request rq, which the reader may have moved
// on from.
func (s *Session) answerTo(rq request, c Code, words string) {
	if rq.object {
		s.send(jsonPayload(event{Type: "error", Code: c, Text: words, ClientID: rq.clientID}))
		return
	}
	s.tell(c, words)
}

// message is a chat message of s's with words, as its room keeps it.
func (s *Session) message(words string) message {
	return message{Type: "message", Name: s.name, Text: words, Owner: s.owner, ClientID: s.req.clientID}
}

// keep posts m to s's room, and tells s if it could not; the people a
// message mentions elsewhere are told (mentions.go). Where the broker
// pipelines, a message that mentions nobody is handed over without
// waiting for it to be kept (pipeline.go).
func (s *Session) keep(m message) {
	if m.isPost() && m.Sealed == nil && s.c.hub.roomOf(s).encrypted.Load() {
		s.answer(CodeRoomEncrypted, roomEncrypted)
		return
	}
	if s.startPost(m) {
		return
	}
	s.awaitPosts()
	id, r := s.post(m)
	s.req.kept = id
	switch {
	case r != nil:
		s.answer(r.Code, r.Text)
	case m.Type == "message":
		s.mention(id, m)
	}
}
