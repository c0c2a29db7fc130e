package main

import (
	"bytes"
	"compress/flate"
	"io"
	"strconv"
	"strings"
	"testing"
)

// FuzzNegotiateDeflate feeds Sec-WebSocket-Extensions values to the
// negotiation. Whatever they hold, it must not panic, and an answer must
// be one a client can accept: permessage-deflate with both
// no_context_takeover parameters, a server window only when one was
// asked for and then from 8 to 15, and nothing else; an answer with no
// permessage-deflate in the offer is wrong.
func FuzzNegotiateDeflate(f *testing.F) {
	f.Fuzz(func(t *testing.T, a, b string) {
		p, response, ok := negotiateDeflate([]string{a, b})
		if !ok {
			if response != "" {
				t.Fatalf("declined with response %q", response)
			}
			return
		}
		if !strings.Contains(strings.ToLower(a+b), deflateExtension) {
			t.Fatalf("accepted %q, %q, which offer no %s", a, b, deflateExtension)
		}
		offers := parseExtensions([]string{response})
		if len(offers) != 1 || offers[0].name != deflateExtension {
			t.Fatalf("response %q does not parse as one %s", response, deflateExtension)
		}
		if p.serverWindowBits < 8 || p.serverWindowBits > 15 {
			t.Fatalf("server window %d bits", p.serverWindowBits)
		}
		want := deflateAnswer
		if strings.Contains(response, "server_max_window_bits") {
			want += "; server_max_window_bits=" + strconv.Itoa(int(p.serverWindowBits))
		}
		if response != want {
			t.Fatalf("response %q, want %q", response, want)
		}
	})
}

// FuzzInflate inflates arbitrary data as a compressed message with a
// small limit: it must never panic nor return more than the limit, and
// what it returns must be what compress/flate makes of the same data.
func FuzzInflate(f *testing.F) {
	var d deflater
	const limit = 1000
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := d.inflate(data, limit)
		if err != nil {
			if len(got) != 0 {
				t.Fatalf("error %v with %d bytes", err, len(got))
			}
			return
		}
		if len(got) > limit {
			t.Fatalf("%d bytes inflated, over the limit of %d", len(got), limit)
		}
		r := flate.NewReader(io.MultiReader(bytes.NewReader(data), bytes.NewReader(deflateTail[:])))
		want, _ := io.ReadAll(io.LimitReader(r, limit+1))
		if !bytes.Equal(got, want) {
			t.Fatalf("inflated %q, compress/flate says %q", got, want)
		}
	})
}
