package main

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"wschat/internal/store"
)

// maxStoredMessage is the largest chat message the room log can keep: its
// record limit, less room for the sender's name and the encoding.
const maxStoredMessage = store.MaxPayload - 4<<10

// maxHeaderBytes bounds the request line and headers of a request, the
// opening handshake included. net/http answers a larger one with 431.
const maxHeaderBytes = 8 << 10

// httpHeaderSlack is what net/http reads past http.Server.MaxHeaderBytes
// before it gives up on a header ("bufio slop", initialReadLimitSize in
// net/http's server.go): taken off, so that the limit is maxHeaderBytes.
const httpHeaderSlack = 4096

// reservedFiles is how many file descriptors the process keeps for other
// things than connections: standard streams, the listener, the poller's
// epoll instance and pipe, certificate files, and the runtime's own.
const reservedFiles = 64

// defaultMaxHandshakes is how many connections may wait to send a request
// header, unless -max-handshakes says otherwise or the open-file limit
// leaves room for fewer.
const defaultMaxHandshakes = 1024

// fitFileLimit fits the connection limits to the open-file limit (nofile,
// 0 if unknown), which the Go runtime has raised to the hard limit at
// start (package syscall does, on Unix): every connection, waiting or
// upgraded, is a file descriptor, and one past the limit cannot even be
// accepted. It fills in the limits left at 0, and refuses ones that do
// not fit.
func fitFileLimit(cfg *Config, nofile int) error {
	if nofile <= 0 {
		if cfg.MaxHandshakes == 0 {
			cfg.MaxHandshakes = defaultMaxHandshakes
		}
		return nil
	}
	room := nofile - reservedFiles
	if cfg.MaxHandshakes == 0 {
		cfg.MaxHandshakes = min(defaultMaxHandshakes, room/4)
	}
	conns := room - cfg.MaxHandshakes
	switch {
	case conns < 1:
		return fmt.Errorf("-max-handshakes %d leaves no room for connections under the open-file limit (RLIMIT_NOFILE) of %d; raise the limit (ulimit -n, or LimitNOFILE= under systemd)", cfg.MaxHandshakes, nofile)
	case cfg.MaxConns > conns:
		return fmt.Errorf("-max-conns %d is more than the open-file limit (RLIMIT_NOFILE) of %d allows: at most %d, with -max-handshakes %d and %d descriptors kept for the process; raise the limit (ulimit -n, or LimitNOFILE= under systemd) or lower -max-conns", cfg.MaxConns, nofile, conns, cfg.MaxHandshakes, reservedFiles)
	case cfg.MaxConns == 0:
		cfg.MaxConns = conns
	}
	return nil
}

// minRedisTTL is the shortest -redis-ttl: Redis counts expiry in whole
// milliseconds, and a node renews every third of it.
const minRedisTTL = 100 * time.Millisecond

// checkLimits reports the first limit in cfg that makes no sense.
func checkLimits(cfg Config) error {
	switch {
	case cfg.MaxConns < 0:
		return errors.New("-max-conns must be 0 (no limit) or more")
	case cfg.MaxConnsPerIP < 0:
		return errors.New("-max-conns-per-ip must be 0 (no limit) or more")
	case cfg.MaxRooms < 0:
		return errors.New("-max-rooms must be 0 (no limit) or more")
	case cfg.Rate < 0:
		return errors.New("-rate must be 0 (no limit) or more")
	case cfg.Rate > 0 && cfg.Burst < 1:
		return errors.New("-burst must be at least 1 when -rate is set")
	case cfg.HandshakeTimeout <= 0:
		return errors.New("-handshake-timeout must be more than 0")
	case cfg.RedisTTL != 0 && cfg.RedisTTL < minRedisTTL:
		return fmt.Errorf("-redis-ttl must be at least %v", minRedisTTL)
	case cfg.PingInterval <= 0:
		return errors.New("-ping-interval must be more than 0")
	case cfg.WriteTimeout <= 0:
		return errors.New("-write-timeout must be more than 0")
	case cfg.MaxMessage < 1 || cfg.MaxEchoMessage < 1:
		return errors.New("-max-message and -max-echo-message must be at least 1")
	case cfg.MaxQueue < 1:
		return errors.New("-max-queue must be at least 1")
	case cfg.MaxMessage > maxStoredMessage:
		return fmt.Errorf("-max-message must be at most %d: the room log keeps messages up to that size", maxStoredMessage)
	case cfg.MaxFile < 1 || cfg.FilesBudget < 0:
		return errors.New("-max-file must be at least 1, -files-budget 0 (the default) or more")
	case cfg.HistoryKeep < 1:
		return errors.New("-history-keep must be at least 1")
	case cfg.HistoryReplay < 0 || cfg.HistoryReplay > cfg.HistoryKeep:
		return errors.New("-history-replay must be between 0 and -history-keep")
	case cfg.MessageTimeout <= 0:
		return errors.New("-message-timeout must be more than 0")
	case cfg.MaxReassembly < 1:
		return errors.New("-max-reassembly must be at least 1")
	case cfg.MaxHandshakes < 0 || cfg.MaxHandshakesPerIP < 0:
		return errors.New("-max-handshakes and -max-handshakes-per-ip must be 0 or more")
	case cfg.RoomsEach < 0:
		return errors.New("-rooms-per-participant must be 0 (no limit) or more")
	case cfg.RoomNotices < 0:
		return errors.New("-room-notices must be 0 (no limit) or more")
	case cfg.HistoryBytes < 0 || cfg.HistoryRoomBytes < 0 || cfg.HistoryShare < 0 || cfg.HistoryAge < 0:
		return errors.New("-history-bytes, -history-room-bytes, -history-share and -history-age must be 0 or more")
	case cfg.MailBytes < 0 || cfg.MailBox < 0 || cfg.MailShare < 0 || cfg.MailAge < 0:
		return errors.New("-mail-bytes, -mail-box, -mail-share and -mail-age must be 0 or more")
	case cfg.FilesShare < 0:
		return errors.New("-files-share must be 0 (a quarter of the budget) or more")
	}
	return nil
}

// The totals of history and mail when their flags leave them 0: in
// memory (and in Redis), what keeps the resident memory a flood can fill
// to a few hundred MiB; on disk, more, since memory then holds only an
// index of what is on disk.
const (
	defaultHistoryMemory = 128 << 20
	defaultHistoryDisk   = 1 << 30
	defaultMailMemory    = 32 << 20
	defaultMailDisk      = 256 << 20
)

// maxMailboxes is how many owners the record of mailboxes holds (those
// that connected with a token, and so may be written to): past it, the
// one that connected longest ago is forgotten, unless it holds mail.
const maxMailboxes = 100_000

// onDisk reports whether history and mail are kept on this node's disk.
func (cfg Config) onDisk() bool { return cfg.DataDir != "" && cfg.Redis == "" }

// historyBounds is what the rooms' history is kept within.
func (cfg Config) historyBounds() store.Bounds {
	total := cmp.Or(cfg.HistoryBytes, defaultHistoryMemory)
	if cfg.HistoryBytes == 0 && cfg.onDisk() {
		total = defaultHistoryDisk
	}
	return store.Bounds{RoomBytes: cfg.HistoryRoomBytes, MaxAge: cfg.HistoryAge, Total: total, Share: cfg.HistoryShare}
}

// mailBounds is what the mailboxes are kept within: a sender may fill
// half of one mailbox.
func (cfg Config) mailBounds() store.Bounds {
	total := cmp.Or(cfg.MailBytes, defaultMailMemory)
	if cfg.MailBytes == 0 && cfg.onDisk() {
		total = defaultMailDisk
	}
	return store.Bounds{RoomBytes: cfg.MailBox, RoomShare: cfg.MailBox / 2, MaxAge: cfg.MailAge, Total: total, Share: cfg.MailShare}
}

// clientIP is the client a request counts as, for -max-conns-per-ip and
// the participants' quotas: its address (see proxies.clientAddr) as
// addrKey groups them.
func (s *Server) clientIP(r *http.Request) string { return addrKey(s.cfg.TrustedProxies.clientAddr(r)) }

// admit counts a WebSocket connection from ip in before its upgrade, for
// the connection limits and for Shutdown to wait on, or tells why it
// cannot come in. Every admitted connection is released once.
//
// A full server answers 503 Service Unavailable: the whole service is out
// of room, for everyone. A client over its own share answers 429 Too Many
// Requests: the limit is about that client, which can free room by
// closing one of its own connections.
func (s *Server) admit(ip string) (refusal, *handshakeError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.shutdown:
		return refusedShuttingDown, &handshakeError{http.StatusServiceUnavailable, "the server is shutting down"}
	case s.cfg.MaxConns > 0 && s.admitted >= s.cfg.MaxConns:
		return refusedMaxConns, &handshakeError{http.StatusServiceUnavailable, fmt.Sprintf(
			"the server is full: it takes at most %d connections; try again later", s.cfg.MaxConns)}
	case s.cfg.MaxConnsPerIP > 0 && s.perIP[ip] >= s.cfg.MaxConnsPerIP:
		return refusedMaxConnsPerIP, &handshakeError{http.StatusTooManyRequests, fmt.Sprintf(
			"too many connections from %s: at most %d from one address", ip, s.cfg.MaxConnsPerIP)}
	}
	s.admitted++
	if s.cfg.MaxConnsPerIP > 0 {
		s.perIP[ip]++
	}
	s.wg.Add(1)
	return 0, nil
}

// release counts out a connection admit let in.
func (s *Server) release(ip string) {
	s.mu.Lock()
	s.admitted--
	if s.cfg.MaxConnsPerIP > 0 {
		if s.perIP[ip]--; s.perIP[ip] == 0 {
			delete(s.perIP, ip)
		}
	}
	s.mu.Unlock()
	s.wg.Done()
}

// checkPublicURL checks -public-url, and returns it without a trailing
// slash: an http or https URL with a host, and no query or fragment.
// Links are built from it, never from a request's Host header, which
// whoever sends the request writes.
func checkPublicURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("-public-url %q: want the address people reach the server at, such as https://chat.example", s)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}
