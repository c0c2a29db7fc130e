package main

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// websocketGUID is the fixed string §1.3 appends to the client's key.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// acceptKey computes Sec-WebSocket-Accept for a client's Sec-WebSocket-Key
// (RFC 6455 §4.2.2, step 5.4).
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + websocketGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// handshakeError is a refused opening handshake: the HTTP status to answer
// with and a one-line explanation for the person behind the client.
type handshakeError struct {
	status int
	reason string
}

func (e *handshakeError) Error() string {
	return fmt.Sprintf("handshake refused: %d %s", e.status, e.reason)
}

// checkHandshake applies the rules of §4.2.1 to a client's opening
// handshake, plus the server's Origin policy (§10.2). allowedOrigins is
// empty when any origin may connect.
func checkHandshake(r *http.Request, allowedOrigins []string) *handshakeError {
	if r.Method != http.MethodGet {
		return &handshakeError{http.StatusMethodNotAllowed, "a WebSocket handshake must use GET"}
	}
	if !r.ProtoAtLeast(1, 1) {
		return &handshakeError{http.StatusHTTPVersionNotSupported, "a WebSocket handshake needs HTTP/1.1 or newer"}
	}
	upgrade := r.Header.Get("Upgrade")
	if upgrade == "" && r.Header.Get("Sec-WebSocket-Key") == "" {
		// Name the endpoint that was asked for: someone who opened
		// /ws/echo in a browser wants the echo, not the chat.
		target := r.URL.EscapedPath()
		if target == "/ws/chat" {
			target += "?name=yourname"
		}
		scheme := "ws"
		if r.TLS != nil {
			scheme = "wss"
		}
		// Quoted, so that a shell copied into takes the ? and & as they are.
		return &handshakeError{http.StatusUpgradeRequired, fmt.Sprintf(
			"this is a WebSocket endpoint: connect with a WebSocket client, e.g. wscat -c \"%s://%s%s\"", scheme, r.Host, target)}
	}
	if !hasToken(r.Header.Values("Upgrade"), "websocket") {
		return &handshakeError{http.StatusBadRequest, `the Upgrade header must include "websocket"`}
	}
	if !hasToken(r.Header.Values("Connection"), "upgrade") {
		return &handshakeError{http.StatusBadRequest, `the Connection header must include "Upgrade"`}
	}
	if v := r.Header.Values("Sec-WebSocket-Version"); len(v) != 1 || strings.TrimSpace(v[0]) != "13" {
		return &handshakeError{http.StatusUpgradeRequired, "unsupported Sec-WebSocket-Version: this server speaks version 13"}
	}
	if !validKey(r.Header.Values("Sec-WebSocket-Key")) {
		return &handshakeError{http.StatusBadRequest, "Sec-WebSocket-Key must be the base64 encoding of 16 bytes"}
	}
	if !originAllowed(r.Header.Get("Origin"), allowedOrigins) {
		return &handshakeError{http.StatusForbidden, "origin not allowed: this server accepts connections from " + strings.Join(allowedOrigins, ", ")}
	}
	return nil
}

// hasToken reports whether a comma-separated header list contains token,
// compared case-insensitively (§4.2.1 items 3 and 4).
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// validKey reports whether the request carries exactly one
// Sec-WebSocket-Key that is the base64 encoding of 16 bytes (§4.2.1 item 5).
func validKey(values []string) bool {
	if len(values) != 1 {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(values[0]))
	return err == nil && len(b) == 16
}

// originAllowed reports whether an Origin header passes the allow list,
// whose entries are hosts with or without a port. An empty list allows
// every origin, "null" included. A request with no Origin at all passes
// too: browsers always send one (RFC 6455 §10.2), so the check protects
// their users from pages on other sites, while a program such as wscat,
// which could send any Origin it liked, sends none.
func originAllowed(origin string, allowed []string) bool {
	if len(allowed) == 0 || origin == "" {
		return true
	}
	host := origin
	if u, err := url.Parse(origin); err == nil && u.Host != "" {
		host = u.Host
	}
	for _, a := range allowed {
		if strings.EqualFold(a, host) || strings.EqualFold(a, hostname(host)) {
			return true
		}
	}
	return false
}

// hostname strips the port from host, if it has one.
func hostname(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// refuseHandshake answers a refused handshake with its status and reason.
func refuseHandshake(w http.ResponseWriter, e *handshakeError) {
	if e.status == http.StatusUpgradeRequired {
		// A 426 names the protocol to upgrade to (RFC 9110 §15.5.22), and
		// an Upgrade header goes with the "upgrade" option in Connection
		// (RFC 9110 §7.8), so that intermediaries do not forward it.
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Sec-WebSocket-Version", "13")
	}
	if e.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodGet)
	}
	http.Error(w, e.reason, e.status)
}

// upgrade completes a checked handshake: it takes the connection over
// from net/http and answers 101 Switching Protocols (§4.2.2). extensions
// is the Sec-WebSocket-Extensions to answer with (§9.1), "" for none. No
// subprotocol is ever selected, so whatever the client offered is declined
// by leaving that header out. It returns the connection and any bytes the
// client sent behind its handshake that net/http had already read.
func upgrade(w http.ResponseWriter, r *http.Request, extensions string, writeTimeout time.Duration) (net.Conn, []byte, error) {
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "cannot take over this connection for WebSocket", http.StatusInternalServerError)
		return nil, nil, fmt.Errorf("hijack: %w", err)
	}
	var early []byte
	if n := brw.Reader.Buffered(); n > 0 {
		p, _ := brw.Reader.Peek(n)
		early = append([]byte(nil), p...)
	}
	// net/http may have set deadlines for reading the request; the
	// WebSocket connection sets its own.
	if err := nc.SetDeadline(time.Now().Add(writeTimeout)); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("set deadline: %w", err)
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + acceptKey(strings.TrimSpace(r.Header.Get("Sec-WebSocket-Key"))) + "\r\n"
	if extensions != "" {
		resp += "Sec-WebSocket-Extensions: " + extensions + "\r\n"
	}
	resp += "\r\n"
	if _, err := nc.Write([]byte(resp)); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("write handshake response: %w", err)
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("clear deadline: %w", err)
	}
	return nc, early, nil
}
