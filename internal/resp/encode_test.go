package resp

import (
	"math"
	"strconv"
)

// appendValue encodes v as RESP3, the inverse of Reader.ReadValue, so that
// tests can check that what was parsed survives a round trip.
func appendValue(dst []byte, v Value) []byte {
	if len(v.attrs) > 0 {
		dst = appendHeader(dst, '|', len(v.attrs)/2)
		for _, a := range v.attrs {
			dst = appendValue(dst, a)
		}
	}
	switch v.kind {
	case SimpleString, SimpleError, BigNumber:
		t := map[Kind]byte{SimpleString: '+', SimpleError: '-', BigNumber: '('}[v.kind]
		dst = append(append(dst, t), v.b...)
		return append(dst, '\r', '\n')
	case BulkString, BulkError, VerbatimString:
		t := map[Kind]byte{BulkString: '$', BulkError: '!', VerbatimString: '='}[v.kind]
		dst = append(appendHeader(dst, t, len(v.b)), v.b...)
		return append(dst, '\r', '\n')
	case Integer:
		return append(strconv.AppendInt(append(dst, ':'), v.num, 10), '\r', '\n')
	case Null:
		return append(dst, "_\r\n"...)
	case Boolean:
		return append(dst, "#f\r\n#t\r\n"[4*v.num:4*v.num+4]...)
	case Double:
		return append(appendDouble(append(dst, ','), v.Float()), '\r', '\n')
	}
	t := map[Kind]byte{Array: '*', Map: '%', Set: '~', Push: '>'}[v.kind]
	dst = appendHeader(dst, t, v.Len())
	for _, e := range v.elems {
		dst = appendValue(dst, e)
	}
	return dst
}

func appendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, f, 'e', -1, 64)
}

// equal reports whether a and b are the same value; NaN equals NaN.
func equal(a, b Value) bool {
	if a.kind != b.kind || string(a.b) != string(b.b) || a.num != b.num && a.kind != Double ||
		len(a.elems) != len(b.elems) || len(a.attrs) != len(b.attrs) {
		return false
	}
	if a.kind == Double && a.Float() != b.Float() && !(math.IsNaN(a.Float()) && math.IsNaN(b.Float())) {
		return false
	}
	for i := range a.elems {
		if !equal(a.elems[i], b.elems[i]) {
			return false
		}
	}
	for i := range a.attrs {
		if !equal(a.attrs[i], b.attrs[i]) {
			return false
		}
	}
	return true
}
