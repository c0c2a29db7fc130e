package textrules

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// maxFuzzInput bounds the inputs the fuzz targets look at. Every rule looks
// at a character and its neighbours only, so longer inputs find nothing
// new; they only slow the search, minimizing above all.
const maxFuzzInput = 1024

func FuzzCleanMessage(f *testing.F) {
	for _, s := range []string{"hi", " a  b ", "hi\nbob: x", "\u3164", "👩\u200d💻", "🏳\ufe0f\u200d🌈", "e\u0301\u0301\u0301\u0301\u0301", "\u202eabc", "a\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > maxFuzzInput {
			return
		}
		out := CleanMessage(in)
		if why := checkClean(in, out); why != "" {
			t.Errorf("CleanMessage(%q) = %q: %s", in, out, why)
		}
	})
}

func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"alice", "Zoë", "İstanbul", "Straße", "たなか太郎", "\u0430lice", "alice\u3164", "ａｌｉｃｅ", "שָׁלוֹם"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if len(name) > maxFuzzInput || CheckName("name", name) != "" {
			return
		}
		key := Fold(name)
		if Fold(key) != key {
			t.Errorf("Fold(%q) = %q, but Fold(%q) = %q", name, key, key, Fold(key))
		}
		for _, r := range name {
			if isDefaultIgnorable(r) || unicode.IsSpace(r) || unicode.IsControl(r) {
				t.Errorf("CheckName accepts %q, with the invisible %U", name, r)
			}
		}
		if n := utf8.RuneCountInString(name); n < 1 || n > MaxNameLength {
			t.Errorf("CheckName accepts %q, %d characters long", name, n)
		}
	})
}

// checkClean returns what is wrong with out as the cleaned form of in, or
// "" when nothing is.
func checkClean(in, out string) string {
	switch {
	case !utf8.ValidString(out):
		return "not valid UTF-8"
	case len(out) > len(in):
		return "longer than the input"
	case strings.Contains(out, "  "):
		return "two spaces in a row"
	case strings.HasPrefix(out, " ") || strings.HasSuffix(out, " "):
		return "a space at an end"
	case CleanMessage(out) != out:
		return fmt.Sprintf("cleaning it again gives %q", CleanMessage(out))
	}
	prev, marks := ' ', 0
	for i, r := range out {
		next, size := utf8.DecodeRuneInString(out[i+utf8.RuneLen(r):])
		if size == 0 {
			next = 0 // the end
		}
		if why := checkRune(prev, r, next); why != "" {
			return why
		}
		if marks++; !isMark(r) || unicode.Is(unicode.Variation_Selector, r) {
			marks = 0
		}
		if marks > maxMarks {
			return "more than four marks in a row"
		}
		prev = r
	}
	return ""
}

// checkRune returns what is wrong with r in a cleaned message, between
// prev (a space at the start) and next (0 at the end).
func checkRune(prev, r, next rune) string {
	switch {
	case r != ' ' && isBreak(r):
		return fmt.Sprintf("it keeps %U, which breaks or reorders a line", r)
	case unicode.Is(unicode.Variation_Selector, r):
		if prev == ' ' || unicode.Is(unicode.Variation_Selector, prev) {
			return fmt.Sprintf("it keeps %U after %U", r, prev)
		}
	case r == zwj:
		if !isPictograph(prev) && !unicode.Is(unicode.Variation_Selector, prev) || !unicode.Is(unicode.So, next) {
			return fmt.Sprintf("it keeps a joiner between %U and %U", prev, next)
		}
	case isDefaultIgnorable(r):
		return fmt.Sprintf("it keeps the invisible %U", r)
	case isMark(r) && prev == ' ':
		return fmt.Sprintf("it keeps the mark %U after a space", r)
	}
	return ""
}

// FuzzSkeleton checks what UTS #39 §4 promises of a skeleton, and what
// NameKey adds, for any input: valid UTF-8 out, idempotent, and a key
// that does not depend on case.
func FuzzSkeleton(f *testing.F) {
	for _, s := range []string{"alice", "аӏісе", "paypa1", "ВОВ", "ΝΙΝΑ", "김철수", "ㄱㅏ", "ש\u05c1\u05b8", "e\u0301\u0323", "ǉeto", "ҋ", "Straße", "a\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > MaxNameLength*utf8.UTFMax {
			return // longer than any name: only slows minimizing
		}
		sk := Skeleton(in)
		if !utf8.ValidString(sk) || Skeleton(sk) != sk {
			t.Errorf("Skeleton(%q) = %q, and Skeleton of that is %q", in, sk, Skeleton(sk))
		}
		key := NameKey(in)
		if !utf8.ValidString(key) || NameKey(key) != key {
			t.Errorf("NameKey(%q) = %q, and NameKey of that is %q", in, key, NameKey(key))
		}
		if up, low := NameKey(strings.ToUpper(in)), NameKey(strings.ToLower(in)); up != key || low != key {
			t.Errorf("NameKey(%q) = %q, but %q in capitals and %q in small letters", in, key, up, low)
		}
	})
}
