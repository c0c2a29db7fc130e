package textrules

import (
	"slices"
	"unicode/utf8"
)

//go:generate go run ./internal/gen -confusables testdata/confusables.txt -ucd /usr/share/unicode/UnicodeData.txt -o confusables_table.go

// Skeleton returns the skeleton of s as UTS #39 §4 defines it: s in NFD,
// each character replaced by its prototype from confusables.txt, NFD
// again. Two strings with the same skeleton are confusable: "аӏісе" in
// Cyrillic and "alice" in Latin, "paypa1" and "paypal", "rn" and "m". A
// skeleton is a key to compare, not a name to show: it mixes scripts and
// is not always a valid name. Skeleton keeps case ("Alice" and "alice"
// differ); names are compared with NameKey.
//
// The standard library has no normalization, so the tables (generated
// from confusables.txt and UnicodeData.txt by internal/gen) hold the
// skeleton of each letter, mark and decimal digit whole: a precomposed
// letter maps at once to its decomposed prototype (é to e and U+0301, ё
// to Latin e and U+0308, like ë). Hangul syllables decompose by
// arithmetic, and combining marks are put in canonical order, so the same
// marks typed in another order give the same skeleton. Next to the full
// algorithm:
//
//   - Characters a name cannot hold (symbols, punctuation, spaces,
//     invisible characters) keep themselves; CheckName refuses them.
//   - Decompositions are those of package unicode's version of Unicode,
//     which CheckName uses too; letters added to Unicode since are
//     refused.
//   - A few prototypes in confusables.txt map again once decomposed (ҋ to
//     й̦, then й to ᴎ̆); Skeleton applies the data until it settles, so
//     that Skeleton(Skeleton(s)) == Skeleton(s) holds as §4 says it should.
//   - Lines of confusables.txt whose source is a precomposed letter (ö to
//     ة, ȧ to å) never apply, as in §4: the letter is decomposed first, so
//     that ö typed as one code point or as o and U+0308 stays one name.
func Skeleton(s string) string {
	return mapRunes(s, &skeletonTable, nil)
}

// NameKey returns the key under which names are unique: names with the
// same key are one name to a reader, and a chat should let in only one of
// them at a time. It is the skeleton of Fold(name), as UTS #39 §4 advises
// to fold case first, so "Alice", "ALICE" and Cyrillic "аӏісе" share the
// key "alice", and "PayPal" and "paypa1" the key "paypal".
//
// Folding first would lose look-alikes that hold between capitals only,
// yet a name is the same name whatever its case: Cyrillic "ВОВ" looks like
// "BOB", which is the name "bob". So where a small letter and its capital
// look like different things, the key follows the one that reads as ASCII
// letters and digits: Cyrillic в looks like ʙ but В like B, so в has the
// key of b, and "ВОВ", "вов" and "Bob" are one name. When both read as
// ASCII, the capital (Greek ν has the key of n, as Ν looks like N), but
// not for ASCII letters themselves (m keeps the key of rn) nor for a
// capital that reads as l where the small letter reads as i (Greek ι has
// the key of i): confusables.txt gives capital I the prototype l, while
// folding spells it i. So "ΝΙΝΑ" and "Nina" are one name, and "Ilya" and
// "llya" two.
//
// Keys may be stored: they change only when the tables are generated from
// newer data. Fold remains the key of names that differ only in case.
func NameKey(name string) string {
	return mapRunes(Fold(name), &keyTable, &skeletonTable)
}

// mapRunes replaces each character of s by its string in the first of
// the tables that has one (Hangul syllables by those of their jamo), then
// puts combining marks in canonical order.
func mapRunes(s string, first, second *runeTable) string {
	if plain, ok := mapsToItself(s, first, second); ok {
		return plain
	}
	out := make([]rune, 0, len(s))
	for _, r := range s {
		var jamo [3]rune
		for _, j := range appendJamo(jamo[:0], r) {
			m, ok := first.lookup(j)
			if !ok && second != nil {
				m, ok = second.lookup(j)
			}
			if !ok {
				out = append(out, j)
				continue
			}
			for _, mr := range m {
				out = append(out, mr)
			}
		}
	}
	return string(orderMarks(out))
}

// mapsToItself reports whether s is ASCII that no table changes, the
// common case, which then needs no copy.
func mapsToItself(s string, first, second *runeTable) (string, bool) {
	for i := 0; i < len(s); i++ {
		c := rune(s[i])
		if c >= utf8.RuneSelf {
			return "", false
		}
		if _, ok := first.lookup(c); ok {
			return "", false
		}
		if second != nil {
			if _, ok := second.lookup(c); ok {
				return "", false
			}
		}
	}
	return s, true
}

// runeTable maps code points to strings: runes is sorted, and the string
// of runes[i] is strs[ends[i-1]:ends[i]] (from 0 for the first). The
// tables live in confusables_table.go.
type runeTable struct {
	runes []rune
	ends  []uint16
	strs  string
}

func (t *runeTable) lookup(r rune) (string, bool) {
	i, ok := slices.BinarySearch(t.runes, r)
	if !ok {
		return "", false
	}
	start := uint16(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.strs[start:t.ends[i]], true
}

// Hangul syllables decompose into their jamo by arithmetic (The Unicode
// Standard §3.12, "Conjoining Jamo Behavior").
const (
	hangulBase  = 0xAC00
	leadBase    = 0x1100
	vowelBase   = 0x1161
	trailBase   = 0x11A7
	vowelCount  = 21
	trailCount  = 28
	hangulCount = 19 * vowelCount * trailCount
)

// appendJamo appends the jamo of the Hangul syllable r to out, or r itself.
func appendJamo(out []rune, r rune) []rune {
	s := r - hangulBase
	if s < 0 || s >= hangulCount {
		return append(out, r)
	}
	out = append(out, leadBase+s/(vowelCount*trailCount), vowelBase+s%(vowelCount*trailCount)/trailCount)
	if t := s % trailCount; t != 0 {
		out = append(out, trailBase+t)
	}
	return out
}

// orderMarks sorts each run of combining marks by canonical combining
// class, keeping the order of marks of one class (canonical ordering,
// The Unicode Standard §3.11, D108).
func orderMarks(rs []rune) []rune {
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && combiningClass(rs[j]) != 0 {
			j++
		}
		if j-i > 1 {
			slices.SortStableFunc(rs[i:j], func(a, b rune) int { return int(combiningClass(a)) - int(combiningClass(b)) })
		}
		i = j + 1
	}
	return rs
}

// cccRange is a run of code points with one nonzero canonical combining
// class.
type cccRange struct {
	lo, hi rune
	class  uint8
}

// combiningClass returns the canonical combining class of r, 0 for most.
func combiningClass(r rune) uint8 {
	if r < 0x300 {
		return 0
	}
	i, ok := slices.BinarySearchFunc(combiningClasses, r, func(c cccRange, r rune) int {
		switch {
		case c.hi < r:
			return -1
		case c.lo > r:
			return 1
		}
		return 0
	})
	if !ok {
		return 0
	}
	return combiningClasses[i].class
}
