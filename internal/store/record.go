package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// MaxPayload is the largest payload Append accepts.
const MaxPayload = 1 << 20

// MaxRoom is the longest room key and owner key Append accepts
// together, in bytes, with the byte between them.
const MaxRoom = 255

// The encoded form of a record, all integers little-endian:
//
//	offset 0  uint32  body length
//	offset 4  uint32  CRC-32C (Castagnoli) of the body
//	offset 8  body:   room length (1 byte), room, ID.Ms (8), ID.Seq (8), payload
//
// The room field is the room key, then, for a record with an owner, a
// NUL byte and the owner's key: no room key has a NUL, and records
// written before owners were kept have none.
const (
	headerSize  = 8
	minBodySize = 1 + 16
	maxBodySize = minBodySize + MaxRoom + MaxPayload
)

// castagnoli is the CRC-32C table; it is read-only after package init.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Why decodeRecord refuses its input.
var (
	errTruncated = errors.New("truncated record")
	errLength    = errors.New("impossible record length")
	errChecksum  = errors.New("checksum mismatch")
	errRoomLen   = errors.New("room longer than the record")
)

// rawRecord is a record decoded in place: room, owner and payload alias
// the decoder's input.
type rawRecord struct {
	room, owner []byte
	id          ID
	payload     []byte
}

// roomField is what a record's room field holds: the room key, and the
// owner's after a NUL byte when there is one.
func roomField(room, owner string) string {
	if owner == "" {
		return room
	}
	return room + "\x00" + owner
}

// encodedSize returns the size of the encoded record.
func encodedSize(field string, payload []byte) int {
	return headerSize + minBodySize + len(field) + len(payload)
}

// appendRecord appends the encoded record to dst. field (roomField) must
// be at most MaxRoom bytes and payload at most MaxPayload.
func appendRecord(dst []byte, field string, id ID, payload []byte) []byte {
	start := len(dst)
	body := minBodySize + len(field) + len(payload)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(body))
	dst = binary.LittleEndian.AppendUint32(dst, 0) // checksum, set below
	dst = append(dst, byte(len(field)))
	dst = append(dst, field...)
	dst = binary.LittleEndian.AppendUint64(dst, id.Ms)
	dst = binary.LittleEndian.AppendUint64(dst, id.Seq)
	dst = append(dst, payload...)
	sum := crc32.Checksum(dst[start+headerSize:], castagnoli)
	binary.LittleEndian.PutUint32(dst[start+4:], sum)
	return dst
}

// decodeRecord decodes the record at the start of b and returns it with
// its encoded size. It reads nothing past the record's own bytes and
// never past b, and accepts only a record whose checksum matches.
func decodeRecord(b []byte) (rawRecord, int, error) {
	if len(b) < headerSize {
		return rawRecord{}, 0, errTruncated
	}
	body := binary.LittleEndian.Uint32(b)
	if body < minBodySize || body > maxBodySize {
		return rawRecord{}, 0, errLength
	}
	n := headerSize + int(body)
	if len(b) < n {
		return rawRecord{}, 0, errTruncated
	}
	p := b[headerSize:n]
	if crc32.Checksum(p, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return rawRecord{}, 0, errChecksum
	}
	roomLen := int(p[0])
	if len(p) < minBodySize+roomLen {
		return rawRecord{}, 0, errRoomLen
	}
	ids := p[1+roomLen:]
	room, owner, _ := bytes.Cut(p[1:1+roomLen], []byte{0})
	return rawRecord{
		room:    room,
		owner:   owner,
		id:      ID{Ms: binary.LittleEndian.Uint64(ids), Seq: binary.LittleEndian.Uint64(ids[8:])},
		payload: ids[16:],
	}, n, nil
}

// plausibleRecord reports whether a record could start at b[0], checking
// the length before the checksum so that a search through garbage stays
// linear in practice.
func plausibleRecord(b []byte) bool {
	if len(b) < headerSize {
		return false
	}
	body := binary.LittleEndian.Uint32(b)
	if body < minBodySize || body > maxBodySize || int64(body) > int64(len(b)-headerSize) {
		return false
	}
	_, _, err := decodeRecord(b)
	return err == nil
}
