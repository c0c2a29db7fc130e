package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"wschat/internal/auth"
	"wschat/internal/chat"
	"wschat/internal/engine"
	"wschat/internal/engine/redis"
	"wschat/internal/files"
	"wschat/internal/store"
)

// Config is what the flags set.
type Config struct {
	MaxMessage     int64         // largest chat message, after reassembly
	MaxEchoMessage int64         // largest message /ws/echo takes
	PingInterval   time.Duration // keepalive ping period
	WriteTimeout   time.Duration // longest one write to a peer may take
	MaxQueue       int           // outbox memory of one peer where its senders wait; dropped at hardQueueFactor times it
	Origins        []string      // allowed Origin hosts; empty allows any
	Echo           bool          // serve /ws/echo
	MessageTimeout time.Duration // longest a message may take to arrive whole; 0 means no limit
	MaxReassembly  int64         // memory of all partial messages together; 0 means no limit

	MaxConns       int     // WebSocket connections at once; 0 means no limit
	MaxConnsPerIP  int     // WebSocket connections from one IP; 0 means no limit
	TrustedProxies proxies // reverse proxies whose X-Forwarded-For names the client
	PublicURL      string  // what links the server writes start with: scheme and host, no trailing slash; "" for links relative to the page
	Rate           float64 // chat messages a second per participant; 0 means no limit
	Burst          int     // chat messages a participant may send at once
	MaxRooms       int     // rooms open at once, the lobby aside; 0 means no limit
	RoomsEach      int     // rooms one participant may have opened and still open; 0 means no limit
	RoomNotices    int     // most people a room may have and still tell each join and leave by name; 0 means no limit
	DataDir        string  // where the room log is kept; "" keeps it in memory
	HistoryKeep    int     // messages kept per room
	HistoryReplay  int     // messages a newcomer is replayed

	// What history and mail may hold, in bytes as package store charges
	// them (a message's payload and store.RecordOverhead); 0 is no limit,
	// but for the totals, where 0 is the default for memory or disk.
	HistoryBytes     int64         // every room's history together
	HistoryRoomBytes int64         // one room's
	HistoryShare     int64         // one participant's messages, in every room
	HistoryAge       time.Duration // how long a message is kept; 0 is until pushed out
	MailBytes        int64         // every mailbox together
	MailBox          int64         // one mailbox; a sender may hold half of it
	MailShare        int64         // one sender's letters, in every mailbox
	MailAge          time.Duration // how long a letter is kept; 0 is until pushed out

	JWTKey                 string // file of the key that checks tokens from another service
	JWTIssuer, JWTAudience string // what such tokens' iss and aud must say; "" checks nothing
	Accounts               bool   // built-in accounts, kept in DataDir
	Signup                 bool   // with Accounts: anyone may register

	MaxFile          int64         // largest shared file, in bytes
	FilesBudget      int64         // bytes of shared files kept; 0: the files package's default for disk or memory
	FilesShare       int64         // bytes one uploader's files may hold; 0: a quarter of the budget
	HandshakeTimeout time.Duration // longest from accepting a connection to a whole request header

	MaxHandshakes      int    // connections waiting to send a request header; 0 means no limit
	MaxHandshakesPerIP int    // of those, from one IP (IPv6: one /64); 0 means no limit
	TLSCert, TLSKey    string // certificate and key files; both empty serves plain HTTP

	// Compress negotiates permessage-deflate (RFC 7692) with clients that
	// offer it.
	Compress bool

	Admins []string // accounts, by name, that administer the chat: they moderate every room

	Redis    string        // redis:// URL shared by the nodes of one chat; "" is a single node
	RedisTTL time.Duration // how long a node's claims outlive it; 0 means the engine's default
}

// closeTimeout bounds the closing handshake: how long the server waits
// for the peer's answer to its close frame, and for the peer to hang up.
const closeTimeout = 3 * time.Second

// Server serves the chat and echo endpoints and the page, and keeps track
// of every WebSocket connection so it can ping them and shut them down.
type Server struct {
	cfg    Config
	log    *slog.Logger
	mux    *http.ServeMux
	chat   *chat.Chat
	engine chatEngine
	// directory is the key directory of end-to-end encryption (keys.go).
	directory engine.Directory
	// moderation keeps rooms' owners, bans and the like, reports and the
	// audit log: the engine's with Redis, in -data or memory otherwise.
	moderation engine.Moderation
	auth       *auth.Auth      // nil: any name may join
	files      *files.Store    // the shared files
	uploads    uploadsUnderWay // the named uploads being read, which may be cancelled
	lock       io.Closer       // the lock on -data, nil without it
	ping       []byte          // the keepalive ping frame, encoded once
	metrics    *metrics
	gate       *gate   // limits connections waiting to send a request header
	partial    *budget // shared by the partial messages of every connection; nil is no limit
	// deflater compresses and inflates for every connection that
	// negotiated permessage-deflate; nil with compression off.
	deflater *deflater

	mu       sync.Mutex
	conns    []*Conn        // the live connections, each at its Conn.tracked
	admitted int            // connections admitted and not yet released
	perIP    map[string]int // admitted connections by client IP, when limited
	shutdown bool
	wg       sync.WaitGroup // one per connection goroutine, and the keepalive loop
	stop     chan struct{}  // closed when shutdown begins

	poller       *poller        // holds idle connections between messages; nil where there is none
	memory       *memoryRelease // gives memory back once the server is quiet
	flushers     []*flusher     // one per processor, connections spread over them
	nextFlusher  atomic.Uint32  // which flusher the next connection gets
	stopFlushers chan struct{}  // closed once every connection has ended
	flushersDone sync.WaitGroup // the flusher goroutines
	stopOnce     sync.Once
}

// MetricsHandler serves the counters in the Prometheus text format. It
// is not on the server's own mux: main serves it on a listener of its
// own (-metrics-addr), loopback by default.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler() }

// NewServer opens what the chat keeps (the data directory, the engine,
// the accounts and the shared files) and returns a server with its
// keepalive loop running. Shutdown stops it.
func NewServer(cfg Config, log *slog.Logger) (*Server, error) {
	m := new(metrics)
	s := &Server{
		cfg:          cfg,
		log:          log,
		mux:          http.NewServeMux(),
		ping:         encodeFrame(opPing, nil),
		metrics:      m,
		gate:         newGate(cfg.MaxHandshakes, cfg.MaxHandshakesPerIP, m),
		perIP:        make(map[string]int),
		stop:         make(chan struct{}),
		stopFlushers: make(chan struct{}),
	}
	if err := s.open(); err != nil {
		s.closeStores()
		return nil, err
	}
	if s.poller = newPoller(); s.poller != nil {
		s.flushersDone.Go(s.poller.run)
	}
	s.memory = newMemoryRelease(m)
	s.route()
	s.wg.Add(1)
	go s.keepalive()
	for range runtime.GOMAXPROCS(0) {
		f := newFlusher()
		s.flushers = append(s.flushers, f)
		s.flushersDone.Go(func() { f.run(s.stopFlushers) })
	}
	return s, nil
}

// open opens, in order, what the chat keeps, and the chat.
func (s *Server) open() error {
	cfg := s.cfg
	if cfg.DataDir != "" {
		lock, err := store.LockDir(cfg.DataDir)
		if err != nil {
			return fmt.Errorf("-data: %w", err)
		}
		s.lock = lock
	}
	var err error
	if s.engine, err = openEngine(cfg, s.log); err != nil {
		return err
	}
	s.metrics.watch(s.engine)
	if s.directory, err = openDirectory(cfg, s.engine); err != nil {
		return err
	}
	if s.moderation, err = openModeration(cfg, s.engine); err != nil {
		return err
	}
	if s.auth, err = auth.New(s.authOptions()); err != nil {
		return err
	}
	if s.files, err = openFiles(cfg, s.log); err != nil {
		return err
	}
	s.metrics.files = s.files.Stats
	if cfg.Compress {
		s.deflater = new(deflater)
	}
	if cfg.MaxReassembly > 0 {
		s.partial = &budget{limit: cfg.MaxReassembly}
	}
	s.chat, err = chat.New(s.chatOptions())
	s.metrics.chat = &s.chat.Stats
	return err
}

// authOptions is who may be whom, from the flags: with -redis, the
// accounts and their token key are the ones every node shares.
func (s *Server) authOptions() auth.Options {
	cfg := s.cfg
	o := auth.Options{JWTKey: cfg.JWTKey, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience,
		Accounts: cfg.Accounts, DataDir: cfg.DataDir, Signup: cfg.Signup, ClientAddr: s.clientIP, Logger: s.log}
	if r, ok := s.engine.(*redis.Engine); ok {
		o.Records, o.TokenKey = r.Accounts(), r.TokenKey
	}
	return o
}

// route routes the server's endpoints on its mux.
func (s *Server) route() {
	s.mux.HandleFunc("/ws/chat", s.websocket(s.cfg.MaxMessage, s.chatEndpoint))
	s.mux.HandleFunc("/ws/echo", s.echoHandler())
	registerPage(s.mux)
	s.mux.HandleFunc("GET /api/config", s.pageConfig)
	s.mux.HandleFunc("POST /files", s.handleUpload)
	s.mux.HandleFunc("DELETE /files/uploads/{key}", s.handleCancelUpload)
	s.mux.Handle("GET /files/{id}/{name}", s.files)
	if s.auth != nil {
		s.auth.Routes(s.mux)
		s.mux.HandleFunc("GET /api/admin/audit", s.handleAudit)
		s.mux.HandleFunc("GET /api/admin/reports", s.handleReports)
	}
	s.routeKeys()
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("/ws/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such WebSocket endpoint: use /ws/chat?name=yourname or /ws/echo", http.StatusNotFound)
	})
}

// closeStores closes what open opened, the last first, and returns the
// first error.
func (s *Server) closeStores() error {
	var errs []error
	if s.chat != nil {
		errs = append(errs, s.chat.Close()) // closes the engine
	} else if s.engine != nil {
		errs = append(errs, s.engine.Close())
	}
	if s.files != nil {
		errs = append(errs, s.files.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("close what the chat keeps: %w", err)
		}
	}
	return nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.gate.requestRead(r)
	if s.preflight(w, r) {
		return
	}
	s.corsHeaders(w, r)
	s.mux.ServeHTTP(w, r)
}

// healthz answers GET /healthz: 200 ok while the server takes
// connections, 503 once shutdown has begun, or while the engine cannot
// reach Redis (joins are refused then), so a load balancer stops sending
// clients here.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	shutdown := s.shutdown
	s.mu.Unlock()
	if shutdown {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	if up, ok := s.engine.(interface{ Up() bool }); ok && !up.Up() {
		http.Error(w, "redis unreachable: joins and messages refused until it is back", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok")
}

// keepalive pings every connection each interval (§5.5.2) and drops the
// ones that have sent nothing, not even a pong, for two whole intervals:
// a half-open TCP connection never sends again.
func (s *Server) keepalive() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.pingAll()
		}
	}
}

var errPingTimeout = errors.New("no answer to pings")

func (s *Server) pingAll() {
	var silent []*Conn
	s.mu.Lock()
	for _, c := range s.conns {
		// Counted in ticks since the peer's last frame: two mean it has
		// been quiet for a whole interval, three for at least two. A
		// connection whose reader is busy with a message it sent (while
		// it catches up with a long history, say) is not read meanwhile,
		// and not counted: what keeps the reader busy gives up on a peer
		// that takes nothing for a write timeout (flow.go).
		if c.busy.Load() {
			continue
		}
		switch n := c.idleTicks.Add(1); n {
		case 1:
		case 2:
			c.send(s.ping)
		default:
			if n == 3 {
				s.metrics.drop(dropPingTimeout)
			}
			silent = append(silent, c)
		}
	}
	s.mu.Unlock()
	// Closing a TLS connection sends an alert, which may wait: not while
	// holding the server's lock.
	for _, c := range silent {
		c.abort(errPingTimeout)
	}
}

// Shutdown closes every connection with 1001 (going away) and waits for
// their closing handshakes until ctx is done; then it cuts the ones still
// open, waits for their goroutines, and returns ctx's error. From the
// moment it begins, new WebSocket connections are refused with 503 and
// /healthz answers 503, so the HTTP server may go on listening meanwhile.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.shutdown {
		s.shutdown = true
		close(s.stop)
	}
	for _, c := range s.conns {
		c.Close(closeGoingAway, "server shutting down")
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		for _, c := range s.conns {
			c.abort(err)
		}
		s.mu.Unlock()
		<-done
	}
	s.stopOnce.Do(func() {
		if cerr := s.closeStores(); cerr != nil && err == nil {
			err = cerr
		}
		s.memory.stop()
		close(s.stopFlushers)
		if s.poller != nil {
			s.poller.stop()
		}
	})
	s.flushersDone.Wait()
	return err
}
