// Command wschat is a real-time WebSocket chat server built on the
// standard library alone: connect to ws://localhost:9000/ws/chat?name=alice
// and every message anyone sends reaches everyone as "alice: hello".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "wschat:", err)
		os.Exit(1)
	}
}

// run parses the flags, serves until SIGINT or SIGTERM, and shuts down.
func run(args []string) error {
	fs := flag.NewFlagSet("wschat", flag.ContinueOnError)
	addr := fs.String("addr", ":9000", "listen address")
	cfg := Config{}
	fs.Int64Var(&cfg.MaxMessage, "max-message", 64<<10, "largest chat message in bytes, after reassembly")
	fs.Int64Var(&cfg.MaxEchoMessage, "max-echo-message", 16<<20, "largest message /ws/echo takes, in bytes")
	fs.DurationVar(&cfg.PingInterval, "ping-interval", 30*time.Second, "how often idle peers are pinged; a peer silent for two intervals is dropped")
	fs.DurationVar(&cfg.WriteTimeout, "write-timeout", 10*time.Second, "a peer that cannot take a write this long is dropped")
	fs.IntVar(&cfg.MaxQueue, "max-queue", 4<<20, "bytes queued for one peer before it is dropped as too slow")
	origins := fs.String("origins", "", "comma-separated Origin hosts allowed to connect; empty allows any")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Origins = splitList(*origins)

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := NewServer(cfg, log)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	log.Info("wschat listening", "addr", ln.Addr().String(),
		"chat", fmt.Sprintf("ws://%s/ws/chat?name=yourname", displayAddr(ln.Addr())),
		"page", fmt.Sprintf("http://%s/", displayAddr(ln.Addr())))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 2*closeTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("stop http server: %w", err)
	}
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	log.Info("stopped")
	return nil
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
