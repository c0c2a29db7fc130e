package resp

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadValue reads whatever comes with small limits: it must never
// panic, must hold no more than the limits allow, and every value it
// returns must encode and parse back to the same value.
func FuzzReadValue(f *testing.F) {
	f.Add([]byte("+OK\r\n"))
	f.Add([]byte("*2\r\n$5\r\nhello\r\n|1\r\n+a\r\n,nan\r\n"))
	lim := Limits{MaxBulk: 1 << 12, MaxElems: 1 << 10, MaxDepth: 16}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<16 {
			return
		}
		r := NewReader(bytes.NewReader(in), lim)
		for {
			v, err := r.ReadValue()
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrProtocol) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("unexpected kind of error: %v", err)
				}
				return
			}
			if v.Kind() == Invalid {
				t.Fatal("read an Invalid value without error")
			}
			enc := appendValue(nil, v)
			back, err := NewReader(bytes.NewReader(enc), lim).ReadValue()
			if err != nil {
				t.Fatalf("re-reading %q (from %q): %v", enc, in, err)
			}
			if !equal(v, back) {
				t.Fatalf("round trip changed %q into %q", in, enc)
			}
		}
	})
}
