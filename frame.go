package main

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
)

// opcode is the frame type, RFC 6455 §5.2.
type opcode byte

const (
	opContinuation opcode = 0x0
	opText         opcode = 0x1
	opBinary       opcode = 0x2
	opClose        opcode = 0x8
	opPing         opcode = 0x9
	opPong         opcode = 0xA
)

// isControl reports whether op is a control opcode (§5.5): the high bit of
// the four-bit opcode is set.
func (op opcode) isControl() bool { return op&0x8 != 0 }

// isReserved reports whether op is one of the opcodes §5.2 reserves for
// future use (0x3-0x7 and 0xB-0xF).
func (op opcode) isReserved() bool {
	switch op {
	case opContinuation, opText, opBinary, opClose, opPing, opPong:
		return false
	}
	return true
}

const (
	// maxHeaderSize is the largest frame header: 2 bytes, an 8-byte
	// extended length and a 4-byte masking key (§5.2).
	maxHeaderSize = 14
	// maxControlPayload is the largest control frame payload (§5.5).
	maxControlPayload = 125
)

// Bits of the first two header bytes (§5.2).
const (
	bitFin  = 0x80
	bitsRsv = 0x70
	bitMask = 0x80
)

// frameHeader is the fixed part of a frame, everything before the payload.
type frameHeader struct {
	fin     bool
	rsv     byte // the RSV1-3 bits, in place (0x70 mask)
	opcode  opcode
	masked  bool
	maskKey [4]byte
	length  int64
}

// errHeaderLength is a 64-bit payload length with the most significant
// bit set, which §5.2 forbids.
var errHeaderLength = errors.New("frame length has the most significant bit set")

// parseFrameHeader parses the frame header at the start of b. It returns
// the header and its size in bytes, or n == 0 when b is too short to hold
// the whole header yet.
func parseFrameHeader(b []byte) (h frameHeader, n int, err error) {
	if len(b) < 2 {
		return h, 0, nil
	}
	h.fin = b[0]&bitFin != 0
	h.rsv = b[0] & bitsRsv
	h.opcode = opcode(b[0] & 0x0F)
	h.masked = b[1]&bitMask != 0
	n = 2
	// §5.2: 0-125 is the length itself; 126 means a 16-bit length
	// follows, 127 a 64-bit one.
	switch l := b[1] & 0x7F; l {
	case 126:
		if len(b) < 4 {
			return h, 0, nil
		}
		h.length = int64(binary.BigEndian.Uint16(b[2:]))
		n = 4
	case 127:
		if len(b) < 10 {
			return h, 0, nil
		}
		l64 := binary.BigEndian.Uint64(b[2:])
		if l64 > math.MaxInt64 {
			return h, 0, errHeaderLength
		}
		h.length = int64(l64)
		n = 10
	default:
		h.length = int64(l)
	}
	if h.masked {
		if len(b) < n+4 {
			return h, 0, nil
		}
		copy(h.maskKey[:], b[n:])
		n += 4
	}
	return h, n, nil
}

// appendFrameHeader appends the encoding of h to dst, using the shortest
// length form (§5.2: "the minimal number of bytes MUST be used").
func appendFrameHeader(dst []byte, h frameHeader) []byte {
	b0 := byte(h.opcode) | h.rsv
	if h.fin {
		b0 |= bitFin
	}
	var b1 byte
	if h.masked {
		b1 = bitMask
	}
	switch {
	case h.length <= 125:
		dst = append(dst, b0, b1|byte(h.length))
	case h.length <= math.MaxUint16:
		dst = append(dst, b0, b1|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(h.length))
	default:
		dst = append(dst, b0, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(h.length))
	}
	if h.masked {
		dst = append(dst, h.maskKey[:]...)
	}
	return dst
}

// appendFrame appends one whole unmasked frame, as a server sends it
// (§5.1: a server MUST NOT mask), to dst.
func appendFrame(dst []byte, op opcode, payload []byte) []byte {
	dst = appendFrameHeader(dst, frameHeader{fin: true, opcode: op, length: int64(len(payload))})
	return append(dst, payload...)
}

// encodeFrame returns one whole unmasked frame in a buffer of exactly the
// right size.
func encodeFrame(op opcode, payload []byte) []byte {
	return appendFrame(make([]byte, 0, maxHeaderSize+len(payload)), op, payload)
}

// maskBytes XORs b with the masking key as §5.3 describes, starting at
// position pos of the key, and returns the key position for the byte that
// follows b. Masking and unmasking are the same operation.
func maskBytes(key [4]byte, pos int, b []byte) int {
	pos &= 3
	// With the key rotated so that key[pos] applies to b[0], whole 64-byte
	// blocks go through maskBlocks, what is left a word at a time, and the
	// tail byte by byte; whole words leave pos where it was.
	if len(b) >= 8 {
		k32 := bits.RotateLeft32(binary.LittleEndian.Uint32(key[:]), -8*pos)
		k64 := uint64(k32)<<32 | uint64(k32)
		n := len(b) &^ 63
		maskBlocks(b[:n], k64)
		b = b[n:]
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k64)
			b = b[8:]
		}
	}
	for i := range b {
		b[i] ^= key[pos&3]
		pos++
	}
	return pos & 3
}
