package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
)

// newLogger returns the logger the -log-format and -log-level flags ask
// for, writing one record a line to w.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: want text or json", format)
}

// commit is the commit the binary was built from, when the build says
// so itself: go build -ldflags "-X main.commit=$(git rev-parse HEAD)".
// go build inside a git checkout records the commit without it; go run
// and go test record none.
var commit string

// versionText is what -version prints: the module version and the
// commit the binary was built from, as the go command recorded them.
func versionText() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "wschat: no build information (built without module support)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "wschat %s, built with %s", bi.Main.Version, bi.GoVersion)
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	switch rev := vcs["vcs.revision"]; {
	case rev != "":
		fmt.Fprintf(&b, "\ncommit %s (%s)", rev, vcs["vcs.time"])
		if vcs["vcs.modified"] == "true" {
			b.WriteString(", with changes not committed")
		}
	case commit != "":
		fmt.Fprintf(&b, "\ncommit %s", commit)
	default:
		b.WriteString("\nno commit recorded: go run and go test record none, nor a build outside git or with -buildvcs=false; " +
			"go build in a git checkout does, or give it with -ldflags \"-X main.commit=$(git rev-parse HEAD)\"")
	}
	return b.String()
}

// listenMetrics binds the address that serves /metrics, apart from the
// chat's, so that the counters are not shown to whoever reaches the chat.
// "off" or an empty address serves none: it returns nil and no error.
func listenMetrics(addr string, h http.Handler, cfg Config, log *slog.Logger) (*http.Server, net.Listener, error) {
	if addr == "" || addr == "off" {
		return nil, nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics listener (-metrics-addr, or off): %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	ms := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.HandshakeTimeout,
		ReadTimeout:       cfg.HandshakeTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return ms, ln, nil
}

// logListening logs where the server can be reached, once it can be.
func logListening(log *slog.Logger, ln, metricsLn net.Listener, cfg Config) {
	web, ws := "http", "ws"
	if cfg.TLSCert != "" {
		web, ws = "https", "wss"
	}
	// With tokens a name comes from the token, and ?name= alone is refused.
	who := "name=yourname"
	if cfg.Accounts || cfg.JWTKey != "" {
		who = "token=YOURTOKEN"
	}
	attrs := []any{"addr", ln.Addr().String(),
		"chat", fmt.Sprintf("%s://%s/ws/chat?%s", ws, displayAddr(ln.Addr()), who),
		"page", fmt.Sprintf("%s://%s/", web, displayAddr(ln.Addr())),
	}
	if metricsLn != nil {
		attrs = append(attrs, "metrics", fmt.Sprintf("http://%s/metrics", metricsLn.Addr()))
	}
	log.Info("wschat listening", attrs...)
}
