package bytesize

import (
	"bytes"
	"flag"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want int64
	}{
		{"plain bytes", "65536", 65536},
		{"zero", "0", 0},
		{"KiB", "64KiB", 64 << 10},
		{"MiB", "4MiB", 4 << 20},
		{"GiB", "1GiB", 1 << 30},
		{"lower case", "64kib", 64 << 10},
		{"space before the unit", " 4 MiB ", 4 << 20},
		{"bytes suffix", "512B", 512},
		{"largest", "9223372036854775807", 1<<63 - 1},
		{"largest GiB", "8589934591GiB", 8589934591 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("Parse(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, in, says string
	}{
		{"empty", "", "want a whole number"},
		{"unit alone", "KiB", "want a whole number"},
		{"decimal unit", "64KB", "want a whole number"},
		{"decimal megabytes", "4M", "want a whole number"},
		{"fraction", "1.5MiB", "want a whole number"},
		{"negative", "-1", "want a whole number"},
		{"plus sign", "+1", "want a whole number"},
		{"word", "lots", "want a whole number"},
		{"two units", "1KiBMiB", "want a whole number"},
		{"past int64", "9223372036854775808", "too large"},
		{"past int64 in GiB", "8589934592GiB", "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Parse(%q) = %d, %v; want an error saying %q", tc.in, got, err, tc.says)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   int64
		want string
	}{
		{"zero", 0, "0"},
		{"odd bytes", 1000, "1000"},
		{"KiB", 64 << 10, "64KiB"},
		{"MiB", 4 << 20, "4MiB"},
		{"GiB", 1 << 30, "1GiB"},
		{"KiB not MiB", 1536 << 10, "1536KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Format(tc.in); got != tc.want {
				t.Errorf("Format(%d) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestFlag checks what a person sees: the flag takes either form, -h shows
// the default with its unit, and junk is refused with the flag's name.
func TestFlag(t *testing.T) {
	var out bytes.Buffer
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(&out)
	var n int64
	Var(fs, &n, "max-message", 64<<10, "largest message")
	fs.PrintDefaults()
	if !strings.Contains(out.String(), "(default 64KiB)") {
		t.Errorf("-h shows:\n%s\nwant (default 64KiB)", out.String())
	}
	if err := fs.Parse([]string{"-max-message", "1MiB"}); err != nil || n != 1<<20 {
		t.Errorf("-max-message 1MiB: n = %d, %v", n, err)
	}
	err := fs.Parse([]string{"-max-message", "64KB"})
	if err == nil || !strings.Contains(err.Error(), `invalid value "64KB" for flag -max-message: want a whole number`) {
		t.Errorf("-max-message 64KB: %v", err)
	}
}
