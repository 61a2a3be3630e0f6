// Package filter parses and evaluates the Qlik Repository Service (QRS) filter
// and orderby query languages ("name eq 'x' and (status eq FinishedFail or
// tags.name so 'keep')", "startTime desc") against any record that can answer
// field look-ups.
//
// Records expose their fields through the Record interface returning Value,
// a small tagged union, so that evaluating a filter over 100 000 rows does not
// allocate per row.
package filter

import (
	"strings"
	"time"
)

// Kind is the dynamic type of a Value.
type Kind uint8

// The kinds a field can have. Enum values carry their number in N and the
// table of names (index = value) in X as []string, so filters may use either
// the number or the name.
const (
	Null Kind = iota
	String
	Int
	Float
	Bool
	Time
	Enum
	Object
	Array
)

// Value is one field value. Which members are meaningful depends on Kind:
// String: S; Int and Bool (0/1): N; Time: N (Unix milliseconds);
// Float: X (float64); Enum: N and X ([]string names); Object: X (Record);
// Array: X ([]Value).
type Value struct {
	Kind Kind
	S    string
	N    int64
	X    any
}

// Record is anything a filter can be evaluated against. Field looks a field up
// by name; implementations must match the name case-insensitively (QRS
// property names are case-insensitive in filters) and return a Null Value for
// unknown names.
type Record interface {
	Field(name string) Value
}

// Str returns a String value.
func Str(s string) Value { return Value{Kind: String, S: s} }

// I returns an Int value.
func I(n int64) Value { return Value{Kind: Int, N: n} }

// F returns a Float value.
func F(f float64) Value { return Value{Kind: Float, X: f} }

// B returns a Bool value.
func B(b bool) Value {
	if b {
		return Value{Kind: Bool, N: 1}
	}
	return Value{Kind: Bool}
}

// T returns a Time value (millisecond precision, as QRS stores dates).
func T(t time.Time) Value { return Value{Kind: Time, N: t.UnixMilli()} }

// E returns an Enum value whose names are given by table (index = value).
func E(n int, table []string) Value { return Value{Kind: Enum, N: int64(n), X: table} }

// Obj returns an Object value; a nil record gives Null.
func Obj(r Record) Value {
	if r == nil {
		return Value{}
	}
	return Value{Kind: Object, X: r}
}

// Arr returns an Array value.
func Arr(v []Value) Value { return Value{Kind: Array, X: v} }

// Time returns the time of a Time value.
func (v Value) Time() time.Time { return time.UnixMilli(v.N).UTC() }

// Float returns the numeric value of Int, Float, Enum and Bool values.
func (v Value) Float() float64 {
	if v.Kind == Float {
		f, _ := v.X.(float64)
		return f
	}
	return float64(v.N)
}

// Record returns the record of an Object value or nil.
func (v Value) Record() Record {
	r, _ := v.X.(Record)
	return r
}

// Elems returns the elements of an Array value or nil.
func (v Value) Elems() []Value {
	a, _ := v.X.([]Value)
	return a
}

// EnumName returns the name of an Enum value or "".
func (v Value) EnumName() string {
	t, _ := v.X.([]string)
	if v.N >= 0 && int(v.N) < len(t) {
		return t[v.N]
	}
	return ""
}

// enumIndex finds name in an enum table, case-insensitively.
func enumIndex(table []string, name string) (int, bool) {
	for i, n := range table {
		if strings.EqualFold(n, name) {
			return i, true
		}
	}
	return 0, false
}
