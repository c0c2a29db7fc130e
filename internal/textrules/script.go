package textrules

import (
	"fmt"
	"slices"
	"unicode"
)

// scriptSet collects the scripts of a name's letters, digits and marks, in
// the order they first appear, and remembers the first pair that may not
// be mixed. A mix that is allowed has at most three scripts.
type scriptSet struct {
	seen  [3]string
	n     int
	last  *unicode.RangeTable // the table of the script seen last, tried first
	clash [2]string
}

// add notes the script of r. Common and Inherited are neutral: they are
// shared by every script (ASCII digits, most combining marks).
func (s *scriptSet) add(r rune) {
	if s.last != nil && unicode.Is(s.last, r) {
		return // most names are in one script: skip the search
	}
	name := scriptOf(r)
	if name == "Common" || name == "Inherited" || s.clash[0] != "" || slices.Contains(s.seen[:s.n], name) {
		return
	}
	s.last = unicode.Scripts[name]
	var both [4]string
	copy(both[:], s.seen[:s.n])
	both[s.n] = name
	if s.n > 0 && !mixAllowed(both[:s.n+1]) {
		s.clash = [2]string{s.seen[0], name}
		return
	}
	s.seen[s.n] = name
	s.n++
}

// mixed returns why the scripts may not be mixed, or "" when they may.
func (s *scriptSet) mixed() string {
	if s.clash[0] == "" {
		return ""
	}
	return fmt.Sprintf("mixes scripts (%s and %s)", s.clash[0], s.clash[1])
}

// mixAllowed reports whether the scripts, two or more, are one of the
// mixes a language writes names in: Japanese (Han, Hiragana, Katakana),
// Korean (Han, Hangul) or Chinese with phonetic annotation (Han, Bopomofo).
func mixAllowed(scripts []string) bool {
	for _, mix := range [...][]string{
		{"Han", "Hiragana", "Katakana"},
		{"Han", "Hangul"},
		{"Han", "Bopomofo"},
	} {
		if !slices.ContainsFunc(scripts, func(s string) bool { return !slices.Contains(mix, s) }) {
			return true
		}
	}
	return false
}

// scriptOf returns the name of r's script in unicode.Scripts ("" when r
// has none, as an unassigned code point). The scripts of most names are
// tried first; every code point is in at most one script, so the order
// of the rest does not matter.
func scriptOf(r rune) string {
	if r < 0x80 {
		if 'a' <= r|0x20 && r|0x20 <= 'z' {
			return "Latin"
		}
		return "Common"
	}
	for _, name := range [...]string{"Latin", "Common", "Inherited", "Han", "Cyrillic", "Greek", "Arabic", "Hebrew", "Hiragana", "Katakana", "Hangul"} {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}
