package chat

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"wschat/internal/bytesize"
	"wschat/internal/textrules"
)

// Sharing files. A JSON session is handed a credential in its welcome
// ("upload"), with which its client may upload files to the rooms the
// session is in (package main serves the upload): the room then gets a
// message for the file, kept in its history like any other.

// uploads maps the credentials handed out to their sessions.
type uploads struct {
	mu           sync.Mutex
	byCredential map[string]*Session
}

// grant hands a JSON session an upload credential.
func (u *uploads) grant(s *Session) {
	if !s.json {
		return
	}
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	s.upload = hex.EncodeToString(b)
	u.mu.Lock()
	u.byCredential[s.upload] = s
	u.mu.Unlock()
}

// revoke takes back s's credential, once s has left.
func (u *uploads) revoke(s *Session) {
	if s.upload == "" {
		return
	}
	u.mu.Lock()
	delete(u.byCredential, s.upload)
	u.mu.Unlock()
}

// Uploader returns the session an upload to room comes from: the one
// credential was handed to, or with subject (an account's token) any
// session of that account; it must be in room. It returns a *Refusal
// when there is none.
func (c *Chat) Uploader(credential, subject, room string) (*Session, error) {
	sessions, err := c.holders(credential, subject)
	if err != nil {
		return nil, err
	}
	if room == "" {
		room = lobby
	}
	if s := c.hub.inRoom(sessions, textrules.Fold(room)); s != nil {
		return s, nil
	}
	return nil, refuse(CodeNotInRoom, fmt.Sprintf("you are not in %s: join it to share files there", room))
}

// PrivateUploader returns the session a file shared privately comes
// from: the one credential was handed to, or with subject (an account's
// token) one of that account's. It returns a *Refusal when there is none.
func (c *Chat) PrivateUploader(credential, subject string) (*Session, error) {
	sessions, err := c.holders(credential, subject)
	if err != nil {
		return nil, err
	}
	if len(sessions) == 0 {
		return nil, refuse(CodeAuthRequired, "you are not connected: connect to share files")
	}
	return sessions[0], nil
}

// holders returns the sessions credential, or subject's token, stands for.
func (c *Chat) holders(credential, subject string) ([]*Session, error) {
	if subject != "" {
		return c.hub.find(textrules.Fold(subject)), nil
	}
	c.uploads.mu.Lock()
	s := c.uploads.byCredential[credential]
	c.uploads.mu.Unlock()
	if s == nil {
		return nil, refuse(CodeAuthRequired, "that credential is not one of a connection that is open")
	}
	return []*Session{s}, nil
}

// Credential reports whether credential is one the chat handed out.
func (c *Chat) Credential(credential string) bool {
	c.uploads.mu.Lock()
	defer c.uploads.mu.Unlock()
	return c.uploads.byCredential[credential] != nil
}

// Share posts a file message from s to its room: "alice: [file] NAME
// (SIZE) URL" for text clients, the file's details in JSON. It reports
// whether the message was kept and delivered.
func (s *Session) Share(f FileInfo) bool {
	if s.RoomEncrypted() {
		s.tell(CodeRoomEncrypted, roomEncrypted)
		return false
	}
	words := fmt.Sprintf("[file] %s (%s) %s", f.Name, bytesize.Approx(f.Size), f.URL)
	if _, r := s.post(message{Type: "file", Name: s.name, File: &f, Text: words, Owner: s.owner}); r != nil {
		s.tell(r.Code, r.Text)
		return false
	}
	return true
}

// ShareWith sends a file from s to the participant called to, as a
// private message: the two of them get its link, and nobody else. It
// returns a *Refusal when the message could not be delivered (to is
// not online, or has no mailbox, say).
func (s *Session) ShareWith(to string, f FileInfo) error {
	words := fmt.Sprintf("[file] %s (%s) %s", f.Name, bytesize.Approx(f.Size), f.URL)
	if r := s.sendPrivate(message{Type: "private", Name: s.name, To: to, Text: words, File: &f}); r != nil {
		return r
	}
	return nil
}

// Reaches reports whether a private message from s to the participant
// called to could be delivered now, as far as can be told before trying:
// it returns the *Refusal one would get when nobody of that name is
// online (without accounts), or there is no such account.
func (s *Session) Reaches(to string) error {
	if why := textrules.CheckName("name", to); why != "" {
		return refuse(CodeBadName, why)
	}
	c := s.c
	key := textrules.Fold(to)
	if len(c.hub.find(key)) > 0 || c.opts.Accounts && c.opts.MailFor != nil && c.opts.MailFor(key, to) {
		return nil
	}
	ctx, cancel := call()
	defer cancel()
	online, err := c.presence.Online(ctx, key)
	switch {
	case err != nil:
		return c.failed("find a name", err)
	case !online && !c.opts.Accounts:
		return refuse(CodeNotOnline, fmt.Sprintf("%s is not online", to))
	}
	return nil
}

// RoomName is the name of the room s is in now.
func (s *Session) RoomName() string { return s.c.hub.roomOf(s).name }

// Allow applies s's message rate to something it does beside its
// messages (an upload), and reports whether it may.
func (s *Session) Allow() bool {
	if s.p.lim == nil || s.c.allow(s.p, time.Now()) == withinLimit {
		return true
	}
	s.c.Stats.Limited.Add(1)
	return false
}
