package textrules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// zwj is U+200D ZERO WIDTH JOINER, which glues emoji into one picture.
const zwj = '\u200D'

// brailleBlank is U+2800, a braille cell with no dots: a symbol that shows
// nothing, so a message made only of it is empty.
const brailleBlank = '\u2800'

// CleanMessage makes a chat message safe to show on one line after its
// sender's name, and returns "" when it shows nothing and must not be sent:
//
//   - Control characters (tab and newline among them), line and paragraph
//     separators, bidirectional controls (embeddings, overrides, isolates
//     and the LRM, RLM and ALM marks), interlinear annotation controls and
//     every other white space (no-break and ideographic spaces too) become
//     a space; each run of them becomes one U+0020, and the ends are
//     trimmed.
//   - Default-ignorable code points are dropped: zero-width space and
//     non-joiner, soft hyphen, tag characters, the Hangul fillers, and so
//     on. Two survive, because emoji need them: a variation selector right
//     after a visible character (one per character; VS16 asks for emoji
//     presentation, ideographic variation selectors pick a glyph), and the
//     zero-width joiner between two pictographs (👩, joiner, 💻 show one
//     technologist; 🏳, VS16, joiner, 🌈 a rainbow flag). A pictograph is
//     a character of category So (the standard library has no
//     Extended_Pictographic table) or a skin-tone modifier, and a
//     variation selector may come between it and the joiner. Tag
//     sequences are dropped, so a subdivision flag shows as a black flag.
//   - Combining marks are kept after a visible character only, at most
//     four in a row.
//   - Bytes that are not UTF-8 are dropped.
//
// A message that is printable ASCII with single spaces inside, and any
// other message the rules leave unchanged, is returned as it is, without
// allocating. The result is never longer than s, and cleaning it again
// changes nothing.
func CleanMessage(s string) string {
	if isPlainASCII(s) {
		return s
	}
	c := cleaner{s: s, space: -1}
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		c.take(r, i, i+size)
		i += size
	}
	return c.result()
}

// isPlainASCII reports whether s is printable ASCII with no space at
// either end and none next to another: text CleanMessage leaves as it is.
func isPlainASCII(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && s[i+1] != ' ' {
			continue // s does not end in a space, so s[i+1] exists
		}
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// cleaner builds CleanMessage's result. While the result is a piece of the
// input, s[start:n], it copies nothing; at the first change it copies that
// piece into out and goes on there.
type cleaner struct {
	s        string
	start, n int
	building bool
	out      strings.Builder

	space      int  // where a run of white space began in s, -1 when none is pending
	plainSpace bool // the run began with ' ', which can be kept as it is
	kept       bool // something visible or combining was kept
	visible    bool // a character that shows was kept
	onBase     bool // a character that can carry marks was kept since white space
	marks      int  // combining marks kept on it
	selector   bool // a variation selector was kept on it
	pictograph bool // the last character kept is a pictograph a joiner may follow
}

// take decides what becomes of r, which is s[i:j].
func (c *cleaner) take(r rune, i, j int) {
	if r < utf8.RuneSelf {
		if isBreak(r) {
			c.blank(i, r == ' ')
		} else {
			c.base(r, i, j)
		}
		return
	}
	switch {
	case r == utf8.RuneError && j-i == 1:
		// not UTF-8: dropped
	case unicode.IsLetter(r) && !isFiller(r), unicode.Is(unicode.So, r):
		c.base(r, i, j) // most text: no letter or symbol but the fillers is white space, invisible or a mark
	case isBreak(r):
		c.blank(i, r == ' ')
	case unicode.Is(unicode.Variation_Selector, r):
		if c.onBase && !c.selector {
			c.selector = true
			c.keep(i, j)
		}
	case r == zwj:
		if c.pictograph && c.symbolAt(j) {
			c.pictograph = false
			c.keep(i, j)
		}
	case isDefaultIgnorable(r):
		// invisible: dropped
	case isMark(r):
		if c.onBase && c.marks < maxMarks {
			c.marks++
			c.pictograph = false
			c.keep(i, j)
		}
	default:
		c.base(r, i, j)
	}
}

// base keeps r, s[i:j], a character that shows and can carry marks.
func (c *cleaner) base(r rune, i, j int) {
	c.flushSpace()
	c.keep(i, j)
	c.onBase, c.marks, c.selector = true, 0, false
	c.pictograph = isPictograph(r)
	c.visible = c.visible || r != brailleBlank
}

// blank notes white space at s[i]: it ends the character marks may sit
// on, and starts a run that becomes one space if anything follows.
func (c *cleaner) blank(i int, plain bool) {
	if c.space < 0 && c.kept {
		c.space, c.plainSpace = i, plain
	}
	c.onBase, c.marks, c.selector, c.pictograph = false, 0, false, false
}

// flushSpace writes the pending run of white space as one space.
func (c *cleaner) flushSpace() {
	switch {
	case c.space < 0:
		return
	case c.plainSpace:
		c.keep(c.space, c.space+1)
	default:
		c.build()
		c.out.WriteByte(' ')
	}
	c.space = -1
}

// keep adds s[i:j] to the result.
func (c *cleaner) keep(i, j int) {
	c.kept = true
	if !c.building {
		switch {
		case c.n == c.start:
			c.start, c.n = i, j // the result so far is empty: it starts here
			return
		case c.n == i:
			c.n = j
			return
		}
		c.build()
	}
	c.out.WriteString(c.s[i:j])
}

// build starts copying: the result differs from a piece of the input.
func (c *cleaner) build() {
	if !c.building {
		c.building = true
		c.out.Grow(len(c.s) - c.start)
		c.out.WriteString(c.s[c.start:c.n])
	}
}

// symbolAt reports whether the character at s[j] is a symbol (So), which a
// joiner before it may glue to the pictograph before the joiner.
func (c *cleaner) symbolAt(j int) bool {
	r, size := utf8.DecodeRuneInString(c.s[j:])
	return size > 1 && unicode.Is(unicode.So, r) // size 0 or 1 at the end or before a byte that is not UTF-8
}

// result returns the cleaned message, "" when nothing in it shows.
func (c *cleaner) result() string {
	switch {
	case !c.visible:
		return ""
	case c.building:
		return c.out.String()
	}
	return c.s[c.start:c.n]
}

// isBreak reports whether r shows as white space or could move text to
// another line, into another order or out of sight: white space, control
// characters, line and paragraph separators, bidirectional controls and
// interlinear annotation controls.
func isBreak(r rune) bool {
	if r < 0x80 {
		return r <= ' ' || r == 0x7F
	}
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control) ||
		0xFFF9 <= r && r <= 0xFFFB // interlinear annotation controls, which may hide the text they mark
}

// isPictograph reports whether r is a symbol (So) or an emoji skin-tone
// modifier (U+1F3FB..U+1F3FF): a character a zero-width joiner may follow.
func isPictograph(r rune) bool {
	return r >= 0xA6 && (0x1F3FB <= r && r <= 0x1F3FF || unicode.Is(unicode.So, r)) // ¦ is the first symbol
}

// isFiller reports whether r is one of the Hangul fillers, the only letters
// that are default-ignorable: U+115F, U+1160, U+3164 and U+FFA0.
func isFiller(r rune) bool {
	return r == 0x115F || r == 0x1160 || r == 0x3164 || r == 0xFFA0
}
