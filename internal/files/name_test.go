package files

import (
	"strings"
	"testing"
)

func TestCleanName(t *testing.T) {
	long := strings.Repeat("a", 300)
	tests := []struct {
		name, in, want string
	}{
		{"plain", "report.pdf", "report.pdf"},
		{"unicode kept", "résumé 履歴書.pdf", "résumé 履歴書.pdf"},
		{"path traversal", "../../etc/passwd", "passwd"},
		{"windows path", `C:\Users\bob\..\secret.txt`, "secret.txt"},
		{"trailing slash", "dir/", "file"},
		{"dot dot", "..", "file"},
		{"dot", ".", "file"},
		{"hidden file", ".bashrc", "bashrc"},
		{"trailing dots and spaces", "a.txt. . ", "a.txt"},
		{"empty", "", "file"},
		{"NUL", "evil\x00.png", "evil.png"},
		{"only NUL", "\x00\x00", "file"},
		{"control characters", "a\r\nb\tc\x1b[31m\x7f.txt", "abc[31m.txt"},
		{"C1 control", "a\u0085b\u009b.txt", "ab.txt"},
		{"bidi override", "invoice\u202Egnp.exe", "invoicegnp.exe"},
		{"bidi isolates and marks", "a\u2066b\u2069c\u200Fd\u200Ee\u061C.txt", "abcde.txt"},
		{"zero width and BOM", "a\u200Bb\uFEFF.txt", "ab.txt"},
		{"line separators", "a\u2028b\u2029c", "abc"},
		{"private use and unassigned", "a\uE000b\U000F0000c\U0010FFFDd\u0378", "abcd"},
		{"invalid UTF-8", "a\xff\xfeb.txt", "ab.txt"},
		{"spaces collapse", "a  \u00a0\u3000 b.txt", "a b.txt"},
		{"spaces around dropped", "a \u200b b", "a b"},
		{"windows reserved characters", `a<b>c:d"e|f?g*h`, "a_b_c_d_e_f_g_h"},
		{"long name keeps extension", long + ".png", strings.Repeat("a", 124) + ".png"},
		{"long name without extension", long, strings.Repeat("a", 128)},
		{"long extension cut", "a." + long, "a." + strings.Repeat("a", 126)},
		{"long name cut inside a rune", strings.Repeat("é", 100) + ".txt", strings.Repeat("é", 62) + ".txt"},
		{"long name cut before dots", strings.Repeat("a", 120) + strings.Repeat(".", 50) + "b.c", strings.Repeat("a", 120) + ".c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CleanName(tt.in)
			if got != tt.want {
				t.Errorf("CleanName(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := CleanName(got); again != got {
				t.Errorf("CleanName(%q) = %q, not idempotent", got, again)
			}
			if len(got) > maxName {
				t.Errorf("%d bytes, over %d", len(got), maxName)
			}
		})
	}
}

func TestDisposition(t *testing.T) {
	tests := []struct {
		name, kind, file, want string
	}{
		{"ascii", "attachment", "report.pdf", `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`},
		{"space and parentheses", "inline", "a (1).png", `inline; filename="a (1).png"; filename*=UTF-8''a%20%281%29.png`},
		{"non-ASCII", "attachment", "résumé.pdf", `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`},
		{"quote and backslash", "attachment", `a"b\c`, `attachment; filename="a_b_c"; filename*=UTF-8''a%22b%5Cc`},
		{"semicolon and percent", "attachment", "a;b%20=c", `attachment; filename="a;b%20=c"; filename*=UTF-8''a%3Bb%2520%3Dc`},
		{"attr-chars kept", "attachment", "!#$&+-.^_`|~", "attachment; filename=\"!#$&+-.^_`|~\"; filename*=UTF-8''!#$&+-.^_`|~"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := disposition(tt.kind, tt.file); got != tt.want {
				t.Errorf("disposition(%q, %q) =\n%s\nwant\n%s", tt.kind, tt.file, got, tt.want)
			}
		})
	}
}
