package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
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

	MaxConns      int     // WebSocket connections at once; 0 means no limit
	MaxConnsPerIP int     // WebSocket connections from one IP; 0 means no limit
	Rate          float64 // chat messages a second per participant; 0 means no limit
	Burst         int     // chat messages a participant may send at once
	MaxRooms      int     // rooms open at once; 0 means no limit
	DataDir       string  // where the room log is kept; "" keeps it in memory
	HistoryKeep   int     // messages kept per room
	HistoryReplay int     // messages a newcomer is replayed

	JWTKey                 string // file of the key that checks tokens from another service
	JWTIssuer, JWTAudience string // what such tokens' iss and aud must say; "" checks nothing
	Accounts               bool   // built-in accounts, kept in DataDir
	Signup                 bool   // with Accounts: anyone may register

	MaxFile          int64         // largest shared file, in bytes
	FilesBudget      int64         // bytes of shared files kept; 0: the files package's default for disk or memory
	HandshakeTimeout time.Duration // longest from accepting a connection to a whole request header

	MaxHandshakes      int    // connections waiting to send a request header; 0 means no limit
	MaxHandshakesPerIP int    // of those, from one IP (IPv6: one /64); 0 means no limit
	TLSCert, TLSKey    string // certificate and key files; both empty serves plain HTTP

	// Compress negotiates permessage-deflate (RFC 7692) with clients that
	// offer it.
	Compress bool

	Redis    string        // redis:// URL shared by the nodes of one chat; "" is a single node
	RedisTTL time.Duration // how long a node's claims outlive it; 0 means defaultRedisTTL
}

// closeTimeout bounds the closing handshake: how long the server waits
// for the peer's answer to its close frame, and for the peer to hang up.
const closeTimeout = 3 * time.Second

// Server serves the chat and echo endpoints and the page, and keeps track
// of every WebSocket connection so it can ping them and shut them down.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	chat    *chat
	ping    []byte // the keepalive ping frame, encoded once
	metrics *metrics
	gate    *gate   // limits connections waiting to send a request header
	partial *budget // shared by the partial messages of every connection; nil is no limit
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

// NewServer opens the room log and returns a server with its keepalive
// loop running. Shutdown stops it.
func NewServer(cfg Config, log *slog.Logger) (*Server, error) {
	var bp *backplane
	if cfg.Redis != "" {
		var err error
		if bp, err = openBackplane(cfg.Redis, cmp.Or(cfg.RedisTTL, defaultRedisTTL), cfg.HistoryKeep, log); err != nil {
			return nil, err
		}
	}
	s, err := newServer(cfg, log, bp)
	if err != nil && bp != nil {
		bp.close()
	}
	return s, err
}

// newServer is NewServer once the backplane, if any, is open.
func newServer(cfg Config, log *slog.Logger, bp *backplane) (*Server, error) {
	a, err := newAuth(cfg, log, bp)
	if err != nil {
		return nil, err
	}
	hist, err := openHistory(cfg, log)
	if err != nil {
		return nil, err
	}
	shared, err := openFiles(cfg, log)
	if err != nil {
		hist.log.Close()
		return nil, err
	}
	m := new(metrics)
	m.history = hist.log.Stats
	if hist.shared = bp; bp != nil {
		m.redisUp = bp.up.Load
	}
	var d *deflater
	if cfg.Compress {
		d = new(deflater)
	}
	s := &Server{
		cfg:      cfg,
		log:      log,
		mux:      http.NewServeMux(),
		chat:     newChat(cfg, log, m, hist, a, shared, d),
		ping:     encodeFrame(opPing, nil),
		metrics:  m,
		gate:     newGate(cfg.MaxHandshakes, cfg.MaxHandshakesPerIP, m),
		deflater: d,
		perIP:    make(map[string]int),
		stop:     make(chan struct{}),

		stopFlushers: make(chan struct{}),
	}
	if cfg.MaxReassembly > 0 {
		s.partial = &budget{limit: cfg.MaxReassembly}
	}
	if s.poller = newPoller(); s.poller != nil {
		s.flushersDone.Go(s.poller.run)
	}
	s.memory = newMemoryRelease(m)
	s.mux.HandleFunc("/ws/chat", s.websocket(s.cfg.MaxMessage, s.chat.handle))
	s.mux.HandleFunc("/ws/echo", s.echoHandler())
	registerPage(s.mux)
	s.mux.HandleFunc("GET /api/config", s.pageConfig)
	s.mux.HandleFunc("POST /files", s.chat.handleUpload)
	s.mux.Handle("GET /files/{id}/{name}", shared)
	if a != nil {
		a.register(s.mux)
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("/ws/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such WebSocket endpoint: use /ws/chat?name=yourname or /ws/echo", http.StatusNotFound)
	})
	if hist.shared != nil {
		hist.shared.attach(s.chat.hub)
	}
	s.wg.Add(1)
	go s.keepalive()
	for range runtime.GOMAXPROCS(0) {
		f := newFlusher()
		s.flushers = append(s.flushers, f)
		s.flushersDone.Go(func() { f.run(s.stopFlushers) })
	}
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.gate.requestRead(r)
	s.mux.ServeHTTP(w, r)
}

// echoHandler is /ws/echo, or with -echo=false a 404 that says it is off.
func (s *Server) echoHandler() http.HandlerFunc {
	if !s.cfg.Echo {
		return func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "/ws/echo is turned off on this server (-echo=false)", http.StatusNotFound)
		}
	}
	return s.websocket(s.cfg.MaxEchoMessage, func(*http.Request) (func(*Conn) func() bool, error) {
		return func(c *Conn) func() bool { return func() bool { return serveEcho(c) } }, nil
	})
}

// endpoint prepares a session for a checked handshake, before the upgrade.
// It returns the session's start, which runs on the HTTP server's
// goroutine right after the upgrade (to join a chat, say, and send a
// welcome) and returns the loop that serves the connection until it ends.
type endpoint func(r *http.Request) (start func(*Conn) (loop func() (ended bool)), err error)

// websocket returns the handler for a WebSocket endpoint: it checks the
// handshake, upgrades, starts the session, and runs its loop on a
// goroutine of its own. The HTTP server's goroutine, whose stack grew deep
// parsing the request and starting the session, ends; the loop's starts
// small and stays small while the connection is idle, which is most of
// what a chat connection costs.
func (s *Server) websocket(maxMessage int64, prepare endpoint) http.HandlerFunc {
	cfg := &connConfig{
		maxMessage:   maxMessage,
		maxQueue:     s.cfg.MaxQueue,
		writeTimeout: s.cfg.WriteTimeout,
		closeTimeout: closeTimeout,
		metrics:      s.metrics,

		messageTimeout: s.cfg.MessageTimeout,
		reassembly:     s.partial,

		deflater: s.deflater,
		poller:   s.poller,
		ended:    s.ended,
		release:  s.memory,
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if e := checkHandshake(r, s.cfg.Origins); e != nil {
			s.refuse(w, r, refusalOf(r, e), e)
			return
		}
		ip := clientIP(r)
		if why, e := s.admit(ip); e != nil {
			s.refuse(w, r, why, e)
			return
		}
		c, start := s.accept(w, r, cfg, prepare)
		if c == nil {
			s.release(ip)
			return
		}
		c.loop = start(c)
		go c.run()
	}
}

// ended counts out a connection whose loop has ended. Its address is
// the one clientIP read off its request: net/http gives a request the
// RemoteAddr of the connection it came on.
func (s *Server) ended(c *Conn) {
	s.untrack(c)
	ip := ""
	if s.cfg.MaxConnsPerIP > 0 {
		ip = addrKey(c.RemoteAddr().String())
	}
	s.release(ip)
}

// refuse answers a refused handshake, counts it and logs it: the
// connection limits at Info, for the operator who may want to raise them,
// and the rest, which are the client's business, at Debug.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, why refusal, e *handshakeError) {
	s.metrics.refuse(why)
	level := slog.LevelDebug
	if why == refusedMaxConns || why == refusedMaxConnsPerIP {
		level = slog.LevelInfo
	}
	s.log.Log(r.Context(), level, "handshake refused", "remote", r.RemoteAddr, "status", e.status, "reason", e.reason)
	refuseHandshake(w, e)
}

// refusalOf names the reason checkHandshake refused r, for /metrics.
func refusalOf(r *http.Request, e *handshakeError) refusal {
	switch e.status {
	case http.StatusMethodNotAllowed:
		return refusedMethod
	case http.StatusForbidden:
		return refusedOrigin
	case http.StatusUpgradeRequired:
		if r.Header.Get("Upgrade") == "" && r.Header.Get("Sec-WebSocket-Key") == "" {
			return refusedNotWebSocket
		}
		return refusedVersion
	}
	return refusedBadRequest
}

// accept prepares the session and upgrades the connection, or answers
// with the reason it cannot. It returns a nil Conn when it did not upgrade.
func (s *Server) accept(w http.ResponseWriter, r *http.Request, cfg *connConfig, prepare endpoint) (*Conn, func(*Conn) func() bool) {
	start, err := prepare(r)
	if err != nil {
		s.log.Error("prepare session", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "cannot start a session", http.StatusInternalServerError)
		return nil, nil
	}
	var (
		params     deflateParams
		extensions string
		compress   bool
	)
	if s.deflater != nil {
		params, extensions, compress = negotiateDeflate(r.Header.Values("Sec-WebSocket-Extensions"))
	}
	nc, early, err := upgrade(w, r, extensions, s.cfg.WriteTimeout)
	if err != nil {
		s.log.Warn("upgrade failed", "remote", r.RemoteAddr, "err", err)
		return nil, nil
	}
	c := newConn(nc, early, cfg, s.flushers[s.nextFlusher.Add(1)%uint32(len(s.flushers))])
	if compress {
		c.deflateParams = params
		s.metrics.compressedConns.Add(1)
	}
	s.track(c)
	return c, start
}

// track adds c to the live connections; one that arrives while shutdown
// is under way is closed with 1001 at once.
func (s *Server) track(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.tracked = int32(len(s.conns))
	s.conns = append(s.conns, c)
	s.metrics.connections.Add(1)
	if s.shutdown {
		c.Close(closeGoingAway, "server shutting down")
	}
}

func (s *Server) untrack(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	last := s.conns[len(s.conns)-1]
	s.conns[c.tracked], last.tracked = last, c.tracked
	s.conns[len(s.conns)-1] = nil
	s.conns = s.conns[:len(s.conns)-1]
	if len(s.conns) < cap(s.conns)/4 {
		s.conns = slices.Clone(s.conns) // let go of the room a crowd took
	}
	s.metrics.connections.Add(-1)
}

// pageConfig answers GET /api/config: how the page should let a person
// in ("none": any name; "accounts": log in or register; "token": a token
// from another service), and the limits a person may meet.
func (s *Server) pageConfig(w http.ResponseWriter, r *http.Request) {
	c := struct {
		Auth       string `json:"auth"`
		Signup     bool   `json:"signup"`
		MaxMessage int64  `json:"maxMessage"`
		MaxFile    int64  `json:"maxFile"`
	}{Auth: "none", MaxMessage: s.cfg.MaxMessage, MaxFile: s.cfg.MaxFile}
	switch a := s.chat.auth; {
	case a == nil:
	case a.accounts != nil:
		c.Auth, c.Signup = "accounts", a.signup
	default:
		c.Auth = "token"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(c)
}

// healthz answers GET /healthz: 200 ok while the server takes
// connections, 503 once shutdown has begun, or while Redis is away from a
// node started with -redis (it refuses joins then), so a load balancer
// stops sending clients here.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	shutdown := s.shutdown
	s.mu.Unlock()
	if shutdown {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	if b := s.chat.history.shared; b != nil && !b.up.Load() {
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
		// been quiet for a whole interval, three for at least two.
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
		if s.chat.history.shared != nil {
			s.chat.history.shared.close()
		}
		if cerr := s.chat.history.log.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close the room log: %w", cerr)
		}
		if cerr := s.chat.files.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close the shared files: %w", cerr)
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

// serveEcho sends every message back as it came (/ws/echo), and reports
// whether the connection ended rather than parked.
func serveEcho(c *Conn) bool {
	for {
		op, msg, err := c.ReadMessage()
		if err == errParked {
			return false
		}
		if err != nil {
			c.finish(err)
			return true
		}
		if _, behind := c.queueFrame(c.encodeMessage(op, msg)); behind {
			awaitDrained([]*Conn{c})
		}
	}
}
