// Package bytesize reads and writes amounts of memory as a person types
// them: a whole number of bytes, or of KiB, MiB or GiB (IEC 80000-13
// binary prefixes, 1024 apart). It gives the command line's size flags
// their values and shows their defaults in -h.
package bytesize

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The binary units, in bytes.
const (
	KiB int64 = 1 << 10
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
)

// units are the suffixes Parse accepts, matched without regard to case.
var units = []struct {
	suffix string
	bytes  int64
}{
	{"kib", KiB}, {"mib", MiB}, {"gib", GiB}, {"b", 1},
}

// The ways Parse refuses a size, wrapped with the size in its errors.
var (
	ErrSyntax = errors.New("want a whole number of bytes, or of KiB, MiB or GiB (such as 65536, 64KiB, 4MiB)")
	ErrRange  = errors.New("too large")
)

// Parse reads a size such as "65536", "64KiB" or "4 MiB". Units are
// case-insensitive; decimal units (KB, MB, GB) are refused rather than
// guessed at, as are fractions, signs and sizes past the int64 range.
func Parse(s string) (int64, error) {
	text := strings.TrimSpace(s)
	lower := strings.ToLower(text)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(lower, u.suffix) {
			lower, mult = strings.TrimSpace(strings.TrimSuffix(lower, u.suffix)), u.bytes
			break
		}
	}
	if lower == "" || strings.Trim(lower, "0123456789") != "" {
		return 0, fmt.Errorf("size %q: %w", s, ErrSyntax)
	}
	n, err := strconv.ParseInt(lower, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q: %w", s, ErrRange)
	}
	return n * mult, nil
}

// Format writes n in the largest unit that divides it exactly: 65536 is
// "64KiB", 4194304 is "4MiB", 1000 is "1000". Parse reads it back.
func Format(n int64) string {
	for _, u := range []struct {
		name  string
		bytes int64
	}{{"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}} {
		if n != 0 && n%u.bytes == 0 {
			return strconv.FormatInt(n/u.bytes, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// Approx writes n as a person reads it, rounded: "87 B", "120 KiB",
// "1.5 MiB".
func Approx(n int64) string {
	switch {
	case n >= MiB:
		return fmt.Sprintf("%.1f MiB", float64(n)/float64(MiB))
	case n >= KiB:
		return fmt.Sprintf("%d KiB", (n+KiB/2)/KiB)
	}
	return fmt.Sprintf("%d B", n)
}

// Value is a flag.Value that sets the int64 it points at from a size.
type Value struct{ p *int64 }

// Var defines a size flag on fs, like fs.Int64Var: its default is shown
// in -h in the form Format writes, and its value may be typed either way.
func Var(fs *flag.FlagSet, p *int64, name string, value int64, usage string) {
	*p = value
	fs.Var(Value{p}, name, usage)
}

// Set reads s with Parse. Its error is the bare reason: the flag
// package names the flag and the value around it.
func (v Value) Set(s string) error {
	n, err := Parse(s)
	if err != nil {
		return errors.Unwrap(err)
	}
	*v.p = n
	return nil
}

// String is the value in the form Format writes; "0" for a Value made
// without a pointer, as flag.PrintDefaults does to find the zero value.
func (v Value) String() string {
	if v.p == nil {
		return "0"
	}
	return Format(*v.p)
}
