package resp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// Defaults for [Limits] fields left at zero.
const (
	DefaultMaxBulk  = 64 << 20 // bytes in one bulk, verbatim string or bulk error
	DefaultMaxElems = 1 << 20  // elements in one reply, summed over its aggregates
	DefaultMaxDepth = 64       // aggregates nested in one another
)

// MaxLine is the longest line a Reader accepts: a type byte, a simple
// string, error, number or length, and its CRLF.
const MaxLine = 64 << 10

// chunk is how much a bulk string grows by while its bytes arrive, so
// that a forged length costs no more memory than the bytes that came.
const chunk = 64 << 10

// Limits bound what one reply may make a Reader hold. Zero fields take the
// Default values above.
type Limits struct {
	MaxBulk  int // longest bulk string, bulk error or verbatim string
	MaxElems int // most elements in one reply, nested ones included
	MaxDepth int // deepest nesting of aggregates
}

func (l Limits) withDefaults() Limits {
	if l.MaxBulk <= 0 {
		l.MaxBulk = DefaultMaxBulk
	}
	if l.MaxElems <= 0 {
		l.MaxElems = DefaultMaxElems
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// ErrProtocol is wrapped by every error about malformed or oversized input.
var ErrProtocol = errors.New("resp: protocol error")

// Reader reads RESP values from a stream (spec "RESP protocol
// description"). It is not safe for concurrent use.
type Reader struct {
	br    *bufio.Reader
	lim   Limits
	elems int // elements counted so far in the reply being read
}

// NewReader returns a Reader of r bounded by lim.
func NewReader(r io.Reader, lim Limits) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, MaxLine), lim: lim.withDefaults()}
}

// ReadValue reads one complete value. An error wrapping [ErrProtocol]
// means the stream can no longer be trusted; io.EOF means it ended
// cleanly between values. A Redis error reply is returned as a value of
// kind SimpleError or BulkError, not as an error.
func (r *Reader) ReadValue() (Value, error) {
	r.elems = 0
	v, err := r.read(0)
	if err == io.EOF && r.elems > 0 {
		err = io.ErrUnexpectedEOF
	}
	return v, err
}

func protoErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)
}

// line returns the next line without its CRLF. It aliases the buffer.
func (r *Reader) line() ([]byte, error) {
	b, err := r.br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull:
		return nil, protoErr("line longer than %d bytes", MaxLine)
	case err == io.EOF && len(b) > 0:
		return nil, io.ErrUnexpectedEOF
	case err != nil:
		return nil, err
	case len(b) < 2 || b[len(b)-2] != '\r':
		return nil, protoErr("line does not end in CRLF")
	}
	b = b[:len(b)-2]
	if bytes.IndexByte(b, '\r') >= 0 {
		return nil, protoErr("CR inside a line")
	}
	return b, nil
}

// read reads a value at nesting depth d. Attributes before it (spec
// "Attributes") are gathered in a loop, not by recursion, and attached.
func (r *Reader) read(d int) (Value, error) {
	var attrs []Value
	for {
		ln, err := r.line()
		if err != nil {
			return Value{}, err
		}
		if len(ln) == 0 {
			return Value{}, protoErr("empty line where a type byte was expected")
		}
		if ln[0] != '|' {
			v, err := r.value(ln[0], ln[1:], d)
			v.attrs = attrs
			return v, err
		}
		pairs, err := r.aggregate(ln[1:], d, 2)
		if err != nil {
			return Value{}, err
		}
		attrs = append(attrs, pairs...)
		if err := r.count(1); err != nil {
			return Value{}, err
		}
	}
}

// value reads the value whose first line (after the type byte t) is ln.
func (r *Reader) value(t byte, ln []byte, d int) (Value, error) {
	switch t {
	case '+':
		return Value{kind: SimpleString, b: bytes.Clone(ln)}, nil
	case '-':
		return Value{kind: SimpleError, b: bytes.Clone(ln)}, nil
	case ':':
		n, ok := parseInt(ln)
		if !ok {
			return Value{}, protoErr("integer %.40q", ln)
		}
		return Value{kind: Integer, num: n}, nil
	case '$', '!', '=':
		return r.bulk(t, ln)
	case '*', '%', '~', '>':
		return r.aggregateValue(t, ln, d)
	case '_':
		if len(ln) != 0 {
			return Value{}, protoErr("null with content %.40q", ln)
		}
		return Value{kind: Null}, nil
	case '#':
		return parseBool(ln)
	case ',':
		return parseDouble(ln)
	case '(':
		if !bigNumber(ln) {
			return Value{}, protoErr("big number %.40q", ln)
		}
		return Value{kind: BigNumber, b: bytes.Clone(ln)}, nil
	}
	return Value{}, protoErr("unknown type byte %q", t)
}

// length parses an aggregate or bulk length: digits only (spec "Bulk
// strings", "Arrays"), or -1 where RESP2 allows a null.
func length(ln []byte, nullable bool) (int, error) {
	if len(ln) == 1 && ln[0] == '?' {
		return 0, protoErr("streamed strings and aggregates are not supported")
	}
	if nullable && string(ln) == "-1" {
		return -1, nil
	}
	n, ok := parseInt(ln)
	if !ok || n < 0 || ln[0] == '+' || n > math.MaxInt32 {
		return 0, protoErr("length %.40q", ln)
	}
	return int(n), nil
}

// bulk reads a bulk string, bulk error or verbatim string of the length
// ln names, growing its buffer only as bytes arrive.
func (r *Reader) bulk(t byte, ln []byte) (Value, error) {
	n, err := length(ln, t == '$')
	if err != nil {
		return Value{}, err
	}
	if n == -1 { // spec "Null bulk strings"
		return Value{kind: Null}, nil
	}
	if n > r.lim.MaxBulk {
		return Value{}, protoErr("bulk of %d bytes exceeds the limit of %d", n, r.lim.MaxBulk)
	}
	buf := make([]byte, 0, min(n+2, chunk))
	for len(buf) < n+2 {
		k := min(n+2-len(buf), chunk)
		buf = slices.Grow(buf, k)
		m, err := io.ReadFull(r.br, buf[len(buf):len(buf)+k])
		buf = buf[:len(buf)+m]
		if err != nil {
			return Value{}, unexpected(err)
		}
	}
	if buf[n] != '\r' || buf[n+1] != '\n' {
		return Value{}, protoErr("bulk of %d bytes not followed by CRLF", n)
	}
	v := Value{kind: BulkString, b: buf[:n:n]}
	switch t {
	case '!':
		v.kind = BulkError
	case '=': // spec "Verbatim strings": three format bytes and a colon
		if n < 4 || buf[3] != ':' {
			return Value{}, protoErr("verbatim string without its format prefix")
		}
		v.kind = VerbatimString
	}
	return v, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// aggregateValue reads an array, map, set or push.
func (r *Reader) aggregateValue(t byte, ln []byte, d int) (Value, error) {
	if t == '*' && string(ln) == "-1" { // spec "Null arrays"
		return Value{kind: Null}, nil
	}
	kind, per := Array, 1
	switch t {
	case '%':
		kind, per = Map, 2
	case '~':
		kind = Set
	case '>':
		kind = Push
	}
	elems, err := r.aggregate(ln, d, per)
	return Value{kind: kind, elems: elems}, err
}

// aggregate reads the per*n elements of an aggregate whose length line
// is ln, one level below depth d.
func (r *Reader) aggregate(ln []byte, d, per int) ([]Value, error) {
	n, err := length(ln, false)
	if err != nil {
		return nil, err
	}
	if d+1 > r.lim.MaxDepth {
		return nil, protoErr("nesting deeper than %d", r.lim.MaxDepth)
	}
	if err := r.count(per * n); err != nil {
		return nil, err
	}
	elems := make([]Value, 0, min(per*n, 1024))
	for range per * n {
		v, err := r.read(d + 1)
		if err != nil {
			return nil, unexpected(err)
		}
		elems = append(elems, v)
	}
	return elems, nil
}

// count adds n elements to the reply's total and checks the limit before
// any of them is read.
func (r *Reader) count(n int) error {
	r.elems += n
	if r.elems > r.lim.MaxElems {
		return protoErr("more than %d elements in one reply", r.lim.MaxElems)
	}
	return nil
}

// parseInt parses a signed base-10 64-bit integer (spec "Integers")
// without allocating.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	switch {
	case neg && n <= 1<<63:
		return int64(-n), true
	case !neg && n < 1<<63:
		return int64(n), true
	}
	return 0, false
}

// parseBool parses "t" or "f" (spec "Booleans").
func parseBool(ln []byte) (Value, error) {
	switch string(ln) {
	case "t":
		return Value{kind: Boolean, num: 1}, nil
	case "f":
		return Value{kind: Boolean}, nil
	}
	return Value{}, protoErr("boolean %.40q", ln)
}

// parseDouble parses a double (spec "Doubles"): decimal or E notation,
// inf, -inf and nan. Go's other spellings (Infinity, hex) are refused.
func parseDouble(ln []byte) (Value, error) {
	s := string(ln)
	var f float64
	switch s {
	case "inf", "+inf":
		f = math.Inf(1)
	case "-inf":
		f = math.Inf(-1)
	case "nan":
		f = math.NaN()
	default:
		if !decimal(ln) {
			return Value{}, protoErr("double %.40q", ln)
		}
		var err error
		if f, err = strconv.ParseFloat(s, 64); err != nil && !errors.Is(err, strconv.ErrRange) {
			return Value{}, protoErr("double %.40q", ln)
		}
	}
	return Value{kind: Double, num: int64(math.Float64bits(f))}, nil
}

// decimal reports whether b is [sign]digits[.digits][(E|e)[sign]digits].
func decimal(b []byte) bool {
	b = skipSign(b)
	b, ok := digits(b)
	if !ok {
		return false
	}
	if len(b) > 0 && b[0] == '.' {
		if b, ok = digits(b[1:]); !ok {
			return false
		}
	}
	if len(b) > 0 && (b[0] == 'e' || b[0] == 'E') {
		b, ok = digits(skipSign(b[1:]))
	}
	return ok && len(b) == 0
}

// bigNumber reports whether b is [sign]digits (spec "Big numbers").
func bigNumber(b []byte) bool {
	rest, ok := digits(skipSign(b))
	return ok && len(rest) == 0
}

func skipSign(b []byte) []byte {
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		return b[1:]
	}
	return b
}

// digits skips one or more decimal digits, reporting false if none.
func digits(b []byte) ([]byte, bool) {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return b[i:], i > 0
}
