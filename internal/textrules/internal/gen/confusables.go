package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// confusables is the "MA" table of confusables.txt: each source code
// point and its prototype (UTS #39 §4, "Data File Format").
type confusables struct {
	version, date string // from the file's header
	prototype     map[rune][]rune
}

// readConfusables parses confusables.txt. Its lines read
// "source ; prototype ; MA # comment".
func readConfusables(r io.Reader) (*confusables, error) {
	c := &confusables{prototype: map[rune][]rune{}}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimPrefix(sc.Text(), "\ufeff")
		if v, ok := strings.CutPrefix(text, "# Version: "); ok {
			c.version = strings.TrimSpace(v)
		}
		if d, ok := strings.CutPrefix(text, "# Date: "); ok {
			c.date = strings.TrimSpace(d)
		}
		text, _, _ = strings.Cut(text, "#")
		if strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Split(text, ";")
		if len(f) != 3 || strings.TrimSpace(f[2]) != "MA" {
			return nil, fmt.Errorf("confusables.txt line %d: want \"source ; prototype ; MA\"", line)
		}
		src, err := parseRunes(f[0])
		if err != nil || len(src) != 1 {
			return nil, fmt.Errorf("confusables.txt line %d: bad source %q", line, f[0])
		}
		if c.prototype[src[0]], err = parseRunes(f[1]); err != nil {
			return nil, fmt.Errorf("confusables.txt line %d: prototype: %v", line, err)
		}
	}
	if c.version == "" || len(c.prototype) == 0 {
		return nil, fmt.Errorf("confusables.txt has no version line or no mappings")
	}
	return c, sc.Err()
}

// maxPasses bounds the passes that bring a skeleton or key to a fixed
// point, so that data which never settles is reported rather than looped
// on. Version 17.0.0 needs four at most, the last one finding no change:
// math 𝛍 reads as μ, μ as m (its capital is M), m as rn.
const maxPasses = 8

// skeletons computes UTS #39 skeletons of single code points.
type skeletons struct {
	u *ucd
	c *confusables
}

// once is skeleton(X) of UTS #39 §4: NFD, each character replaced by its
// prototype, NFD again.
func (s skeletons) once(x []rune) []rune {
	var mapped []rune
	for _, r := range s.u.nfd(x) {
		if p, ok := s.c.prototype[r]; ok {
			mapped = append(mapped, p...)
		} else {
			mapped = append(mapped, r)
		}
	}
	return s.u.nfd(mapped)
}

// of returns the skeleton of r, applied until it no longer changes. UTS
// #39 §4 says skeleton(skeleton(X)) = skeleton(X), but a few prototypes
// hold characters that map again once decomposed: ҋ U+048B has the
// prototype й̦, and й decomposes to и, whose prototype is ᴎ.
func (s skeletons) of(r rune) ([]rune, error) {
	return fixedPoint([]rune{r}, s.once)
}

// keys computes the keys of single folded code points under which names
// are unique: the skeleton of the folded name, except where a letter's
// capital looks like something else than its small letter (see choose).
type keys struct {
	sk skeletons
}

// once maps each character of x to its key and decomposes the result.
func (k keys) once(x []rune) ([]rune, error) {
	var out []rune
	for _, r := range x {
		for _, c := range fold(r) {
			key, err := k.choose(c)
			if err != nil {
				return nil, err
			}
			out = append(out, key...)
		}
	}
	return k.sk.u.nfd(out), nil
}

// choose returns what the folded character c reads as. A small letter and
// its capital can look like different things: Cyrillic в looks like ʙ and
// В like B, Greek ν like v and Ν like N. Names are unique whatever their
// case, so one of the two must be the key, and it is the one that reads
// as ASCII letters and digits (with or without marks), since the names
// worth imitating are mostly ASCII: в reads as b, so "ВОВ" is "bob". When
// both do, the capital, since other scripts' capitals imitate Latin ones
// best (ν reads as n, so "ΝΙΝΑ" is "nina"), except that:
//
//   - ASCII letters keep their own look-alikes: m reads as rn, and i as
//     i although I looks like l;
//   - confusables.txt gives capital I the prototype l, but a folded name
//     spells I as i, so a capital that reads as l does not outweigh a
//     small letter that reads as i: Greek ι reads as i, not as l.
//
// When neither does, the small letter, as UTS #39 §4 advises identifiers
// to be case folded.
func (k keys) choose(c rune) ([]rune, error) {
	small, err := k.sk.of(c)
	if err != nil {
		return nil, err
	}
	small = foldAll(small)
	capital := unicode.ToUpper(c)
	if capital == c || c < utf8.RuneSelf {
		return small, nil
	}
	big, err := k.sk.of(capital)
	if err != nil {
		return nil, err
	}
	big = foldAll(big)
	switch {
	case !isPlain(big):
		return small, nil
	case !isPlain(small):
		return big, nil
	case slices.Equal(small, lToI(big)):
		return small, nil
	}
	return big, nil
}

// lToI returns rs with each l replaced by i.
func lToI(rs []rune) []rune {
	out := slices.Clone(rs)
	for i, r := range out {
		if r == 'l' {
			out[i] = 'i'
		}
	}
	return out
}

// of returns the key of the folded code point c.
func (k keys) of(c rune) ([]rune, error) {
	return fixedPointErr([]rune{c}, k.once)
}

// fold is textrules.Fold for one code point.
func fold(r rune) []rune {
	switch r {
	case 'ß', 'ẞ':
		return []rune{'s', 's'}
	case 'ŉ':
		return []rune{'ʼ', 'n'}
	case 'և':
		return []rune{'ե', 'ւ'}
	}
	return []rune{unicode.ToLower(unicode.ToUpper(r))}
}

func foldAll(rs []rune) []rune {
	var out []rune
	for _, r := range rs {
		out = append(out, fold(r)...)
	}
	return out
}

// isPlain reports whether rs is ASCII apart from combining marks.
func isPlain(rs []rune) bool {
	return !slices.ContainsFunc(rs, func(r rune) bool { return r >= 0x80 && !unicode.IsMark(r) })
}

func fixedPoint(x []rune, f func([]rune) []rune) ([]rune, error) {
	return fixedPointErr(x, func(x []rune) ([]rune, error) { return f(x), nil })
}

func fixedPointErr(x []rune, f func([]rune) ([]rune, error)) ([]rune, error) {
	start := x
	for range maxPasses {
		y, err := f(x)
		if err != nil {
			return nil, err
		}
		if slices.Equal(x, y) {
			return x, nil
		}
		x = y
	}
	return nil, fmt.Errorf("%q does not settle in %d passes", string(start), maxPasses)
}
