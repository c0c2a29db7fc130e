package jwt

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkVerify times one Verify per algorithm, against the time of an
// HS256 Verify measured in the same run (x-HS256).
func BenchmarkVerify(b *testing.B) {
	k := newTestKeys(b)
	cases := []struct {
		key  *Key
		priv any
	}{{k.hsKey, k.secret}, {k.rsKey, k.rsa}, {k.esKey, k.ec}, {k.edKey, k.ed}}
	hs := &Verifier{Key: k.hsKey, Now: func() time.Time { return testNow }}
	hsToken := signed(b, k.secret, hsHeader, goodBody)
	for _, c := range cases {
		b.Run(c.key.Algorithm(), func(b *testing.B) {
			v := &Verifier{Key: c.key, Now: func() time.Time { return testNow }}
			token := signed(b, c.priv, fmt.Sprintf(`{"alg":%q}`, c.key.Algorithm()), goodBody)
			baseline := timePerOp(b, 1000, func() { hs.Verify(hsToken) })
			b.ResetTimer()
			for b.Loop() {
				if _, err := v.Verify(token); err != nil {
					b.Fatal(err)
				}
			}
			perOp := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(perOp)/float64(baseline), "x-HS256")
		})
	}
}

// timePerOp runs f n times and returns the mean time per run.
func timePerOp(b *testing.B, n int, f func()) time.Duration {
	start := time.Now()
	for range n {
		f()
	}
	return time.Since(start) / time.Duration(n)
}
