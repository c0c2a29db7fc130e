package main

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// closeCode is the status code of a close frame, RFC 6455 §7.4.
type closeCode uint16

// The codes this server sends, and the ones §7.4.1 reserves for local use
// that must never appear on the wire.
const (
	closeNormal          closeCode = 1000
	closeGoingAway       closeCode = 1001
	closeProtocolError   closeCode = 1002
	closeUnsupportedData closeCode = 1003
	closeNoStatus        closeCode = 1005 // local only: a close frame with no code
	closeAbnormal        closeCode = 1006 // local only: no close frame at all
	closeInvalidPayload  closeCode = 1007
	closePolicyViolation closeCode = 1008
	closeMessageTooBig   closeCode = 1009
	closeInternalError   closeCode = 1011
)

// validOnWire reports whether a peer may send code in a close frame: the
// codes §7.4.1 defines for use on the wire, the ones registered since
// (1012-1014, §11.7), and the ranges §7.4.2 leaves to libraries,
// frameworks and applications (3000-4999).
func (code closeCode) validOnWire() bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// CloseError is the reason a connection ended: the close code and reason
// that one side sent the other.
type CloseError struct {
	Code   closeCode
	Reason string
}

func (e *CloseError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("websocket closed: %d", e.Code)
	}
	return fmt.Sprintf("websocket closed: %d %s", e.Code, e.Reason)
}

// protocolError is how the read side fails a connection (§7.1.7): the
// code and reason to send the peer.
func protocolError(code closeCode, reason string) *CloseError {
	return &CloseError{Code: code, Reason: reason}
}

// parseClosePayload reads the code and reason of a close frame (§5.5.1).
// A close frame without a body stands for 1005.
func parseClosePayload(p []byte) (*CloseError, error) {
	switch {
	case len(p) == 0:
		return &CloseError{Code: closeNoStatus}, nil
	case len(p) == 1:
		return nil, protocolError(closeProtocolError, "close frame with a 1-byte payload")
	}
	code := closeCode(binary.BigEndian.Uint16(p))
	if !code.validOnWire() {
		return nil, protocolError(closeProtocolError, fmt.Sprintf("close code %d is not allowed on the wire", code))
	}
	reason := p[2:]
	if !utf8.Valid(reason) {
		return nil, protocolError(closeInvalidPayload, "close reason is not valid UTF-8")
	}
	return &CloseError{Code: code, Reason: string(reason)}, nil
}

// closePayload encodes code and reason as the body of a close frame,
// shortening the reason to fit the 125-byte limit of control frames
// without cutting a character in two.
func closePayload(code closeCode, reason string) []byte {
	const maxReason = maxControlPayload - 2
	if len(reason) > maxReason {
		reason = reason[:maxReason]
		for len(reason) > 0 && !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	p := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reason)), uint16(code))
	return append(p, reason...)
}
