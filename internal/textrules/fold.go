package textrules

import (
	"strings"
	"unicode"
)

// Fold maps a name to its case-insensitive key: names that differ only in
// case have the same key, and so do names a person would read as the same
// word in another case. NameKey, the key under which names are unique,
// builds on it and joins look-alikes as well.
//
// Each character becomes unicode.ToLower(unicode.ToUpper(r)), which agrees
// with the simple case folding of strings.EqualFold (every character in a
// unicode.SimpleFold orbit gets the same key) and picks the lowercase
// member as the key. Unicode's case pair stability keeps the key of a
// character the same in later versions. In particular:
//
//   - I, i, İ (U+0130) and ı (U+0131) all fold to "i": "İstanbul",
//     "Istanbul", "istanbul" and "ıstanbul" are one name. Standard full
//     folding would keep ı apart and fold İ to "i̇"; a dot is too small a
//     difference to tell two people apart by.
//   - ß and ẞ fold to "ss" (full folding): "Strauß", "STRAUSS" and
//     "strauss" are one name.
//   - ŉ folds to "ʼn" and և to "եւ", the other full foldings whose result
//     has no combining mark (CheckName refuses ŉ all the same).
//   - ς (final sigma) and the symbol variants ϐ, ϑ, ϕ, ϖ, ϰ, ϱ, ϵ fold
//     with their plain letters: "ΟΔΥΣΣΕΥΣ", "Οδυσσευς" and "οδυσσευς" are
//     one name.
//   - the Kelvin sign K (U+212A) folds to "k" and the Ohm sign Ω to "ω",
//     though CheckName refuses both, as it refuses ϐ, ϑ, ϕ and the rest.
//
// The remaining full foldings (Greek letters with ypogegrammeni, letters
// such as ǰ or ẖ that fold to a letter plus a combining mark) are left to
// simple folding. Fold is idempotent.
func Fold(name string) string {
	if isFoldedASCII(name) {
		return name
	}
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		switch r {
		case 'ß', 'ẞ':
			b.WriteString("ss")
		case 'ŉ':
			b.WriteString("ʼn")
		case 'և':
			b.WriteString("եւ")
		default:
			b.WriteRune(unicode.ToLower(unicode.ToUpper(r)))
		}
	}
	return b.String()
}

// isFoldedASCII reports whether s is ASCII without capital letters, and so
// is its own key.
func isFoldedASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}
