package jwt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxNumericDate is 9999-12-31T23:59:59Z: later dates, and dates before
// 1970, are refused as malformed rather than risk overflow.
const maxNumericDate = 253402300799

// segments are the decoded parts of a JWS Compact Serialization.
type segments struct {
	header, payload, signature []byte
	signingInput               string // ASCII(header '.' payload), RFC 7515 §5.1 step 5
}

// splitToken bounds, splits and decodes a token (RFC 7515 §7.1).
func splitToken(token string) (segments, error) {
	if len(token) > MaxTokenSize {
		return segments{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxTokenSize)
	}
	if n := strings.Count(token, "."); n != 2 {
		return segments{}, fmt.Errorf("%w: %d parts separated by dots; want 3", ErrMalformed, n+1)
	}
	last := strings.LastIndexByte(token, '.')
	first := strings.IndexByte(token, '.')
	var s segments
	var err error
	s.signingInput = token[:last]
	if s.header, err = decodeSegment(token[:first]); err != nil {
		return segments{}, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if s.payload, err = decodeSegment(token[first+1 : last]); err != nil {
		return segments{}, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if s.signature, err = decodeSegment(token[last+1:]); err != nil {
		return segments{}, fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	return s, nil
}

// decodeSegment decodes unpadded base64url (RFC 7515 §2). The alphabet is
// checked first because the decoder skips CR and LF, and Strict refuses
// non-zero trailing bits, so each token has exactly one spelling.
func decodeSegment(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if !isBase64URL(s[i]) {
			return nil, errors.New("not unpadded base64url")
		}
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, errors.New("not canonical base64url")
	}
	return b, nil
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// parseObject decodes one JSON object (RFC 8259 §4) into its members,
// matched by exact name. Duplicate member names are refused: RFC 7515 §4
// and RFC 7519 §4 let a parser either refuse them or keep the last, and
// refusing leaves no room for two parsers to read different claims from
// one token. Only the top level is checked; nested values are not read.
func parseObject(data []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	members := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errors.New("not a JSON object")
		}
		name, _ := tok.(string)
		if _, dup := members[name]; dup {
			return nil, errors.New("duplicate member name")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errors.New("not a JSON object")
		}
		members[name] = raw
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return members, nil
}

// parseClaims reads the registered claims of RFC 7519 §4.1, and the
// private claim "admin" (§4.3), checking their types; other claims are
// ignored.
func parseClaims(data []byte) (Claims, error) {
	m, err := parseObject(data)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	var c Claims
	strs := []struct {
		name string
		dst  *string
	}{{"sub", &c.Subject}, {"iss", &c.Issuer}, {"jti", &c.ID}}
	for _, s := range strs {
		if raw, ok := m[s.name]; ok {
			if *s.dst, err = stringMember(raw); err != nil {
				return Claims{}, fmt.Errorf("%w: claim %s is not a string", ErrMalformed, s.name)
			}
		}
	}
	dates := []struct {
		name string
		dst  *time.Time
	}{{"exp", &c.Expires}, {"nbf", &c.NotBefore}, {"iat", &c.IssuedAt}}
	for _, d := range dates {
		if raw, ok := m[d.name]; ok {
			if *d.dst, err = numericDate(raw); err != nil {
				return Claims{}, fmt.Errorf("%w: claim %s %v", ErrMalformed, d.name, err)
			}
		}
	}
	if raw, ok := m["aud"]; ok {
		if c.Audience, err = audience(raw); err != nil {
			return Claims{}, fmt.Errorf("%w: claim aud %v", ErrMalformed, err)
		}
	}
	if raw, ok := m["admin"]; ok {
		if err := json.Unmarshal(raw, &c.Admin); err != nil || len(raw) == 0 || raw[0] != 't' && raw[0] != 'f' {
			return Claims{}, fmt.Errorf("%w: claim admin is not true or false", ErrMalformed)
		}
	}
	return c, nil
}

// stringMember decodes a JSON string; null and other types are refused.
func stringMember(raw json.RawMessage) (string, error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' {
		return "", errors.New("not a string")
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errors.New("not a string")
	}
	return s, nil
}

// audience decodes "aud": one string or an array of strings (RFC 7519
// §4.1.3).
func audience(raw json.RawMessage) ([]string, error) {
	if s, err := stringMember(raw); err == nil {
		return []string{s}, nil
	}
	if len(raw) == 0 || raw[0] != '[' {
		return nil, errors.New("is neither a string nor an array of strings")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("is not an array")
	}
	var aud []string // an empty array reads as no audience
	for _, item := range list {
		s, err := stringMember(item)
		if err != nil {
			return nil, errors.New("holds a value that is not a string")
		}
		aud = append(aud, s)
	}
	return aud, nil
}

// numericDate decodes a NumericDate (RFC 7519 §2): a JSON number of
// seconds since 1970-01-01T00:00:00Z UTC, possibly with a fraction.
func numericDate(raw json.RawMessage) (time.Time, error) {
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return time.Time{}, errors.New("is not a number")
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f < 0 || f > maxNumericDate {
		return time.Time{}, errors.New("is out of range")
	}
	sec := math.Floor(f)
	nsec := math.Round((f - sec) * 1e9)
	return time.Unix(int64(sec), int64(nsec)).UTC(), nil
}
