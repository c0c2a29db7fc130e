package textrules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLines is how many lines CleanLines keeps apart: past it, the rest
// are joined onto the last line with spaces, so that nothing is lost
// but a message cannot fill a screen with line breaks.
const MaxLines = 100

// CleanLines cleans a message of several lines, as a client may send in
// JSON: each line, as split at "\n", is cleaned as CleanMessage cleans a
// message, so no line can hold anything that moves text elsewhere.
// Blank lines at either end go, and a run of blank lines inside becomes
// one. It returns "" when nothing in it shows.
func CleanLines(s string) string {
	if !strings.Contains(s, "\n") {
		return CleanMessage(s)
	}
	var lines []string
	blank := false
	for line := range strings.SplitSeq(s, "\n") {
		line = CleanMessage(line)
		if line == "" {
			blank = len(lines) > 0
			continue
		}
		if blank {
			lines = append(lines, "")
			blank = false
		}
		lines = append(lines, line)
	}
	if len(lines) > MaxLines {
		rest := strings.Join(lines[MaxLines-1:], " ")
		lines = append(lines[:MaxLines-1], CleanMessage(rest))
	}
	return strings.Join(lines, "\n")
}

// MaxEmoji is the longest reaction CheckEmoji takes, in bytes: enough
// for a family of four with skin tones, joined.
const MaxEmoji = 64

// CheckEmoji reports whether s is one emoji a person may react with: a
// pictograph (category So), alone or joined to others by zero-width
// joiners, with variation selectors and skin-tone modifiers; a keycap
// (a digit, '#' or '*', U+FE0F, U+20E3); or a flag of two regional
// indicators. Nothing else (letters, spaces, text) is a reaction.
func CheckEmoji(s string) bool {
	if s == "" || len(s) > MaxEmoji || !utf8.ValidString(s) || CleanMessage(s) != s {
		return false
	}
	if isKeycap(s) {
		return true
	}
	pictographs := 0
	for _, r := range s {
		switch {
		case isPictograph(r):
			pictographs++
		case r == zwj, r == 0xFE0F, r == 0xFE0E:
		default:
			return false
		}
	}
	return pictographs > 0 && pictographs <= 8
}

// isKeycap reports whether s is a keycap emoji: 0-9, '#' or '*', then
// U+FE0F and U+20E3 (Unicode emoji-sequences.txt, emoji_keycap_sequence).
func isKeycap(s string) bool {
	rest, ok := strings.CutSuffix(s, "\uFE0F\u20E3")
	return ok && len(rest) == 1 && (unicode.IsDigit(rune(rest[0])) || rest == "#" || rest == "*")
}
