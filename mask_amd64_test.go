package main

import (
	"bytes"
	"testing"
)

// TestMaskBlocksBothPaths checks the vector loops of maskBlocks against
// the byte loop, the SSE2 one included on a processor that would take
// the AVX2 one.
func TestMaskBlocksBothPaths(t *testing.T) {
	defer func(v bool) { useAVX2 = v }(useAVX2)
	key := [4]byte{0x37, 0xFA, 0x21, 0x3D}
	data := make([]byte, 4096+64+5)
	for i := range data {
		data[i] = byte(i*7 + 3)
	}
	for _, avx2 := range []bool{false, hasAVX2()} {
		useAVX2 = avx2
		for _, n := range []int{0, 63, 64, 65, 128, 4096, len(data)} {
			for pos := range 4 {
				want := bytes.Clone(data[:n])
				maskNaive(key, pos, want)
				got := bytes.Clone(data[:n])
				maskBytes(key, pos, got)
				if !bytes.Equal(got, want) {
					t.Fatalf("AVX2 %v, len %d, pos %d: differs from the byte loop", avx2, n, pos)
				}
			}
		}
	}
}
