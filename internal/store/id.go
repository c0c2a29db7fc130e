package store

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ID identifies a record within its room. It is written "MS-SEQ" like a
// Redis stream ID: MS is the append time in Unix milliseconds, SEQ a
// counter within that millisecond. The IDs of one room strictly increase,
// across restarts too: a new ID is at least (last.Ms, last.Seq+1) even if
// the clock went back.
type ID struct{ Ms, Seq uint64 }

// MaxID comes after every ID a record can have: Before(room, MaxID, n)
// reads a room's newest records.
var MaxID = ID{Ms: ^uint64(0), Seq: ^uint64(0)}

// errBadID is what ParseID reports for anything but canonical "MS-SEQ".
var errBadID = errors.New(`store: malformed ID: want "MS-SEQ" in decimal`)

// String returns the ID as "MS-SEQ".
func (id ID) String() string {
	b := make([]byte, 0, 41)
	b = strconv.AppendUint(b, id.Ms, 10)
	b = append(b, '-')
	b = strconv.AppendUint(b, id.Seq, 10)
	return string(b)
}

// ParseID parses the form String writes. It is strict: two unsigned
// decimal numbers joined by one '-', no signs, spaces or leading zeros,
// each fitting in 64 bits, so that ParseID(s).String() == s.
func ParseID(s string) (ID, error) {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok {
		return ID{}, errBadID
	}
	m, err1 := parseDecimal(ms)
	q, err2 := parseDecimal(seq)
	if err1 != nil || err2 != nil {
		return ID{}, errBadID
	}
	return ID{Ms: m, Seq: q}, nil
}

// parseDecimal parses a canonical unsigned decimal number.
func parseDecimal(s string) (uint64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, errBadID
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errBadID
		}
	}
	return strconv.ParseUint(s, 10, 64) // rejects overflow
}

// Less reports whether id comes before o.
func (id ID) Less(o ID) bool {
	return id.Ms < o.Ms || (id.Ms == o.Ms && id.Seq < o.Seq)
}

// IsZero reports whether id is the zero ID, which no record has; After
// takes it to mean "from the start".
func (id ID) IsZero() bool { return id == ID{} }

// Time returns the append time the ID carries, in UTC.
func (id ID) Time() time.Time {
	return time.UnixMilli(int64(id.Ms)).UTC()
}

// next returns the ID a record appended at now gets after last.
func next(last ID, now time.Time) ID {
	ms := now.UnixMilli()
	if ms > 0 && uint64(ms) > last.Ms {
		return ID{Ms: uint64(ms)}
	}
	return ID{Ms: last.Ms, Seq: last.Seq + 1}
}
