package resp

import (
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
)

func read(in string, lim Limits) (Value, error) {
	return NewReader(strings.NewReader(in), lim).ReadValue()
}

func bulk(s string) Value   { return Value{kind: BulkString, b: []byte(s)} }
func simple(s string) Value { return Value{kind: SimpleString, b: []byte(s)} }
func num(n int64) Value     { return Value{kind: Integer, num: n} }
func dbl(f float64) Value   { return Value{kind: Double, num: int64(math.Float64bits(f))} }

// TestReadValue parses one example of every type, and the corner cases
// the specification names.
func TestReadValue(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Value
	}{
		{"simple string", "+OK\r\n", simple("OK")},
		{"empty simple string", "+\r\n", simple("")},
		{"simple error", "-ERR unknown command\r\n", Value{kind: SimpleError, b: []byte("ERR unknown command")}},
		{"integer", ":1000\r\n", num(1000)},
		{"negative integer", ":-42\r\n", num(-42)},
		{"integer with plus", ":+7\r\n", num(7)},
		{"min int64", ":-9223372036854775808\r\n", num(math.MinInt64)},
		{"max int64", ":9223372036854775807\r\n", num(math.MaxInt64)},
		{"bulk string", "$5\r\nhello\r\n", bulk("hello")},
		{"binary bulk string", "$4\r\n\r\n\x00\n\r\n", bulk("\r\n\x00\n")},
		{"empty bulk string", "$0\r\n\r\n", bulk("")},
		{"RESP2 null bulk string", "$-1\r\n", Value{kind: Null}},
		{"array", "*2\r\n$5\r\nhello\r\n:3\r\n", Value{kind: Array, elems: []Value{bulk("hello"), num(3)}}},
		{"empty array", "*0\r\n", Value{kind: Array, elems: []Value{}}},
		{"RESP2 null array", "*-1\r\n", Value{kind: Null}},
		{"null element", "*2\r\n$-1\r\n+a\r\n", Value{kind: Array, elems: []Value{{kind: Null}, simple("a")}}},
		{"nested array", "*1\r\n*1\r\n:1\r\n", Value{kind: Array, elems: []Value{{kind: Array, elems: []Value{num(1)}}}}},
		{"null", "_\r\n", Value{kind: Null}},
		{"true", "#t\r\n", Value{kind: Boolean, num: 1}},
		{"false", "#f\r\n", Value{kind: Boolean}},
		{"double", ",1.23\r\n", dbl(1.23)},
		{"double integral", ",10\r\n", dbl(10)},
		{"double exponent", ",-1.5E+3\r\n", dbl(-1500)},
		{"double overflow is inf", ",1e400\r\n", dbl(math.Inf(1))},
		{"inf", ",inf\r\n", dbl(math.Inf(1))},
		{"-inf", ",-inf\r\n", dbl(math.Inf(-1))},
		{"big number", "(3492890328409238509324850943850943825024385\r\n",
			Value{kind: BigNumber, b: []byte("3492890328409238509324850943850943825024385")}},
		{"negative big number", "(-1\r\n", Value{kind: BigNumber, b: []byte("-1")}},
		{"bulk error", "!21\r\nSYNTAX invalid syntax\r\n", Value{kind: BulkError, b: []byte("SYNTAX invalid syntax")}},
		{"verbatim string", "=15\r\ntxt:Some string\r\n", Value{kind: VerbatimString, b: []byte("txt:Some string")}},
		{"map", "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
			Value{kind: Map, elems: []Value{simple("first"), num(1), simple("second"), num(2)}}},
		{"set", "~2\r\n+a\r\n+b\r\n", Value{kind: Set, elems: []Value{simple("a"), simple("b")}}},
		{"push", ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n",
			Value{kind: Push, elems: []Value{bulk("message"), bulk("c"), bulk("hi")}}},
		{"attribute before a reply", "|1\r\n+ttl\r\n:3600\r\n:3\r\n",
			Value{kind: Integer, num: 3, attrs: []Value{simple("ttl"), num(3600)}}},
		{"attribute inside an array", "*2\r\n:1\r\n|1\r\n+a\r\n#t\r\n:2\r\n",
			Value{kind: Array, elems: []Value{num(1), {kind: Integer, num: 2, attrs: []Value{simple("a"), {kind: Boolean, num: 1}}}}}},
		{"two attributes merge", "|1\r\n+a\r\n:1\r\n|1\r\n+b\r\n:2\r\n_\r\n",
			Value{kind: Null, attrs: []Value{simple("a"), num(1), simple("b"), num(2)}}},
		{"leading zeros in a length", "$03\r\nabc\r\n", bulk("abc")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(tt.in, Limits{})
			if err != nil {
				t.Fatalf("ReadValue(%q): %v", tt.in, err)
			}
			if !equal(got, tt.want) {
				t.Errorf("ReadValue(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// TestReadNaN checks nan apart, as NaN equals nothing.
func TestReadNaN(t *testing.T) {
	v, err := read(",nan\r\n", Limits{})
	if err != nil || v.Kind() != Double || !math.IsNaN(v.Float()) {
		t.Errorf("got %s %v, %v; want NaN", v.Kind(), v.Float(), err)
	}
}

// TestReadMalformed feeds broken, truncated and oversized input: each must
// fail with an error that says what is wrong, never panic.
func TestReadMalformed(t *testing.T) {
	small := Limits{MaxBulk: 10, MaxElems: 5, MaxDepth: 3}
	tests := []struct {
		name string
		in   string
		lim  Limits
		want string // in the error; "EOF" for a truncation
	}{
		{"unknown type", "?x\r\n", Limits{}, "unknown type byte"},
		{"empty line", "\r\n", Limits{}, "empty line"},
		{"missing CR", "+OK\n", Limits{}, "CRLF"},
		{"CR inside a line", "+O\rK\r\n", Limits{}, "CR inside"},
		{"no line end", "+OK", Limits{}, "EOF"},
		{"bad integer", ":12a\r\n", Limits{}, "integer"},
		{"empty integer", ":\r\n", Limits{}, "integer"},
		{"integer overflow", ":9223372036854775808\r\n", Limits{}, "integer"},
		{"bad bulk length", "$x\r\nabc\r\n", Limits{}, "length"},
		{"empty bulk length", "$\r\n", Limits{}, "length"},
		{"negative bulk length", "$-2\r\n", Limits{}, "length"},
		{"plus in length", "$+1\r\na\r\n", Limits{}, "length"},
		{"huge bulk length", "$99999999999999999999\r\n", Limits{}, "length"},
		{"bulk too big", "$11\r\nhello world\r\n", small, "exceeds the limit"},
		{"bulk without CRLF", "$5\r\nhelloXY", Limits{}, "not followed by CRLF"},
		{"bulk truncated", "$5\r\nhel", Limits{}, "EOF"},
		{"null bulk error", "!-1\r\n", Limits{}, "length"},
		{"negative array length", "*-2\r\n", Limits{}, "length"},
		{"null map", "%-1\r\n", Limits{}, "length"},
		{"null set", "~-1\r\n", Limits{}, "length"},
		{"array truncated", "*3\r\n:1\r\n:2\r\n", Limits{}, "EOF"},
		{"map missing a value", "%1\r\n+k\r\n", Limits{}, "EOF"},
		{"too many elements", "*6\r\n", small, "more than 5 elements"},
		{"too many nested elements", "*3\r\n*2\r\n:1\r\n:2\r\n*2\r\n", small, "more than 5 elements"},
		{"too deep", "*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", small, "deeper than 3"},
		{"attribute too deep", "*1\r\n*1\r\n*1\r\n|1\r\n", small, "deeper than 3"},
		{"attribute truncated", "|1\r\n+a\r\n", Limits{}, "EOF"},
		{"attribute alone", "|0\r\n", Limits{}, "EOF"},
		{"null with content", "_x\r\n", Limits{}, "null with content"},
		{"bad boolean", "#x\r\n", Limits{}, "boolean"},
		{"bad double", ",1.2.3\r\n", Limits{}, "double"},
		{"hex double", ",0x1p3\r\n", Limits{}, "double"},
		{"Go's Infinity", ",Infinity\r\n", Limits{}, "double"},
		{"-nan", ",-nan\r\n", Limits{}, "double"},
		{"double without digits", ",.5\r\n", Limits{}, "double"},
		{"bad big number", "(12x\r\n", Limits{}, "big number"},
		{"verbatim too short", "=3\r\ntxt\r\n", Limits{}, "format prefix"},
		{"verbatim without colon", "=5\r\ntxtab\r\n", Limits{}, "format prefix"},
		{"streamed string", "$?\r\n;4\r\nHell\r\n;0\r\n", Limits{}, "streamed"},
		{"streamed aggregate", "*?\r\n:1\r\n.\r\n", Limits{}, "streamed"},
		{"line too long", "+" + strings.Repeat("a", MaxLine) + "\r\n", Limits{}, "line longer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := read(tt.in, tt.lim)
			if err == nil {
				t.Fatalf("ReadValue(%.40q) = %s, want an error", tt.in, v.Kind())
			}
			if tt.want == "EOF" {
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("got %v, want io.ErrUnexpectedEOF", err)
				}
				return
			}
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want a protocol error about %q", err, tt.want)
			}
		})
	}
}

// TestReadEOF checks that a stream ending between values is io.EOF.
func TestReadEOF(t *testing.T) {
	r := NewReader(strings.NewReader(":1\r\n"), Limits{})
	if _, err := r.ReadValue(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadValue(); err != io.EOF {
		t.Errorf("got %v, want io.EOF", err)
	}
}

// TestForgedLengths checks that lengths announced but never sent cost
// memory in proportion to the bytes that came, not to the lengths.
func TestForgedLengths(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"bulk of 60 MiB", "$62914560\r\nonly this"},
		{"array of a million", "*1000000\r\n:1\r\n"},
		{"map of half a million", "%500000\r\n+a\r\n"},
		{"nested forged arrays", strings.Repeat("*1000000\r\n", 60)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := read(tt.in, Limits{})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrProtocol) {
				t.Errorf("got %v, want a truncation or protocol error", err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Errorf("allocated %d bytes for %d bytes of input", grew, len(tt.in))
			}
		})
	}
}

// TestValueAccessors checks what each accessor gives for each kind.
func TestValueAccessors(t *testing.T) {
	verb, _ := read("=8\r\nmkd:# hi\r\n", Limits{})
	if verb.Format() != "mkd" || verb.Str() != "# hi" {
		t.Errorf("verbatim: format %q text %q", verb.Format(), verb.Str())
	}
	if n := num(-5); n.Str() != "-5" || n.Int() != -5 || n.Float() != 0 || n.Err() != nil {
		t.Errorf("integer accessors: %q %d %v %v", n.Str(), n.Int(), n.Float(), n.Err())
	}
	berr, _ := read("!9\r\nLOADING x\r\n", Limits{})
	var e *Error
	if !errors.As(berr.Err(), &e) || e.Prefix() != "LOADING" || e.Error() != "redis: LOADING x" {
		t.Errorf("bulk error: %v", berr.Err())
	}
	m, _ := read("%1\r\n+k\r\n#t\r\n", Limits{})
	if sm, ok := m.StringMap(); !ok || !sm["k"].Bool() || m.Len() != 1 {
		t.Errorf("map: %v %v len %d", sm, ok, m.Len())
	}
	odd, _ := read("*1\r\n+k\r\n", Limits{})
	if _, ok := odd.StringMap(); ok {
		t.Error("StringMap of an odd array reports ok")
	}
	if k := Kind(200).String(); k != "unknown kind" {
		t.Errorf("Kind(200) = %q", k)
	}
}
