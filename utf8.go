package main

import "unicode/utf8"

// utf8Validator checks UTF-8 (RFC 3629 §4) as it arrives in pieces, so a
// text message split across frames, or a frame read in several chunks, is
// refused as soon as its bytes can no longer become valid (RFC 6455 §8.1).
// The zero value is ready to use at the start of a message.
type utf8Validator struct {
	need   int  // continuation bytes still expected in this sequence
	lo, hi byte // the range the next continuation byte must fall in
}

// write checks the next piece of the message and reports whether the bytes
// so far are still a prefix of valid UTF-8.
func (v *utf8Validator) write(p []byte) bool {
	for len(p) > 0 {
		if v.need == 0 {
			// Outside a sequence: hand every complete sequence to the
			// standard library's fast check, keep only a cut-off tail.
			n := completePrefix(p)
			if !utf8.Valid(p[:n]) {
				return false
			}
			p = p[n:]
			if len(p) == 0 {
				return true
			}
			if !v.start(p[0]) {
				return false
			}
			p = p[1:]
			continue
		}
		b := p[0]
		if b < v.lo || b > v.hi {
			return false
		}
		v.need--
		v.lo, v.hi = 0x80, 0xBF
		p = p[1:]
	}
	return true
}

// complete reports whether the message ends on a character boundary, as a
// whole text message must.
func (v *utf8Validator) complete() bool { return v.need == 0 }

// start begins a multi-byte sequence with lead byte b and reports whether
// b may start one. The ranges for the second byte are those of the table
// in RFC 3629 §4, which rules out overlong forms, surrogates and code
// points above U+10FFFF.
func (v *utf8Validator) start(b byte) bool {
	v.lo, v.hi = 0x80, 0xBF
	switch {
	case b >= 0xC2 && b <= 0xDF:
		v.need = 1
	case b == 0xE0:
		v.need, v.lo = 2, 0xA0
	case b == 0xED:
		v.need, v.hi = 2, 0x9F
	case b >= 0xE1 && b <= 0xEF:
		v.need = 2
	case b == 0xF0:
		v.need, v.lo = 3, 0x90
	case b == 0xF4:
		v.need, v.hi = 3, 0x8F
	case b >= 0xF1 && b <= 0xF3:
		v.need = 3
	default:
		return false
	}
	return true
}

// completePrefix returns the length of p without a multi-byte sequence
// that p's last bytes start but do not finish.
func completePrefix(p []byte) int {
	// A sequence is at most 4 bytes, so its lead byte is among the last 3.
	for i := len(p) - 1; i >= 0 && i >= len(p)-3; i-- {
		b := p[i]
		if b < 0x80 {
			return len(p)
		}
		if b < 0xC0 {
			continue // a continuation byte: look further back
		}
		size := 2
		switch {
		case b >= 0xF0:
			size = 4
		case b >= 0xE0:
			size = 3
		}
		if len(p)-i < size {
			return i
		}
		return len(p)
	}
	return len(p)
}
