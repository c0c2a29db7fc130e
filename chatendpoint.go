package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"wschat/internal/auth"
	"wschat/internal/chat"
	"wschat/internal/engine"
	"wschat/internal/engine/memory"
	"wschat/internal/engine/redis"
	"wschat/internal/store"
)

// The /ws/chat endpoint: each connection joins the chat (package chat) as
// the URL asks, and what its client sends is read into its session.

// chatEngine is the chat's engine: every one implements all six parts.
type chatEngine interface {
	engine.Broker
	engine.History
	engine.Presence
	engine.Mail
	engine.Receipts
	engine.Rates
}

// openEngine opens the engine cfg asks for: several nodes sharing Redis,
// or this node's own: the room log and the mail log, with the record of
// mailboxes, in -data (history, mail and mailboxes there) or in memory.
func openEngine(cfg Config, log *slog.Logger) (chatEngine, error) {
	if cfg.Redis != "" {
		return redis.Open(redis.Options{URL: cfg.Redis, TTL: cfg.RedisTTL, Keep: cfg.HistoryKeep,
			History: cfg.historyBounds(), Mail: cfg.mailBounds(), Mailboxes: maxMailboxes, Logger: log})
	}
	history, err := openLog(cfg, "history", cfg.historyBounds(), log)
	if err != nil {
		return nil, err
	}
	mail, err := openLog(cfg, "mail", cfg.mailBounds(), log)
	if err != nil {
		history.Close()
		return nil, err
	}
	var path string
	if cfg.DataDir != "" {
		path = filepath.Join(cfg.DataDir, "mailboxes")
	}
	boxes, err := memory.OpenMailboxes(path, maxMailboxes)
	if err != nil {
		history.Close()
		mail.Close()
		return nil, err
	}
	return memory.New(history, mail, boxes), nil
}

// openModeration opens the moderation records: the engine's with Redis,
// which every node shares; this node's own otherwise, in -data's
// directory moderation or in memory.
func openModeration(cfg Config, e chatEngine) (engine.Moderation, error) {
	if m, ok := e.(engine.Moderation); ok {
		return m, nil
	}
	var dir string
	if cfg.DataDir != "" {
		dir = filepath.Join(cfg.DataDir, "moderation")
	}
	return memory.OpenModeration(dir, engine.ModerationLimits{})
}

// openLog opens a log of this node's, in -data's directory dir or in
// memory, within bounds.
func openLog(cfg Config, dir string, bounds store.Bounds, log *slog.Logger) (*store.Log, error) {
	opts := store.Options{Keep: cfg.HistoryKeep, Bounds: bounds, Logger: log}
	if cfg.DataDir != "" {
		opts.Dir = filepath.Join(cfg.DataDir, dir)
	}
	l, err := store.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open the %s log: %w", dir, err)
	}
	return l, nil
}

// chatOptions is the chat's policy, from the flags.
func (s *Server) chatOptions() chat.Options {
	cfg := s.cfg
	o := chat.Options{
		Broker: s.engine, History: s.engine, Presence: s.engine, Mail: s.engine, Receipts: s.engine, Rates: s.engine, Directory: s.directory,
		Moderation: s.moderation, Admins: cfg.Admins,
		Encoder:     frameEncoder{s.deflater},
		Rate:        cfg.Rate,
		Burst:       cfg.Burst,
		MaxRooms:    cfg.MaxRooms,
		RoomsEach:   cfg.RoomsEach,
		RoomNotices: cfg.RoomNotices,
		Replay:      cfg.HistoryReplay,
		ReplayPage:  max(1, min(64, cfg.MaxQueue/int(max(cfg.MaxMessage, 1)))),
		HoldBytes:   cfg.MaxQueue,
		Logger:      s.log,
	}
	if a := s.auth; a != nil {
		// With tokens from another service, only a name that has
		// connected here has a mailbox; with built-in accounts, every
		// account does.
		o.Accounts = true
		if a.Mode() == "accounts" {
			o.MailFor = func(_, name string) bool {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				return a.Known(ctx, name)
			}
		}
		o.Renew = func(token string) (string, time.Time, error) {
			c, err := a.Verify(token)
			return c.Subject, c.Expires, err
		}
	}
	return o
}

// chatEndpoint prepares a chat session before the upgrade. A refused one
// is still upgraded, and then closed with 1008: a reason in a close frame
// reaches the person, where an HTTP 400 would be shown by no WebSocket
// client.
func (s *Server) chatEndpoint(r *http.Request) (func(*Conn) func() bool, error) {
	req, err := s.joinRequest(r)
	return func(c *Conn) func() bool {
		var sess *chat.Session
		if err == nil {
			sess, err = s.chat.Join(chatConn{c}, req)
		}
		if err != nil {
			return s.refuseChat(c, req, err)
		}
		return func() bool { return s.serveChat(c, sess) }
	}, nil
}

// joinRequest reads what a /ws/chat request asks for, with tokens on the
// token that says who the connection is, and who it counts as: its
// account, or without tokens its address.
func (s *Server) joinRequest(r *http.Request) (chat.JoinRequest, error) {
	var subject string
	var expires time.Time
	var admin bool
	if s.auth != nil {
		claims, err := s.auth.Identify(r)
		if err != nil {
			code := chat.CodeAuthRequired
			if errors.Is(err, auth.ErrExpired) {
				code = chat.CodeTokenExpired
			}
			return chat.JoinRequest{Name: r.URL.Query().Get("name"), Addr: r.RemoteAddr}, &chat.Refusal{Code: code, Text: err.Error()}
		}
		subject, expires, admin = claims.Subject, claims.Expires, claims.Admin
	}
	req, err := chat.ParseJoin(r.URL.Query(), subject, expires)
	req.Addr, req.Admin = r.RemoteAddr, admin
	req.Participant = chat.ParticipantOf(subject, s.clientIP(r))
	return req, err
}

// refuseChat closes c with 1008 and the refusal's code and words, and
// returns the loop that waits for the closing handshake.
func (s *Server) refuseChat(c *Conn, req chat.JoinRequest, err error) func() bool {
	var r *chat.Refusal
	if !errors.As(err, &r) {
		s.log.Error("join", "name", req.Name, "err", err)
		r = &chat.Refusal{Code: chat.CodeUnavailable, Text: "the server could not let you in: try again shortly"}
	}
	s.metrics.refuseChat(r.Code)
	s.log.Info("refused", "name", req.Name, "remote", req.Addr, "code", r.Code, "reason", r.Text)
	c.Close(closePolicyViolation, r.Error())
	return c.drain
}

// serveChat reads a participant's messages into its session until the
// connection ends or parks; it reports whether the connection ended.
func (s *Server) serveChat(c *Conn, sess *chat.Session) bool {
	for {
		op, msg, err := c.ReadMessage()
		if err == errParked {
			return false
		}
		if err != nil {
			sess.Leave(c.Cause(err))
			c.finish(err)
			return true
		}
		if op == opBinary {
			s.metrics.protocolError(closeUnsupportedData)
			c.Close(closeUnsupportedData, "binary messages are not supported: the chat takes text")
			continue
		}
		c.busy.Store(true)
		sess.Receive(msg)
		c.busy.Store(false)
	}
}
