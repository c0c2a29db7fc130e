package bytesize

import "testing"

// FuzzParse checks that Parse never panics, and that whatever it accepts
// Format writes back to the same number.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"65536", "64KiB", "4 MiB", "1GiB", "64KB", "-1", "9223372036854775808"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("Parse(%q) = %d, negative", s, n)
		}
		back, err := Parse(Format(n))
		if err != nil || back != n {
			t.Fatalf("Parse(Format(%d)) = %d, %v", n, back, err)
		}
	})
}
