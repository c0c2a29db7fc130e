package main

import (
	"bytes"
	"compress/flate"
	"io"
	"net/http"
	"testing"
)

// This file holds the test client's side of permessage-deflate (RFC
// 7692): an offer, and messages compressed and inflated as a client does.
// See helpers_test.go for where the other helpers are.

// deflateAnswer is the response to every acceptable offer that does not
// limit the server's window.
const deflateAnswer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

// deflateClient dials addr with a permessage-deflate offer and checks it
// was accepted.
func deflateClient(t *testing.T, addr, path, offer string) *wsClient {
	t.Helper()
	h := http.Header{}
	h.Set("Sec-WebSocket-Extensions", offer)
	c, resp, err := tryDial(addr, path, h)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("dial: %v %v", resp, err)
	}
	if resp.Header.Get("Sec-WebSocket-Extensions") == "" {
		t.Fatalf("permessage-deflate not negotiated for offer %q", offer)
	}
	c.t = t
	t.Cleanup(func() { c.nc.Close() })
	return c
}

// clientDeflate compresses a message as a client without context
// takeover does (RFC 7692 §7.2.1).
func clientDeflate(t testing.TB, msg []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.DefaultCompression)
	w.Write(msg)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// clientInflate inflates a compressed message from the server (§7.2.2).
func clientInflate(t testing.TB, data []byte) []byte {
	r := flate.NewReader(io.MultiReader(bytes.NewReader(data), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff})))
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("inflate the server's message: %v", err)
	}
	return out
}

// writeCompressed sends msg compressed, in frames of at most frag bytes
// (0: one frame), RSV1 on the first only (§6).
func (c *wsClient) writeCompressed(op opcode, msg []byte, frag int) {
	data := clientDeflate(c.t, msg)
	for first := true; first || len(data) > 0; first = false {
		n := len(data)
		if frag > 0 {
			n = min(n, frag)
		}
		h := frameHeader{fin: n == len(data), opcode: op, masked: true, maskKey: c.key, length: int64(n)}
		if first {
			h.rsv = bitRsv1
		} else {
			h.opcode = opContinuation
		}
		b := appendFrameHeader(nil, h)
		k := len(b)
		b = append(b, data[:n]...)
		maskBytes(c.key, 0, b[k:])
		c.writeRaw(b)
		data = data[n:]
	}
}

// readMessage reads the server's next data message, inflating it when
// RSV1 is set, and reports whether it was compressed.
func (c *wsClient) readMessage() (opcode, []byte, bool) {
	c.t.Helper()
	var (
		op         opcode
		msg        []byte
		compressed bool
	)
	for {
		h, p, err := c.readFrame()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		switch {
		case h.opcode == opPing || h.opcode == opPong:
			continue
		case h.opcode == opClose:
			c.t.Fatalf("got close %v, want a message", decodeClose(p))
		case h.opcode != opContinuation:
			op, compressed = h.opcode, h.rsv == bitRsv1
		case h.rsv != 0:
			c.t.Fatalf("continuation frame with reserved bits %#x", h.rsv)
		}
		msg = append(msg, p...)
		if !h.fin {
			continue
		}
		if compressed {
			msg = clientInflate(c.t, msg)
		}
		return op, msg, compressed
	}
}
