package textrules

import "unicode"

// isDefaultIgnorable reports whether r has Unicode's Default_Ignorable_Code_Point
// property: a code point that renders as nothing when a font lacks it. The
// standard library has no table for the derived property, so it is built as
// DerivedCoreProperties.txt defines it (Unicode 15.0, §"Derived Property:
// Default_Ignorable_Code_Point"):
//
//	Other_Default_Ignorable_Code_Point
//	+ Cf (format characters)
//	+ Variation_Selector
//	- White_Space
//	- FFF9..FFFB (interlinear annotation format characters)
//	- 13430..1343F (Egyptian hieroglyph format characters)
//	- Prepended_Concatenation_Mark
//
// The set holds the zero-width space, joiners and non-joiner, the soft
// hyphen, bidirectional controls, variation selectors, tag characters and
// the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0.
func isDefaultIgnorable(r rune) bool {
	if r < 0xAD {
		return false // ASCII and Latin-1 up to the soft hyphen hold none
	}
	if !unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Cf, unicode.Variation_Selector) {
		return false
	}
	switch {
	case unicode.Is(unicode.White_Space, r),
		0xFFF9 <= r && r <= 0xFFFB,
		0x13430 <= r && r <= 0x1343F,
		unicode.Is(unicode.Prepended_Concatenation_Mark, r):
		return false
	}
	return true
}

// isMark reports whether r is a combining mark (categories Mn, Mc and Me).
func isMark(r rune) bool {
	return r >= 0x300 && unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me)
}
