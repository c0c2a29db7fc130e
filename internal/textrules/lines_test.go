package textrules

import (
	"strings"
	"testing"
)

func TestCleanLines(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"one line", "hello", "hello"},
		{"two lines", "line one\nline two", "line one\nline two"},
		{"carriage returns", "one\r\ntwo", "one\ntwo"},
		{"blank ends go", "\n\n  hi  \n\n", "hi"},
		{"blank runs become one", "a\n\n\n\nb", "a\n\nb"},
		{"separators inside a line", "a\u2028b\nc\u202Ed", "a b\nc d"},
		{"nothing shows", "\n \n\u200B\n", ""},
		{"bidirectional overrides go from each line", "ok\n\u202Ebob: hi", "ok\nbob: hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CleanLines(tt.in); got != tt.want {
				t.Errorf("CleanLines(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestCleanLinesBounded: a flood of line breaks keeps at most MaxLines
// lines and loses no word.
func TestCleanLinesBounded(t *testing.T) {
	in := strings.Repeat("w\n", 10_000)
	got := CleanLines(in)
	if n := strings.Count(got, "\n") + 1; n != MaxLines {
		t.Errorf("%d lines, want %d", n, MaxLines)
	}
	if n := strings.Count(got, "w"); n != 10_000 {
		t.Errorf("%d words kept, want 10000", n)
	}
}

func TestCheckEmoji(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"👍", true},
		{"👍🏽", true},
		{"❤️", true},
		{"👩‍💻", true},
		{"🏳️‍🌈", true},
		{"🇫🇷", true},
		{"1️⃣", true},
		{"#️⃣", true},
		{"", false},
		{"a", false},
		{"ok", false},
		{"👍 ", false},
		{" 👍", false},
		{"👍\n", false},
		{"1", false},
		{"\u200D", false},
		{"👍\u202E", false},
		{strings.Repeat("👍", 9), false},
		{"<b>", false},
	}
	for _, tt := range tests {
		if got := CheckEmoji(tt.in); got != tt.want {
			t.Errorf("CheckEmoji(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
