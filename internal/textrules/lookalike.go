package textrules

import "unicode"

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
