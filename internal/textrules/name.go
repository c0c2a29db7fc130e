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

// maxReason is the longest reason a close frame holds, in bytes: a
// control frame's payload is at most 125 bytes, two of them the status
// code (RFC 6455 §5.5).
const maxReason = 123

// LookAlikeReason returns the reason a person reads when name is refused
// because it looks like taken, a name in use, such as
// `name "аӏісе" (Cyrillic) looks like "alice" (Latin), who is online: choose another`.
// what starts the reason as in CheckName; whose, if not "", says why taken
// is in use ("who is online", "which is registered"). Scripts are named
// when they differ, since the two names show alike. The reason fits a
// close frame: when the names are too long for it, the refused name is
// left out, then taken. A name that differs from taken only in case is
// the same name, not a look-alike: compare with Fold first.
func LookAlikeReason(what, name, taken, whose string) string {
	nameScript, takenScript := "", ""
	if a, t := mainScript(name), mainScript(taken); a != t && a != "" && t != "" {
		nameScript, takenScript = " ("+a+")", " ("+t+")"
	}
	if whose != "" {
		whose = ", " + whose
	}
	for _, why := range [...]string{
		fmt.Sprintf("%s %q%s looks like %q%s%s: choose another", what, name, nameScript, taken, takenScript, whose),
		fmt.Sprintf("%s looks like %q%s%s: choose another", what, taken, takenScript, whose),
	} {
		if len(why) <= maxReason {
			return why
		}
	}
	return what + " looks like a name in use: choose another"
}

// mainScript returns the script of the first letter or digit of name that
// belongs to one, or "".
func mainScript(name string) string {
	for _, r := range name {
		if s := scriptOf(r); s != "Common" && s != "Inherited" && s != "" {
			return s
		}
	}
	return ""
}
