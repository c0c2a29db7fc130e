package chat

import (
	"wschat/internal/sealed"
	"wschat/internal/textrules"
)

// Encrypted messages (docs/encryption.md). A client that encrypts sends
// {"type":"message","sealed":{...}} to its room, or {"type":"private",
// "to":NAME,"sealed":{...}}: the chat cannot read them. It checks the
// sealed object's envelope (package sealed), keeps and passes on only
// that, and shows it to plain text clients as "[encrypted message]".
// The first sealed message in a room flags the room as encrypted, for
// good and on every node (engine.Directory): newcomers are told so, and
// messages in clear to it are refused.

// encryptedText stands for an encrypted message's text in the plain
// text format.
const encryptedText = "[encrypted message]"

// Words of the refusal of a message in clear to an encrypted room, and
// of the notice to a plain text client entering one.
const (
	roomEncrypted     = "this room is encrypted: only encrypted messages may be sent to it (use a client that has the room's passphrase)"
	roomEncryptedHere = "this room is encrypted: its messages show as " + encryptedText + " here"
)

// entering is what a session's reader learnt of the room it is about to
// enter, before the room's lock is taken.
type entering struct {
	encrypted bool // the room is flagged encrypted
}

// sendSealed sends the sealed message of a JSON request: to s's room,
// or privately to rq.To.
func (s *Session) sendSealed(rq clientRequest) {
	if rq.Type == "private" {
		if rq.To == "" {
			s.answer(CodeUsage, `a private message needs "to"`)
			return
		}
		b, err := sealed.CheckPrivate(rq.Sealed, s.name, textrules.Fold(rq.To), textrules.Fold)
		if err != nil {
			s.answer(CodeBadSealed, "not sent: "+err.Error())
			return
		}
		m := message{Type: "private", Name: s.name, To: rq.To, Sealed: b, ClientID: s.req.clientID}
		if r := s.sendPrivate(m); r != nil {
			s.answer(r.Code, r.Text)
		}
		return
	}
	b, err := sealed.CheckRoom(rq.Sealed, s.name)
	if err != nil {
		s.answer(CodeBadSealed, "not sent: "+err.Error())
		return
	}
	if r := s.encryptRoom(); r != nil {
		s.answer(r.Code, r.Text)
		return
	}
	s.keep(message{Type: "message", Name: s.name, Sealed: b, Owner: s.owner, ClientID: s.req.clientID})
}

// encryptRoom flags s's room as encrypted, if it is not yet.
func (s *Session) encryptRoom() *Refusal {
	r := s.c.hub.roomOf(s)
	if r.encrypted.Load() {
		return nil
	}
	ctx, cancel := call()
	defer cancel()
	if err := s.c.dir.Encrypt(ctx, r.key); err != nil {
		s.c.failed("flag a room as encrypted", err)
		if isUnavailable(err) {
			return refuse(CodeUnavailable, unavailable)
		}
		return refuse(CodeNotStored, "your message was not sent: the server could not flag the room as encrypted; try again later")
	}
	r.encrypted.Store(true)
	return nil
}

// roomEncrypted reports whether the room whose key is key is flagged
// encrypted. When the directory cannot say, the room is taken as not:
// a sealed message flags it again.
func (c *Chat) roomEncrypted(key string) bool {
	ctx, cancel := call()
	defer cancel()
	enc, err := c.dir.Encrypted(ctx, key)
	if err != nil {
		c.failed("read whether a room is encrypted", err)
	}
	return enc
}

// RoomEncrypted reports whether s's room is encrypted: files shared
// there must be sealed.
func (s *Session) RoomEncrypted() bool {
	r := s.c.hub.roomOf(s)
	return r != nil && r.encrypted.Load()
}
