package main

import (
	"errors"
	"strconv"
	"strings"
)

// Negotiation of permessage-deflate (RFC 7692 §5 and §7.1) in the opening
// handshake.
//
// What the server answers, whatever the offer:
//
//   - server_no_context_takeover (§7.1.1.1 lets a server include it even
//     when the offer did not): a broadcast is compressed once and the same
//     bytes go to every peer, so no message may refer to an earlier one,
//     and no connection keeps a compressor between messages.
//   - client_no_context_takeover (§7.1.1.2 lets a server include it in a
//     response whether or not the offer had it, and a client that gets it
//     must not use context takeover): the server inflates each message on
//     its own, with a pooled decompressor, and an idle connection keeps no
//     window of what its client sent. Keeping that window instead would
//     cost up to 32 KiB per connection that has spoken, for good.
//   - server_max_window_bits=N only when the offer asked for it (§7.1.2.1),
//     with the value asked for. compress/flate always looks back up to
//     32 KiB, so a window under 15 bits is honoured by compressing with
//     Huffman coding only, which refers to no earlier bytes at all; chat
//     broadcasts, compressed once with the full window, go plain to such a
//     peer.
//   - never client_max_window_bits (§7.1.2.2 makes it optional): the
//     server's decompressor takes any window up to 15 bits, so there is
//     nothing to limit. A value in the offer must still be valid.
//
// An offer that breaks §7.1 (an unknown parameter, one given twice, a
// value out of range or badly written) is declined: the next offer is
// tried, and when none is acceptable the connection is made without
// compression (§7.1 has the server decline such an offer; declining is
// leaving it out of the response, which does not fail the handshake, §9.1
// of RFC 6455).

// deflateExtension is the extension token of RFC 7692 §7.
const deflateExtension = "permessage-deflate"

// deflateParams is what negotiation agreed on for one connection.
type deflateParams struct {
	// serverWindowBits is the largest LZ77 window the server may use when
	// it compresses, 8 to 15 (§7.1.2.1); 0 when nothing was agreed.
	serverWindowBits uint8
}

// fullWindow reports whether the server may compress with the 32 KiB
// window that compress/flate uses.
func (p deflateParams) fullWindow() bool { return p.serverWindowBits == 15 }

// extensionParam is one parameter of an extension offer (RFC 6455 §9.1):
// a name, and a value unless it has none.
type extensionParam struct {
	name     string
	value    string
	hasValue bool
}

// extensionOffer is one extension of a Sec-WebSocket-Extensions list with
// its parameters, in order.
type extensionOffer struct {
	name   string
	params []extensionParam
}

// negotiateDeflate picks the first acceptable permessage-deflate offer
// among the Sec-WebSocket-Extensions header values of a request, and
// returns the agreed parameters and the response to answer with (the
// value of the response's Sec-WebSocket-Extensions). ok is false when no
// offer is acceptable.
func negotiateDeflate(values []string) (p deflateParams, response string, ok bool) {
	for _, offer := range parseExtensions(values) {
		if offer.name != deflateExtension {
			continue
		}
		if p, response, ok = acceptDeflate(offer.params); ok {
			return p, response, true
		}
	}
	return deflateParams{}, "", false
}

// acceptDeflate checks the parameters of one permessage-deflate offer
// against §7.1 and answers it.
func acceptDeflate(params []extensionParam) (deflateParams, string, bool) {
	p := deflateParams{serverWindowBits: 15}
	askedWindow := false
	seen := make(map[string]bool, len(params))
	for _, q := range params {
		if seen[q.name] {
			return p, "", false // §7.1: two parameters of the same name
		}
		seen[q.name] = true
		switch q.name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if q.hasValue {
				return p, "", false // §7.1.1.1, §7.1.1.2: no value
			}
		case "server_max_window_bits":
			bits, err := windowBits(q.value)
			if !q.hasValue || err != nil {
				return p, "", false // §7.1.2.1: a value is required
			}
			p.serverWindowBits, askedWindow = uint8(bits), true
		case "client_max_window_bits":
			if q.hasValue {
				if _, err := windowBits(q.value); err != nil {
					return p, "", false // §7.1.2.2
				}
			}
		default:
			return p, "", false // §7.1: an unknown parameter
		}
	}
	response := deflateExtension + "; server_no_context_takeover; client_no_context_takeover"
	if askedWindow {
		response += "; server_max_window_bits=" + strconv.Itoa(int(p.serverWindowBits))
	}
	return p, response, true
}

// errWindowBits is a max_window_bits value that §7.1.2 does not allow.
var errWindowBits = errors.New("window bits must be a decimal integer from 8 to 15 without leading zeros")

// windowBits parses a max_window_bits value: 1*DIGIT from 8 to 15, with
// no leading zero (§7.1.2.1, §7.1.2.2).
func windowBits(v string) (int, error) {
	if v == "" || v[0] == '0' || len(v) > 2 {
		return 0, errWindowBits
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 8 || n > 15 || strings.ContainsAny(v, "+-") {
		return 0, errWindowBits
	}
	return n, nil
}

// parseExtensions parses Sec-WebSocket-Extensions header values by the
// grammar of RFC 6455 §9.1: a comma-separated list of extensions, each a
// token with ";"-separated parameters, each a token with an optional value
// that is a token or a quoted-string whose unescaped content is a token.
// The header may be split over several lines (§9.1: "MUST be combined").
// An extension that breaks the grammar is left out of the result; the
// others are kept. Names are compared case-insensitively (tokens per RFC
// 9110 §5.6.2), so they come back in lower case.
func parseExtensions(values []string) []extensionOffer {
	var offers []extensionOffer
	for _, v := range values {
		for _, item := range splitOutsideQuotes(v, ',') {
			if strings.TrimSpace(item) == "" {
				continue // RFC 9110 §5.6.1: empty list elements are ignored
			}
			if offer, ok := parseOffer(item); ok {
				offers = append(offers, offer)
			}
		}
	}
	return offers
}

// parseOffer parses one extension: a token and its parameters.
func parseOffer(s string) (extensionOffer, bool) {
	parts := splitOutsideQuotes(s, ';')
	name := strings.TrimSpace(parts[0])
	if !isToken(name) {
		return extensionOffer{}, false
	}
	offer := extensionOffer{name: strings.ToLower(name)}
	for _, part := range parts[1:] {
		q, ok := parseParam(part)
		if !ok {
			return extensionOffer{}, false
		}
		offer.params = append(offer.params, q)
	}
	return offer, true
}

// parseParam parses one extension-param: token [ "=" (token | quoted-string) ].
func parseParam(s string) (extensionParam, bool) {
	name, value, hasValue := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !isToken(name) {
		return extensionParam{}, false
	}
	q := extensionParam{name: strings.ToLower(name), hasValue: hasValue}
	if !hasValue {
		return q, true
	}
	value = strings.TrimSpace(value)
	if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
		var ok bool
		if value, ok = unquote(value[1 : len(value)-1]); !ok {
			return extensionParam{}, false
		}
	}
	if !isToken(value) {
		return extensionParam{}, false
	}
	q.value = value
	return q, true
}

// unquote undoes the quoted-pair escapes of a quoted-string's content
// (RFC 9110 §5.6.4).
func unquote(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			if i++; i == len(s) {
				return "", false
			}
			c = s[i]
		} else if c == '"' {
			return "", false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// splitOutsideQuotes splits s at each sep that is not inside a
// quoted-string. An unterminated quoted-string runs to the end of s.
func splitOutsideQuotes(s string, sep byte) []string {
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++ // the escaped byte cannot end the string
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// isToken reports whether s is a token (RFC 9110 §5.6.2): one or more
// visible ASCII characters other than delimiters.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
