package textrules

import (
	"strings"
	"testing"
)

func TestCleanMessage(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "hello, world", "hello, world"},
		{"long ASCII", strings.Repeat("the quick brown fox ", 50) + "end", strings.Repeat("the quick brown fox ", 50) + "end"},
		{"trimmed", "  hi  ", "hi"},
		{"padding forges a line", "hi" + strings.Repeat(" ", 200) + "bob: x", "hi bob: x"},
		{"no-break padding", "hi" + strings.Repeat("\u00a0", 200) + "bob: x", "hi bob: x"},
		{"ideographic spaces", "hi\u3000\u3000bob", "hi bob"},
		{"tabs and newlines", "a\t\tb\n\nc\r\nd", "a b c d"},
		{"CRLF notice", "hi\r\n* bob left", "hi * bob left"},
		{"line separator", "hi\u2028bob: x", "hi bob: x"},
		{"paragraph separator", "hi\u2029bob: x", "hi bob: x"},
		{"next line (C1)", "hi\u0085bob: x", "hi bob: x"},
		{"escape sequence", "\x1b[2K\rbob: x", "[2K bob: x"},
		{"delete", "a\x7fb", "a b"},
		{"right-to-left override", "\u202exob :olleh", "xob :olleh"},
		{"isolates", "a\u2067b\u2069c", "a b c"},
		{"right-to-left mark", "שלום\u200f!", "שלום !"},
		{"Hebrew", "שלום עולם", "שלום עולם"},
		{"Arabic", "مرحبا بالعالم", "مرحبا بالعالم"},
		{"mixed directions", "hi שלום 123", "hi שלום 123"},
		{"Hangul fillers only", "\u3164\u3164\u3164", ""},
		{"every filler", "\u115f\u1160\u3164\uffa0", ""},
		{"fillers and spaces", " \u3164 \u3164 ", ""},
		{"braille blanks only", "\u2800\u2800", ""},
		{"braille blank among text", "a\u2800b", "a\u2800b"},
		{"zero-width space", "a\u200bb", "ab"},
		{"zero-width non-joiner and joiner between letters", "a\u200cb\u200dc", "abc"},
		{"soft hyphen", "in\u00advisible", "invisible"},
		{"byte order mark", "\ufeffhi", "hi"},
		{"tag characters", "hi\U000e0041\U000e007f", "hi"},
		{"invisible between spaces", "a \u200b b", "a b"},
		{"only invisible", "\u200b\u200d\u2060", ""},
		{"empty", "", ""},
		{"only spaces", " \t\n ", ""},
		{"only marks", "\u0301\u0301", ""},
		{"mark after space", "a \u0301b", "a b"},
		{"precomposed", "Zoë", "Zoë"},
		{"combining", "Zoe\u0308", "Zoe\u0308"},
		{"Vietnamese stack", "ê\u0323\u0301", "ê\u0323\u0301"},
		{"marks capped", "e" + strings.Repeat("\u0301", 5000) + "!", "e" + strings.Repeat("\u0301", 4) + "!"},
		{"marks capped per letter", "a\u0300\u0301\u0302\u0303\u0304b\u0300", "a\u0300\u0301\u0302\u0303b\u0300"},
		{"technologist", "👩\u200d💻", "👩\u200d💻"},
		{"skin tone", "👍🏽", "👍🏽"},
		{"rainbow flag", "🏳\ufe0f\u200d🌈", "🏳\ufe0f\u200d🌈"},
		{"skin tone before joiner", "👩🏽\u200d💻", "👩🏽\u200d💻"},
		{"family", "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"},
		{"heart on fire", "❤\ufe0f\u200d🔥", "❤\ufe0f\u200d🔥"},
		{"keycap", "1\ufe0f\u20e3", "1\ufe0f\u20e3"},
		{"country flag", "🇫🇷", "🇫🇷"},
		{"text presentation", "☺\ufe0e", "☺\ufe0e"},
		{"ideographic variation selector", "葛\U000e0100", "葛\U000e0100"},
		{"joiner after a letter", "a\u200d💻", "a💻"},
		{"joiner before a letter", "👩\u200db", "👩b"},
		{"joiner at the end", "👩\u200d", "👩"},
		{"two joiners", "👩\u200d\u200d💻", "👩\u200d💻"},
		{"two selectors", "❤\ufe0f\ufe0f", "❤\ufe0f"},
		{"selector first", "\ufe0fhi", "hi"},
		{"selector after space", "hi \ufe0f", "hi"},
		{"not UTF-8", "a\xffb\xc0", "ab"},
		{"emoji only", "🎉", "🎉"},
		{"interlinear annotation", "a\ufff9b\ufffac\ufffb", "a b c"},
		{"private use", "\ue000", "\ue000"},
		{"64 KiB of spaces", strings.Repeat(" ", 64<<10), ""},
		{"64 KiB of fillers", strings.Repeat("\u3164", 64<<10/3), ""},
		{"64 KiB of joiners", strings.Repeat("\u200d", 64<<10/3), ""},
		{"64 KiB of selectors", "❤" + strings.Repeat("\ufe0f", 64<<10/3), "❤\ufe0f"},
		{"64 KiB of marks", "a" + strings.Repeat("\u0301", 64<<10/2), "a\u0301\u0301\u0301\u0301"},
		{"64 KiB of newlines between words", "a" + strings.Repeat("\n", 64<<10) + "b", "a b"},
		{"64 KiB of joined emoji", strings.Repeat("👩\u200d", 64<<10/7) + "💻", strings.Repeat("👩\u200d", 64<<10/7) + "💻"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CleanMessage(tt.in); got != tt.want {
				t.Errorf("CleanMessage(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanMessageDoesNotCopyCleanText(t *testing.T) {
	tests := []struct{ name, in string }{
		{"ASCII", "hello, how are you doing today?"},
		{"Unicode", "Zoë says 你好 and שלום 👩\u200d💻"},
		{"trimmed ASCII", "  hello  "},
		{"trimmed Unicode", "\u3000你好\u3000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, func() { CleanMessage(tt.in) }); n != 0 {
				t.Errorf("CleanMessage(%q) allocates %v times, want 0", tt.in, n)
			}
		})
	}
}
