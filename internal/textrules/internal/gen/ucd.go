package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// ucd holds what the generator needs from UnicodeData.txt: the general
// category, canonical combining class and canonical decomposition of each
// code point.
type ucd struct {
	category map[rune]string
	ccc      map[rune]uint8
	decomp   map[rune][]rune // one level of canonical decomposition
}

// readUCD parses UnicodeData.txt (UAX #44 §5.7.1 for its fields; ranges
// are given by a "First>" line followed by a "Last>" line).
func readUCD(r io.Reader) (*ucd, error) {
	u := &ucd{category: map[rune]string{}, ccc: map[rune]uint8{}, decomp: map[rune][]rune{}}
	sc := bufio.NewScanner(r)
	first := rune(-1)
	for line := 1; sc.Scan(); line++ {
		f := strings.Split(sc.Text(), ";")
		if len(f) != 15 {
			return nil, fmt.Errorf("UnicodeData.txt line %d: %d fields, want 15", line, len(f))
		}
		cp, err := parseRunes(f[0])
		if err != nil || len(cp) != 1 {
			return nil, fmt.Errorf("UnicodeData.txt line %d: bad code point %q", line, f[0])
		}
		ccc, err := strconv.ParseUint(f[3], 10, 8)
		if err != nil {
			return nil, fmt.Errorf("UnicodeData.txt line %d: combining class: %v", line, err)
		}
		r := cp[0]
		if strings.HasSuffix(f[1], ", First>") {
			first = r
			continue
		}
		lo := r
		if strings.HasSuffix(f[1], ", Last>") {
			lo = first
		}
		for c := lo; c <= r; c++ {
			u.category[c] = f[2]
			if ccc != 0 {
				u.ccc[c] = uint8(ccc)
			}
		}
		if d := f[5]; d != "" && !strings.HasPrefix(d, "<") { // "<tag> ..." is a compatibility decomposition
			if u.decomp[r], err = parseRunes(d); err != nil {
				return nil, fmt.Errorf("UnicodeData.txt line %d: decomposition: %v", line, err)
			}
		}
	}
	return u, sc.Err()
}

// checkVersion reports an error unless the file's letters and marks are
// the standard library's: CheckName classifies characters with package
// unicode, so the tables must describe the same Unicode version.
func (u *ucd) checkVersion() error {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		cat := u.category[r]
		letter, mark := strings.HasPrefix(cat, "L"), strings.HasPrefix(cat, "M")
		if letter != unicode.IsLetter(r) || mark != unicode.IsMark(r) {
			return fmt.Errorf("UnicodeData.txt gives %U category %q, package unicode (Unicode %s) disagrees: use UnicodeData.txt of Unicode %s", r, cat, unicode.Version, unicode.Version)
		}
	}
	return nil
}

// Hangul syllables decompose by arithmetic (The Unicode Standard, §3.12
// "Conjoining Jamo Behavior").
const (
	sBase, lBase, vBase, tBase = 0xAC00, 0x1100, 0x1161, 0x11A7
	vCount, tCount             = 21, 28
	nCount                     = vCount * tCount
	sCount                     = 19 * nCount
)

func isHangulSyllable(r rune) bool { return sBase <= r && r < sBase+sCount }

// appendJamo appends the jamo of the Hangul syllable r to out.
func appendJamo(out []rune, r rune) []rune {
	s := r - sBase
	out = append(out, lBase+s/nCount, vBase+s%nCount/tCount)
	if t := s % tCount; t != 0 {
		out = append(out, tBase+t)
	}
	return out
}

// decompose appends the full canonical decomposition of r to out.
func (u *ucd) decompose(out []rune, r rune) []rune {
	if isHangulSyllable(r) {
		return appendJamo(out, r)
	}
	d, ok := u.decomp[r]
	if !ok {
		return append(out, r)
	}
	for _, c := range d {
		out = u.decompose(out, c)
	}
	return out
}

// nfd returns the canonical decomposition of rs with its combining marks
// in canonical order (UAX #15 §3 and The Unicode Standard §3.11, D108).
func (u *ucd) nfd(rs []rune) []rune {
	var out []rune
	for _, r := range rs {
		out = u.decompose(out, r)
	}
	for i := 0; i < len(out); {
		j := i
		for j < len(out) && u.ccc[out[j]] != 0 {
			j++
		}
		slices.SortStableFunc(out[i:j], func(a, b rune) int { return int(u.ccc[a]) - int(u.ccc[b]) })
		i = j + 1
	}
	return out
}

// parseRunes parses code points written in hex and separated by spaces.
func parseRunes(s string) ([]rune, error) {
	var rs []rune
	for _, h := range strings.Fields(s) {
		cp, err := strconv.ParseUint(h, 16, 32)
		if err != nil || cp > unicode.MaxRune {
			return nil, fmt.Errorf("bad code point %q", h)
		}
		rs = append(rs, rune(cp))
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("no code point in %q", s)
	}
	return rs, nil
}
