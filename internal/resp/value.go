package resp

import (
	"math"
	"strconv"
	"strings"
)

// Kind is the RESP type of a [Value], named after the sections of the
// specification's "RESP protocol description".
type Kind uint8

// The kinds of value a reply can hold. Attributes are not a kind: they are
// attached to the value that follows them (see [Value.Attrs]).
const (
	Invalid        Kind = iota // the zero Value; never returned by Reader
	SimpleString               // +
	SimpleError                // -
	Integer                    // :
	BulkString                 // $
	Array                      // *
	Null                       // _ and RESP2's $-1 and *-1
	Boolean                    // #
	Double                     // ,
	BigNumber                  // (
	BulkError                  // !
	VerbatimString             // =
	Map                        // %
	Set                        // ~
	Push                       // >
)

var kindNames = [...]string{"invalid", "simple string", "simple error",
	"integer", "bulk string", "array", "null", "boolean", "double",
	"big number", "bulk error", "verbatim string", "map", "set", "push"}

// String returns the kind's name as the specification writes it.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown kind"
}

// Value is one RESP value as read from a server. The zero Value is
// Invalid. Accessors return the zero value of their result when the kind
// does not carry it.
type Value struct {
	kind  Kind
	num   int64   // Integer, Boolean (0 or 1), Double (IEEE 754 bits)
	b     []byte  // strings, errors, big number digits; verbatim with "fmt:"
	elems []Value // Array, Set, Push; Map as key, value, key, value...
	attrs []Value // attribute pairs read before the value, flat like a Map
}

// Kind returns the value's RESP type.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is a null (RESP3 _, RESP2 $-1 or *-1).
func (v Value) IsNull() bool { return v.kind == Null }

// Bytes returns the text of a string, error or big number value, without
// a verbatim string's format prefix. The slice belongs to the value.
func (v Value) Bytes() []byte {
	if v.kind == VerbatimString {
		return v.b[4:]
	}
	return v.b
}

// Str returns [Value.Bytes] as a string; for an Integer, its decimal form.
func (v Value) Str() string {
	if v.kind == Integer {
		return strconv.FormatInt(v.num, 10)
	}
	return string(v.Bytes())
}

// Format returns a verbatim string's three-byte format, such as "txt" or
// "mkd" (spec "Verbatim strings"), and "" for other kinds.
func (v Value) Format() string {
	if v.kind != VerbatimString {
		return ""
	}
	return string(v.b[:3])
}

// Int returns an Integer's value, or 1 and 0 for a Boolean.
func (v Value) Int() int64 {
	if v.kind == Integer || v.kind == Boolean {
		return v.num
	}
	return 0
}

// Float returns a Double's value, which may be ±Inf or NaN.
func (v Value) Float() float64 {
	if v.kind != Double {
		return 0
	}
	return math.Float64frombits(uint64(v.num))
}

// Bool returns a Boolean's value.
func (v Value) Bool() bool { return v.kind == Boolean && v.num == 1 }

// Elems returns the elements of an Array, Set or Push, and the keys and
// values of a Map in turn (key, value, key, value...).
func (v Value) Elems() []Value { return v.elems }

// Len returns the number of elements of an aggregate (pairs for a Map).
func (v Value) Len() int {
	if v.kind == Map {
		return len(v.elems) / 2
	}
	return len(v.elems)
}

// Attrs returns the attributes sent before the value (spec "Attributes")
// as keys and values in turn, or nil when there were none.
func (v Value) Attrs() []Value { return v.attrs }

// StringMap returns a Map, or a RESP2 array of keys and values in turn
// (spec "Map pattern in RESP2"), keyed by the keys' text. It reports false
// for other values and for an array of odd length.
func (v Value) StringMap() (map[string]Value, bool) {
	if (v.kind != Map && v.kind != Array) || len(v.elems)%2 != 0 {
		return nil, false
	}
	m := make(map[string]Value, len(v.elems)/2)
	for i := 0; i < len(v.elems); i += 2 {
		m[v.elems[i].Str()] = v.elems[i+1]
	}
	return m, true
}

// Err returns the error a SimpleError or BulkError carries, and nil for
// other kinds.
func (v Value) Err() error {
	if v.kind != SimpleError && v.kind != BulkError {
		return nil
	}
	return &Error{Msg: string(v.b)}
}

// Error is an error reply from Redis (spec "Simple errors", "Bulk
// errors"): the command reached the server and the server refused it.
// Network and protocol failures are never an *Error.
type Error struct {
	Msg string // the message as sent, such as "WRONGTYPE Operation against..."
}

func (e *Error) Error() string { return "redis: " + e.Msg }

// Prefix returns the error's first word, such as "ERR" or "WRONGTYPE",
// which Redis uses as the kind of error.
func (e *Error) Prefix() string {
	prefix, _, _ := strings.Cut(e.Msg, " ")
	return prefix
}
