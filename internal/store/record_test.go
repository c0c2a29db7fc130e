package store

import (
	"bytes"
	"strings"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		room    string
		id      ID
		payload []byte
	}{
		{"empty payload", "lobby", ID{1, 0}, nil},
		{"text", "lobby", ID{1700000000000, 42}, []byte("alice: hello")},
		{"longest room", strings.Repeat("r", MaxRoom), ID{2, 1}, []byte("x")},
		{"largest payload", "big", ID{3, 0}, bytes.Repeat([]byte{0xfe}, MaxPayload)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := appendRecord([]byte("prefix"), tt.room, tt.id, tt.payload)[len("prefix"):]
			if len(b) != encodedSize(tt.room, tt.payload) {
				t.Fatalf("encoded %d bytes, encodedSize says %d", len(b), encodedSize(tt.room, tt.payload))
			}
			rec, n, err := decodeRecord(append(b, "trailing"...))
			if err != nil || n != len(b) {
				t.Fatalf("decode: n=%d err=%v, want n=%d", n, err, len(b))
			}
			if string(rec.room) != tt.room || rec.id != tt.id || !bytes.Equal(rec.payload, tt.payload) {
				t.Errorf("decoded %q %v %d bytes", rec.room, rec.id, len(rec.payload))
			}
		})
	}
}

// Every single damaged byte must be refused, whatever it turns into.
func TestRecordFlipAnyByte(t *testing.T) {
	b := appendRecord(nil, "lobby", ID{1700000000000, 7}, []byte("bob: the quick brown fox"))
	for i := range b {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			d := bytes.Clone(b)
			d[i] ^= mask
			if _, _, err := decodeRecord(d); err == nil {
				t.Errorf("byte %d ^ %#x accepted", i, mask)
			}
		}
	}
}

func TestDecodeRecordRefuses(t *testing.T) {
	good := appendRecord(nil, "lobby", ID{1, 2}, []byte("hi"))
	huge := bytes.Clone(good)
	huge[3] = 0x7f
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, errTruncated},
		{"short header", good[:7], errTruncated},
		{"header only", good[:headerSize], errTruncated},
		{"cut payload", good[:len(good)-1], errTruncated},
		{"zero length", make([]byte, 32), errLength},
		{"length past limit", huge, errLength},
		{"room longer than body", forgeRoomLen(), errRoomLen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := decodeRecord(tt.in); err != tt.want {
				t.Errorf("decodeRecord: %v, want %v", err, tt.want)
			}
		})
	}
}

// forgeRoomLen returns a record with a valid checksum whose room length
// byte points past its body.
func forgeRoomLen() []byte {
	b := appendRecord(nil, "", ID{1, 1}, nil)
	b[headerSize] = 200
	return reseal(b)
}

// FuzzDecodeRecord checks that decodeRecord never panics or over-reads,
// and that whatever it accepts is exactly what appendRecord writes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(appendRecord(nil, "lobby", ID{1700000000000, 0}, []byte("alice: hi")))
	f.Add(forgeRoomLen())
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, n, err := decodeRecord(b)
		if err != nil {
			if n != 0 {
				t.Fatalf("error %v with n=%d", err, n)
			}
			return
		}
		if n > len(b) {
			t.Fatalf("n=%d past the input's %d bytes", n, len(b))
		}
		if again := appendRecord(nil, string(rec.room), rec.id, rec.payload); !bytes.Equal(again, b[:n]) {
			t.Fatalf("accepted bytes that do not re-encode the same:\n got %x\nwant %x", b[:n], again)
		}
	})
}
