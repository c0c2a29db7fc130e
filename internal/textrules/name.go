package textrules

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxNameLength is the longest name or room name, in code points.
const MaxNameLength = 32

// maxMarks is the most combining marks kept on one character, in names and
// in messages. Real text needs up to three or four (Vietnamese, Hebrew
// with points, Tibetan stacks); a pile of marks that spills over the lines
// around it needs dozens.
const maxMarks = 4

// CheckName returns "" when name (already trimmed) may be used, or the
// reason a person reads in the close frame, such as
// `name may use only letters, digits, "_", "-" and "."`. what is "name" or
// "room", and starts the reason. The rules are in the package
// documentation.
func CheckName(what, name string) string {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return fmt.Sprintf("%s is required: connect to /ws/chat?%s=your%s", what, what, what)
	case n > MaxNameLength:
		return fmt.Sprintf("%s is too long: at most %d characters", what, MaxNameLength)
	}
	if why := checkRunes(name); why != "" {
		return what + " " + why
	}
	return ""
}

// checkRunes checks every character of a name, and returns what is wrong
// with the first that is refused, or with the name as a whole.
func checkRunes(name string) string {
	var (
		scripts scriptSet
		base    rune // the letter the next combining mark would sit on
		marks   int  // combining marks on base so far
		alnum   bool // a letter or digit seen
		zero    rune // the zero of the first digit's decimal system
	)
	for _, r := range name {
		if isDefaultIgnorable(r) {
			return "has an invisible character"
		}
		if isLookAlike(r) {
			return "uses a look-alike form (fullwidth or styled letters): type it plainly"
		}
		if isMark(r) {
			if why := checkMark(base, marks); why != "" {
				return why
			}
			marks++
			scripts.add(r)
			continue
		}
		base, marks = 0, 0
		switch {
		case unicode.IsLetter(r):
			base = r
		case unicode.IsDigit(r):
			if z := digitZero(r); zero == 0 {
				zero = z
			} else if z != zero {
				return "mixes digits from different number systems"
			}
		case r == '_' || r == '-' || r == '.':
			continue
		default:
			return `may use only letters, digits, "_", "-" and "."`
		}
		alnum = true
		scripts.add(r)
	}
	if !alnum {
		return "needs at least one letter or digit"
	}
	return scripts.mixed()
}

// checkMark returns why a combining mark may not follow base, which holds
// marks already; base is 0 when the mark follows no letter.
func checkMark(base rune, marks int) string {
	switch {
	case base == 0:
		return "has a combining mark that is not on a letter"
	case marks >= maxMarks:
		return "has too many combining marks on one letter"
	case unicode.In(base, unicode.Latin, unicode.Greek, unicode.Cyrillic, unicode.Common):
		return "has a separate combining accent: type the accented letter itself"
	}
	return ""
}

// isLookAlike reports whether r is a compatibility or duplicate form of a
// letter or digit that has a plain form: a character NFKC or NFC would
// replace, found by the blocks such forms are encoded in.
func isLookAlike(r rune) bool {
	switch {
	case r == 0xAA, r == 0xB2, r == 0xB3, r == 0xB5, r == 0xB9, r == 0xBA: // ª ² ³ µ ¹ º
		return true
	case r == 0x132, r == 0x133, r == 0x13F, r == 0x140, r == 0x149, r == 0x17F: // Ĳ ĳ Ŀ ŀ ŉ ſ
		return true
	case 0x1C4 <= r && r <= 0x1CC, 0x1F1 <= r && r <= 0x1F3: // Ǆ ... ǌ, Ǳ ǲ ǳ
		return true
	case 0x3D0 <= r && r <= 0x3D2, r == 0x3D5, r == 0x3D6, 0x3F0 <= r && r <= 0x3F2, r == 0x3F4, r == 0x3F5, r == 0x3F9: // Greek symbol letters ϐ ϑ ϒ ϕ ϖ ϰ ϱ ϲ ϴ ϵ Ϲ
		return true
	case isExcludedComposite(r):
		return true
	case r == 0x262, r == 0x26A, r == 0x274, r == 0x276, r == 0x280, r == 0x281, r == 0x28F, r == 0x299, r == 0x29B, r == 0x29C, r == 0x29F, 0x1D00 <= r && r <= 0x1D2B: // small capitals ɢ ɪ ɴ ʀ ... ᴀ ᴄ ᴅ ᴇ ...
		return true
	case 0x02B0 <= r && r <= 0x02B8, 0x02E0 <= r && r <= 0x02E4: // superscript modifier letters
		return true
	case 0x1100 <= r && r <= 0x11FF, 0xA960 <= r && r <= 0xA97F, 0xD7B0 <= r && r <= 0xD7FF: // conjoining Hangul jamo
		return true
	case 0x1D2C <= r && r <= 0x1D6A, r == 0x1D78, 0x1D9B <= r && r <= 0x1DBF: // superscript and subscript phonetic letters
		return true
	case 0x2070 <= r && r <= 0x209F: // Superscripts and Subscripts
		return true
	case 0x2100 <= r && r <= 0x218F: // Letterlike Symbols and Number Forms (Roman numerals)
		return true
	case 0x2460 <= r && r <= 0x24FF, 0x1F100 <= r && r <= 0x1F1FF: // Enclosed Alphanumerics and Supplement
		return true
	case 0xF900 <= r && r <= 0xFAFF, 0x2F800 <= r && r <= 0x2FA1F: // CJK Compatibility Ideographs and Supplement
		return !unicode.Is(unicode.Unified_Ideograph, r) // twelve unified ideographs live there
	case 0xFB00 <= r && r <= 0xFDFF, 0xFE70 <= r && r <= 0xFEFF: // Alphabetic and Arabic Presentation Forms
		return true
	case 0xFF00 <= r && r <= 0xFFEF: // Halfwidth and Fullwidth Forms
		return true
	case 0x1D400 <= r && r <= 0x1D7FF: // Mathematical Alphanumeric Symbols
		return true
	}
	return false
}

// isExcludedComposite reports whether r is a letter or vowel sign with a
// canonical decomposition that NFC does not recompose (CompositionExclusions.txt,
// "script-specific"): क़ U+0958 looks exactly like क U+0915 with nukta
// U+093C, and NFC keeps the second, so the first is refused.
func isExcludedComposite(r rune) bool {
	switch r {
	case 0x0958, 0x0959, 0x095A, 0x095B, 0x095C, 0x095D, 0x095E, 0x095F, // Devanagari
		0x09DC, 0x09DD, 0x09DF, // Bengali
		0x0A33, 0x0A36, 0x0A59, 0x0A5A, 0x0A5B, 0x0A5E, // Gurmukhi
		0x0B5C, 0x0B5D, // Oriya
		0x0F43, 0x0F4D, 0x0F52, 0x0F57, 0x0F5C, 0x0F69, 0x0F73, 0x0F75, 0x0F76, 0x0F78, 0x0F81, // Tibetan
		0x0F93, 0x0F9D, 0x0FA2, 0x0FA7, 0x0FAC, 0x0FB9:
		return true
	}
	return false
}

// digitZero returns the zero of the decimal system the digit r belongs to.
// Unicode encodes each system's digits 0 to 9 in a row (a stability
// policy); only the mathematical digits, which CheckName refuses, put
// several systems side by side.
func digitZero(r rune) rune {
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return r - (r-start)%10
}
