package textrules

import (
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode"
)

// BenchmarkCleanMessage measures CleanMessage against two baselines on the
// same input in the same run: strings.TrimSpace, the least a chat would
// do, and mapClean, a one-pass strings.Map that only turns line breaks and
// bidirectional controls into spaces. x-trimspace and x-map say how many
// times slower CleanMessage is.
func BenchmarkCleanMessage(b *testing.B) {
	for _, bm := range []struct{ name, in string }{
		{"ASCII-100", "Are we still on for the meeting at 3pm? I can bring the slides and the notes from last week's call."},
		{"Unicode-clean", "Zoë says 你好 to שלום and 👩\u200d💻 codes: café, naïve, 👍🏽 ok"},
		{"Unicode-dirty", "Zoë says  你好\u200b to\nשלום\u202e and 👩\u200d💻 codes:\t\tcafé e\u0301\u0301\u0301\u0301\u0301 👍🏽 ok "},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bm.in)))
			trim := nsPerOp(b.N, func() string { return strings.TrimSpace(bm.in) })
			mapped := nsPerOp(b.N, func() string { return mapClean(bm.in) })
			b.ResetTimer()
			n := 0
			for range b.N {
				n += len(CleanMessage(bm.in))
			}
			b.StopTimer()
			runtime.KeepAlive(n)
			clean := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(trim, "trimspace-ns/op")
			b.ReportMetric(mapped, "map-ns/op")
			b.ReportMetric(clean/trim, "x-trimspace")
			b.ReportMetric(clean/mapped, "x-map")
		})
	}
}

// nsPerOp times n calls of f.
func nsPerOp(n int, f func() string) float64 {
	total := 0
	start := time.Now()
	for range n {
		total += len(f())
	}
	runtime.KeepAlive(total)
	return max(float64(time.Since(start).Nanoseconds()), 1) / float64(n)
}

// mapClean is the baseline cleaning: control characters, line and
// paragraph separators and bidirectional controls become spaces, and the
// ends are trimmed.
func mapClean(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control) {
			return ' '
		}
		return r
	}, s))
}

// BenchmarkCheckName measures a name check, done once a connection.
func BenchmarkCheckName(b *testing.B) {
	for _, bm := range []struct{ name, in string }{
		{"ASCII", "alice_2"},
		{"Japanese", "たなか太郎"},
		{"Devanagari", "हिंदी"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if CheckName("name", bm.in) != "" {
					b.Fatalf("%q refused", bm.in)
				}
			}
		})
	}
}

// BenchmarkNameKey measures the key of a name, taken once a connection,
// and the skeleton under it.
func BenchmarkNameKey(b *testing.B) {
	for _, bm := range []struct{ name, in string }{
		{"ASCII", "alice_2"},
		{"ASCII-capitals", "Alice_2"},
		{"Cyrillic", "аӏісе"},
		{"Greek", "Ωμέγα"},
		{"Japanese", "たなか太郎"},
		{"Korean", "김철수"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				NameKey(bm.in)
			}
		})
		b.Run(bm.name+"-skeleton", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				Skeleton(bm.in)
			}
		})
	}
}
