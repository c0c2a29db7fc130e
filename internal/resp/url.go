package resp

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// endpoint is what a redis:// or rediss:// URL names.
type endpoint struct {
	addr     string  // host:port
	tls      bool    // rediss://
	host     string  // for the TLS server name
	user     string  // "" for AUTH with a password alone
	password *string // nil for none; a pointer, so that printing the struct does not show it
	db       int
}

// parseURL parses redis://[user:password@]host[:port][/db] and the same
// with rediss:// for TLS. The default port is 6379. Errors never repeat
// the URL, which may hold a password.
func parseURL(raw string) (endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return endpoint{}, errors.New("resp: malformed URL")
	}
	var ep endpoint
	switch u.Scheme {
	case "redis":
	case "rediss":
		ep.tls = true
	default:
		return endpoint{}, fmt.Errorf("resp: URL scheme %q, want redis or rediss", u.Scheme)
	}
	if u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" {
		return endpoint{}, errors.New("resp: URL must be redis://[user:password@]host[:port][/db]")
	}
	ep.host = u.Hostname()
	if ep.host == "" {
		return endpoint{}, errors.New("resp: URL has no host")
	}
	port := u.Port()
	if port == "" {
		port = "6379"
	}
	ep.addr = net.JoinHostPort(ep.host, port)
	if u.User != nil {
		ep.user = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			ep.password = &pw
		}
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return endpoint{}, fmt.Errorf("resp: database %q in URL is not a number", db)
		}
		ep.db = n
	}
	return ep, nil
}

// authArgs returns the AUTH command for the endpoint, or nil when it has
// no password: AUTH user password with a user, AUTH password without.
func (ep endpoint) authArgs() []string {
	switch {
	case ep.password == nil:
		return nil
	case ep.user == "":
		return []string{"AUTH", *ep.password}
	}
	return []string{"AUTH", ep.user, *ep.password}
}
