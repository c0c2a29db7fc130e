package main

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"sync"
)

// minCompressed is the shortest payload worth compressing. Below it the
// DEFLATE block header and Huffman tables cost about as much as they save
// on a chat line (BenchmarkCompressThreshold: a 32-byte line grows by a
// fifth, a 64-byte one shrinks by an eighth), and the message goes plain,
// RSV1 clear, as RFC 7692 §6 allows for any message.
const minCompressed = 64

// bitRsv1 is the RSV1 bit, which marks the first frame of a compressed
// message (RFC 7692 §6).
const bitRsv1 = 0x40

// deflateTail ends a message's compressed data: §7.2.2 has the receiver
// append 0x00 0x00 0xff 0xff, the end of the empty stored block that the
// sender's flush left off (§7.2.1). The empty final stored block after it
// lets compress/flate see the end of the stream rather than an
// unexpected EOF.
var deflateTail = [...]byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// deflater compresses and inflates messages for permessage-deflate. It
// holds no state of any connection: compressors and decompressors are
// taken from pools for one message and put back, so an idle connection
// holds none. One deflater serves the whole server.
type deflater struct {
	writers sync.Pool // *flate.Writer at flate.BestSpeed
	huffman sync.Pool // *flate.Writer with Huffman coding only
	readers sync.Pool // io.ReadCloser from flate.NewReader
}

// errInflatedTooBig is a compressed message that inflates past the limit.
var errInflatedTooBig = errors.New("inflated message too big")

// appendWriter is an io.Writer that appends to a byte slice.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// compressedFrame encodes payload as one compressed frame of type op
// (RSV1 set, §6), or returns nil when the payload is too short to gain or
// does not shrink. fullWindow tells whether the peer lets the server look
// back 32 KiB; otherwise only Huffman coding is used, which refers to no
// earlier bytes and so fits any window (§7.1.2.1).
func (d *deflater) compressedFrame(op opcode, payload []byte, fullWindow bool) []byte {
	if len(payload) < minCompressed {
		return nil
	}
	pool, level := &d.writers, flate.BestSpeed
	if !fullWindow {
		pool, level = &d.huffman, flate.HuffmanOnly
	}
	// The frame header is written last, in front of the data, once its
	// length is known: room for the longest header is kept at the start.
	out := &appendWriter{b: make([]byte, maxHeaderSize, maxHeaderSize+len(payload))}
	fw, _ := pool.Get().(*flate.Writer)
	if fw == nil {
		fw, _ = flate.NewWriter(out, level) // the level is valid: no error
	} else {
		fw.Reset(out)
	}
	fw.Write(payload) // an appendWriter never fails
	fw.Flush()
	fw.Reset(nil)
	pool.Put(fw)
	// §7.2.1: the flush ends with an empty stored block, 0x00 0x00 0xff
	// 0xff, which is removed.
	data := bytes.TrimSuffix(out.b[maxHeaderSize:], deflateTail[:4])
	if len(data) >= len(payload) {
		return nil
	}
	h := frameHeader{fin: true, rsv: bitRsv1, opcode: op, length: int64(len(data))}
	start := maxHeaderSize - headerLen(h)
	appendFrameHeader(out.b[start:start], h)
	return out.b[start : maxHeaderSize+len(data)]
}

// headerLen is the size of h once encoded.
func headerLen(h frameHeader) int {
	var b [maxHeaderSize]byte
	return len(appendFrameHeader(b[:0], h))
}

// inflate decompresses the payload of a compressed message (§7.2.2) into
// a buffer that grows only as inflated bytes come out, and stops with
// errInflatedTooBig as soon as they pass limit: a small message that
// inflates to a great deal costs no more than the limit.
func (d *deflater) inflate(compressed []byte, limit int64) ([]byte, error) {
	src := io.MultiReader(bytes.NewReader(compressed), bytes.NewReader(deflateTail[:]))
	fr, _ := d.readers.Get().(io.ReadCloser)
	if fr == nil {
		fr = flate.NewReader(src)
	} else if err := fr.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	defer func() {
		fr.(flate.Resetter).Reset(bytes.NewReader(nil), nil) // let go of compressed
		d.readers.Put(fr)
	}()
	out := make([]byte, 0, min(int64(max(2*len(compressed), readBufferSize)), limit+1))
	for {
		if len(out) == cap(out) {
			if int64(len(out)) > limit {
				return nil, errInflatedTooBig
			}
			out = growInflated(out, limit)
		}
		n, err := fr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			if int64(len(out)) > limit {
				return nil, errInflatedTooBig
			}
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("inflate: %w", err)
		}
	}
}

// growInflated doubles a full buffer of inflated bytes, to at most one
// byte past limit: the byte that tells the message is too big.
func growInflated(out []byte, limit int64) []byte {
	n := min(int64(2*cap(out)), limit+1)
	grown := make([]byte, len(out), n)
	copy(grown, out)
	return grown
}

// compressedStart reports whether h may carry RSV1: permessage-deflate
// was negotiated and h is the first frame of a data message. RFC 7692 §6
// sets RSV1 there only, never on a continuation or control frame.
func (c *Conn) compressedStart(h frameHeader) bool {
	return c.compressor() != nil && h.rsv == bitRsv1 && (h.opcode == opText || h.opcode == opBinary)
}

// inflateMessage inflates a reassembled compressed message of type op
// within the connection's message limit (RFC 7692 §7.2.2), and checks
// that text is UTF-8 once inflated. Inflating past the limit fails the
// connection with 1009, data that does not inflate with 1007.
func (c *Conn) inflateMessage(op opcode, compressed []byte) ([]byte, error) {
	msg, err := c.compressor().inflate(compressed, c.cfg.maxMessage)
	if errors.Is(err, errInflatedTooBig) {
		return nil, protocolError(closeMessageTooBig,
			fmt.Sprintf("message too big: the limit is %d bytes once inflated", c.cfg.maxMessage))
	}
	if err != nil {
		return nil, protocolError(closeInvalidPayload, "compressed message does not inflate: "+err.Error())
	}
	var v utf8Validator
	if op == opText && !(v.write(msg) && v.complete()) {
		return nil, protocolError(closeInvalidPayload, "text message is not valid UTF-8")
	}
	return msg, nil
}

// framePayload returns the payload of one whole unmasked frame that the
// server encoded.
func framePayload(frame []byte) []byte {
	h, n, _ := parseFrameHeader(frame)
	return frame[n : int64(n)+h.length]
}
