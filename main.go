// Command wschat is a real-time WebSocket chat server built on the
// standard library alone: connect to ws://localhost:9000/ws/chat?name=alice
// and every message anyone sends reaches everyone as "alice: hello".
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"wschat/internal/bytesize"
)

func main() {
	// The binary serves no profiles: sampling allocations for one would
	// only keep a record of every allocating stack, a megabyte or more
	// under thousands of connections.
	runtime.MemProfileRate = 0
	var err error
	if len(os.Args) > 1 && os.Args[1] == "user" {
		err = userCommand(os.Args[2:], os.Stdin)
	} else {
		err = run(os.Args[1:])
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		// -h asked for the usage, which the flag package has printed.
	case err != nil:
		fmt.Fprintln(os.Stderr, "wschat:", err)
		os.Exit(1)
	}
}

// run parses the flags, serves until SIGINT or SIGTERM, and shuts down.
func run(args []string) error {
	fs := flag.NewFlagSet("wschat", flag.ContinueOnError)
	addr := fs.String("addr", ":9000", "listen address")
	metricsAddr := fs.String("metrics-addr", "127.0.0.1:9001", `address of a listener of its own serving /metrics; "off" turns it off`)
	logFormat := fs.String("log-format", "text", "log as text (key=value) or json, one record a line")
	logLevel := fs.String("log-level", "info", "least severe log records written: debug, info, warn or error")
	version := fs.Bool("version", false, "print the version and build information and exit")
	cfg := Config{}
	bytesize.Var(fs, &cfg.MaxMessage, "max-message", 64<<10, "largest chat message, after reassembly: a `size` in bytes, or with KiB, MiB or GiB")
	bytesize.Var(fs, &cfg.MaxEchoMessage, "max-echo-message", 16<<20, "largest message /ws/echo takes, a `size`")
	fs.DurationVar(&cfg.PingInterval, "ping-interval", 30*time.Second, "how often idle peers are pinged; a peer silent for two intervals is dropped")
	fs.DurationVar(&cfg.WriteTimeout, "write-timeout", 10*time.Second, "a peer that cannot take a write this long is dropped")
	var maxQueue int64
	bytesize.Var(fs, &maxQueue, "max-queue", 4<<20, fmt.Sprintf("memory (a `size`) queued for one peer past which whoever sends to it waits; at %d times this it is dropped as too slow", hardQueueFactor))
	origins := fs.String("origins", "", "comma-separated Origin hosts allowed to connect; empty allows any")
	fs.BoolVar(&cfg.Echo, "echo", true, "serve /ws/echo, which sends every message back (for protocol test suites)")
	fs.DurationVar(&cfg.MessageTimeout, "message-timeout", 30*time.Second, "longest a message may take to arrive whole, all its fragments")
	bytesize.Var(fs, &cfg.MaxReassembly, "max-reassembly", 64<<20, "memory (a `size`) that messages still arriving may hold together, on all connections")
	fs.IntVar(&cfg.MaxConns, "max-conns", 0, "most WebSocket connections at once, all endpoints together; 0 means as many as the open-file limit allows")
	fs.IntVar(&cfg.MaxConnsPerIP, "max-conns-per-ip", 64, "most WebSocket connections from one client address (IPv6: one /64; behind a reverse proxy, set -trusted-proxies); 0 means no limit")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "the address people reach this server at, such as https://chat.example: links the server writes (to shared files) start with it; empty writes them relative to the page (/files/...)")
	trusted := fs.String("trusted-proxies", "", "comma-separated addresses or prefixes (10.0.0.0/8) of reverse proxies whose X-Forwarded-For names the client, for every limit by address; empty trusts none")
	fs.IntVar(&cfg.MaxHandshakes, "max-handshakes", 0, fmt.Sprintf("most connections waiting to send a request header; 0 means %d, or a quarter of the open-file limit if that is less", defaultMaxHandshakes))
	fs.IntVar(&cfg.MaxHandshakesPerIP, "max-handshakes-per-ip", 64, "most connections from one IP address (IPv6: one /64) waiting to send a request header; 0 means no limit")
	fs.Float64Var(&cfg.Rate, "rate", 3, "chat messages and commands a second one participant (an account, or one address) may send, on average, all its connections together; 0 means no limit")
	fs.IntVar(&cfg.Burst, "burst", 20, "chat messages and commands one participant may send at once, when -rate is set")
	fs.IntVar(&cfg.MaxRooms, "max-rooms", 1000, "most chat rooms open at once, the lobby aside; a room is open while someone is in it; past it only new rooms are refused; 0 means no limit")
	fs.IntVar(&cfg.RoomsEach, "rooms-per-participant", 20, "most open rooms one participant may have opened; 0 means no limit")
	fs.IntVar(&cfg.RoomNotices, "room-notices", 500, "most people a room may have and still tell its members each join and leave by name; past it the room tells how many are in it instead, at most every 3 s; 0 means no limit")
	fs.StringVar(&cfg.DataDir, "data", "", "directory where the room log is kept, so history survives restarts and crashes; empty keeps history in memory")
	fs.IntVar(&cfg.HistoryKeep, "history-keep", 1000, "messages kept per room")
	fs.IntVar(&cfg.HistoryReplay, "history-replay", 50, "messages a newcomer to a room is shown first")
	bytesize.Var(fs, &cfg.HistoryBytes, "history-bytes", 0, fmt.Sprintf("`size` of every room's history together, past which new messages are refused; 0 means %s in memory, %s with -data", bytesize.Format(defaultHistoryMemory), bytesize.Format(defaultHistoryDisk)))
	bytesize.Var(fs, &cfg.HistoryRoomBytes, "history-room-bytes", 8<<20, "`size` of one room's history, past which its oldest go; 0 means no limit")
	bytesize.Var(fs, &cfg.HistoryShare, "history-share", 16<<20, "`size` of one participant's messages kept in history, every room together, past which its new messages are refused; 0 means no limit")
	fs.DurationVar(&cfg.HistoryAge, "history-age", 30*24*time.Hour, "how long a message is kept; 0 means until newer ones push it out")
	bytesize.Var(fs, &cfg.MailBytes, "mail-bytes", 0, fmt.Sprintf("`size` of all mail together, past which new mail is refused; 0 means %s in memory, %s with -data", bytesize.Format(defaultMailMemory), bytesize.Format(defaultMailDisk)))
	bytesize.Var(fs, &cfg.MailBox, "mail-box", 1<<20, "`size` of one mailbox, past which its oldest go; one sender may fill half of it; 0 means no limit")
	bytesize.Var(fs, &cfg.MailShare, "mail-share", 4<<20, "`size` of the mail one participant has left for others, every mailbox together, past which its new mail is refused; 0 means no limit")
	fs.DurationVar(&cfg.MailAge, "mail-age", 30*24*time.Hour, "how long a private message is kept for its recipient; 0 means until newer ones push it out")
	bytesize.Var(fs, &cfg.MaxFile, "max-file", 10<<20, "largest file a participant may share, a `size`")
	bytesize.Var(fs, &cfg.FilesBudget, "files-budget", 0, "`size` of the shared files kept, the oldest of whoever holds most removed first; 0 means 1 GiB with -data, 64 MiB in memory without")
	bytesize.Var(fs, &cfg.FilesShare, "files-share", 0, "`size` one participant's shared files may hold, past which its own oldest go; 0 means a quarter of -files-budget")
	fs.StringVar(&cfg.JWTKey, "jwt-key", "", "file of the key that checks tokens: an HMAC secret (HS256) or a PEM public key (RS256, ES256, EdDSA); turns tokens on")
	fs.StringVar(&cfg.JWTIssuer, "jwt-issuer", "", "with -jwt-key: the iss tokens must have; empty checks none")
	fs.StringVar(&cfg.JWTAudience, "jwt-audience", "", "with -jwt-key: the aud tokens must have; empty checks none")
	fs.BoolVar(&cfg.Accounts, "accounts", false, "built-in accounts, kept in -data: register and log in on the page or at /api/register and /api/login")
	fs.BoolVar(&cfg.Signup, "signup", true, "with -accounts: anyone may register")
	fs.DurationVar(&cfg.HandshakeTimeout, "handshake-timeout", 10*time.Second, "longest from accepting a connection to its whole request header, TLS handshake included")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "certificate file (PEM, chain included) to serve https and wss; needs -tls-key")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "private key file (PEM) for -tls-cert")
	fs.BoolVar(&cfg.Compress, "compress", true, "negotiate permessage-deflate (RFC 7692) with clients that offer it: chat broadcasts are compressed once for every peer")
	admins := fs.String("admins", "", "with -accounts or -jwt-key: comma-separated accounts that administer the chat: they moderate every room, and read /api/admin/audit and /api/admin/reports")
	fs.StringVar(&cfg.Redis, "redis", "", "redis://[user:password@]host:port[/db] (rediss:// for TLS) shared by several nodes that serve one chat; empty serves alone")
	fs.DurationVar(&cfg.RedisTTL, "redis-ttl", 15*time.Second, "with -redis: how long a node's names and members outlive it when it dies without a word; it renews them every third of this")
	// A mistake in a flag is one line; the ninety of the usage are for -h.
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stderr)
			fmt.Fprintln(os.Stderr, "Usage of wschat:")
			fs.PrintDefaults()
			return err
		}
		return fmt.Errorf("%w (wschat -h lists the flags)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: flags start with - (wschat -h lists them)", fs.Arg(0))
	}
	if *version {
		fmt.Println(versionText())
		return nil
	}
	if maxQueue > math.MaxInt {
		return fmt.Errorf("-max-queue %s is too large", bytesize.Format(maxQueue))
	}
	cfg.MaxQueue = int(maxQueue)
	cfg.Origins = splitList(*origins)
	cfg.Admins = splitList(*admins)
	if err := checkAdmins(cfg); err != nil {
		return err
	}
	proxies, err := parseProxies(*trusted)
	if err != nil {
		return err
	}
	cfg.TrustedProxies = proxies
	if cfg.PublicURL, err = checkPublicURL(cfg.PublicURL); err != nil {
		return err
	}
	if err := checkLimits(cfg); err != nil {
		return err
	}
	if err := fitFileLimit(&cfg, openFileLimit()); err != nil {
		return err
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return errors.New("-tls-cert and -tls-key go together: give both or neither")
	}

	log, err := newLogger(os.Stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	srv, err := NewServer(cfg, log)
	if err != nil {
		return err
	}
	// Everything that can fail at start-up fails before "listening" is
	// logged: the certificate is read, and both addresses are bound.
	hs, err := newHTTPServer(srv, cfg, log)
	if err != nil {
		srv.Shutdown(context.Background())
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		srv.Shutdown(context.Background())
		return err
	}
	ms, mln, err := listenMetrics(*metricsAddr, srv.MetricsHandler(), cfg, log)
	if err != nil {
		ln.Close()
		srv.Shutdown(context.Background())
		return err
	}
	logListening(log, ln, mln, cfg)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 2)
	go func() { errc <- serve(hs, ln) }()
	if ms != nil {
		go func() { errc <- serve(ms, mln) }()
		defer ms.Close()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// The chat closes first, while the listener still answers: until
	// every peer has been closed with 1001, /healthz says 503 and new
	// WebSocket clients hear that the server is shutting down.
	sctx, cancel := context.WithTimeout(context.Background(), 2*closeTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// Connections still sending a request header have nothing to
	// finish; what is left after the close timeout is cut.
	srv.gate.closeWaiting()
	hctx, hcancel := context.WithTimeout(context.Background(), closeTimeout)
	defer hcancel()
	if err := hs.Shutdown(hctx); errors.Is(err, context.DeadlineExceeded) {
		log.Warn("requests unfinished at shutdown were cut", "after", closeTimeout)
		hs.Close()
	} else if err != nil {
		return fmt.Errorf("stop http server: %w", err)
	}
	log.Info("stopped")
	return nil
}

// newHTTPServer returns the HTTP server in front of s, with the limits
// that keep slow or stuck clients from holding resources before their
// handshake is through: the whole request header, and the TLS handshake
// before it, must arrive within the handshake timeout, and may not be
// larger than maxHeaderBytes; no more than -max-handshakes connections,
// -max-handshakes-per-ip from one address, may be waiting to send it (see
// gate). ReadTimeout bounds a request's body too;
// a WebSocket upgrade has none, and once it is hijacked the connection
// sets deadlines of its own (upgrade clears the ones net/http set), so a
// peer that only listens stays as long as it answers pings.
//
// HTTP/2 is off: with TLS, net/http would otherwise offer h2 through ALPN,
// every browser would take it, and a connection on HTTP/2 cannot be
// hijacked, so the WebSocket upgrade (RFC 6455 §4, HTTP/1.1) would fail.
// Serving HTTP/1.1 alone makes https and wss work on the same address.
//
// With TLS it reads the certificate and key now, so that a missing or
// broken one stops the start before anything listens.
func newHTTPServer(s *Server, cfg Config, log *slog.Logger) (*http.Server, error) {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: cfg.HandshakeTimeout,
		ReadTimeout:       cfg.HandshakeTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		MaxHeaderBytes:    maxHeaderBytes - httpHeaderSlack,
		Protocols:         protocols,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState:         s.gate.connState,
		ConnContext:       s.gate.connContext,
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("load -tls-cert and -tls-key: %w", err)
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	return hs, nil
}

// serve serves hs on ln until it is shut down: https and wss when hs has
// a certificate, http and ws otherwise.
func serve(hs *http.Server, ln net.Listener) error {
	var err error
	if hs.TLSConfig != nil {
		err = hs.ServeTLS(ln, "", "")
	} else {
		err = hs.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// displayAddr is the listen address as a person would type it: an
// unspecified host becomes localhost.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
