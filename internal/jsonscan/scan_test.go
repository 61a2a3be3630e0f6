package jsonscan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// readers are the ways a stream arrives: whole, a byte at a time (every
// token straddles a read), and in chunks with an error at the end.
func readers(data string) map[string]func() io.Reader {
	return map[string]func() io.Reader{
		"whole":    func() io.Reader { return strings.NewReader(data) },
		"bytewise": func() io.Reader { return iotest.OneByteReader(strings.NewReader(data)) },
		"halves":   func() io.Reader { return iotest.HalfReader(strings.NewReader(data)) },
	}
}

// TestSkipAcceptsWhatEncodingJSONAccepts: Skip reads past every valid
// value, however it is split into reads, and refuses every invalid one
// encoding/json refuses, with an error at a byte offset.
func TestSkipAcceptsWhatEncodingJSONAccepts(t *testing.T) {
	long := strings.Repeat("x", 3*readSize+7) // longer than the buffer
	valid := []string{
		`null`, `true`, `false`, `0`, `-0.5e+10`, `12E3`, `""`, `"a\"b\\c\/\b\f\n\r\t\u00e9\uD834\uDD1E"`,
		`{}`, `[]`, ` { "a" : [ 1 , { "b" : null } , "x" ] , "c" : {} } `, `"` + long + `"`, `["` + long + `",{"` + long + `":1}]`,
		"\"caf\xc3\xa9\"", "\"\xff invalid UTF-8 is kept\"",
	}
	for _, v := range valid {
		if !json.Valid([]byte(v)) && !strings.Contains(v, "\xff") {
			t.Fatalf("test case %.40q is not valid JSON", v)
		}
		for how, r := range readers(v + ",") {
			s := New(r())
			if err := s.Skip(); err != nil {
				t.Errorf("%s %.40q: %v", how, v, err)
				continue
			}
			if c := s.Peek(); c != ',' {
				t.Errorf("%s %.40q: next byte %q, want the ',' after the value", how, v, c)
			}
		}
	}
	invalid := map[string]string{
		`{"a" 1}`:         "expecting ':'",
		`{"a":1 "b":2}`:   "expecting ',' or '}'",
		`[1 2]`:           "expecting ',' or ']'",
		`[1,]`:            "invalid character ']'",
		`{"a":1,}`:        "where a member name was expected",
		`{a:1}`:           "where a member name was expected",
		`[01]`:            `invalid number "01"`,
		`[-]`:             `invalid number "-"`,
		`[1.]`:            `invalid number "1."`,
		`[tru]`:           "in literal true",
		`[nul`:            "unexpected EOF",
		`"abc`:            "string not terminated",
		`{"a":[1,{"b":2}`: "unexpected EOF",
		`"a\x"`:           `invalid escape "\\x"`,
		`"\u12G4"`:        `invalid escape`,
		"\"a\tb\"":        "invalid control character",
		`]`:               "where a value was expected",
		``:                "unexpected EOF",
	}
	for v, want := range invalid {
		if json.Valid([]byte(v)) {
			t.Fatalf("test case %q is valid JSON", v)
		}
		for how, r := range readers(v) {
			err := New(r()).Skip()
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s %q: error %v, want one saying %q", how, v, err, want)
			}
		}
	}
}

// TestStringUnquotesAsEncodingJSON: String gives what encoding/json
// decodes, escapes and invalid UTF-8 included, whole or split into reads.
func TestStringUnquotesAsEncodingJSON(t *testing.T) {
	for _, v := range []string{
		`"plain"`, `""`, `"Chen \"C\" Schmidt \u00e9\\"`, `"\ud834\udd1e"`, `"\ud800 lone surrogate"`,
		"\"caf\xc3\xa9\"", "\"bad \xff byte\"", "\"cut \xe2\x82 rune\"", `"CORP\\anna"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(v), &want); err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		for how, r := range readers("[" + v + "," + v + "]") {
			s := New(r())
			var got []string
			err := s.Array(func() error {
				b, err := s.String()
				got = append(got, string(b))
				return err
			})
			if err != nil || len(got) != 2 || got[0] != want || got[1] != want {
				t.Errorf("%s %q: %q, %v; want %q twice", how, v, got, err, want)
			}
		}
	}
}

// TestObjectAndTypes: Object hands each member's name to its callback,
// null is an object without members or an empty string, array or false,
// and a value of the wrong type says what was expected and what came.
func TestObjectAndTypes(t *testing.T) {
	data := `{"id":"x","\u006eame":null,"roles":["a",null],"on":true,"off":null,"skip":{"deep":[[[]]]},"n":null}`
	for how, r := range readers(data) {
		s := New(r())
		var names, roles []string
		var on, off bool
		err := s.Object(func(name []byte) (err error) {
			names = append(names, string(name))
			switch string(name) {
			case "roles":
				err = s.Array(func() error {
					b, err := s.String()
					roles = append(roles, string(b))
					return err
				})
			case "on":
				on, err = s.Bool()
			case "off":
				off, err = s.Bool()
			case "n":
				err = s.Object(func([]byte) error { return errors.New("null has no members") })
			case "skip":
				err = s.Skip()
			default:
				_, err = s.String()
			}
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		if got := strings.Join(names, ","); got != "id,name,roles,on,off,skip,n" {
			t.Errorf("%s: names %s", how, got)
		}
		if strings.Join(roles, ",") != "a," || !on || off {
			t.Errorf("%s: roles %q, on %v, off %v", how, roles, on, off)
		}
	}
	for _, c := range []struct {
		data, want string
		read       func(*Scanner) error
	}{
		{`  7`, `at byte 2: expected a string, got 7`, func(s *Scanner) error { _, err := s.String(); return err }},
		{`"yes"`, `expected true or false, got "yes"`, func(s *Scanner) error { _, err := s.Bool(); return err }},
		{`{"a":1}`, `expected an array, got {"a":1}`, func(s *Scanner) error { return s.Array(s.Skip) }},
		{`[1]`, `expected an object, got [1]`, func(s *Scanner) error { return s.Object(func([]byte) error { return s.Skip() }) }},
		{`{"a":1}`, `the decoder read no value`, func(s *Scanner) error { return s.Object(func([]byte) error { return nil }) }},
	} {
		err := c.read(New(strings.NewReader(c.data)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.data, err, c.want)
		}
	}
}

// TestValueAndLookahead: Value gives a value's bytes, also when they
// straddle reads and outgrow the buffer; Lookahead shows what comes
// without consuming it; Offset counts what was read.
func TestValueAndLookahead(t *testing.T) {
	big := `{"a":"` + strings.Repeat("y", 2*readSize) + `"}`
	data := ` [1, ` + big + `, "z"]`
	for how, r := range readers(data) {
		s := New(r())
		if got := string(s.Lookahead(4)); got != " [1," {
			t.Errorf("%s: lookahead %q", how, got)
		}
		var vals []string
		err := s.Array(func() error {
			v, err := s.Value()
			vals = append(vals, string(v))
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		if len(vals) != 3 || vals[0] != "1" || vals[1] != big || vals[2] != `"z"` {
			t.Errorf("%s: values %.60q", how, vals)
		}
		if s.Offset() != int64(len(data)) {
			t.Errorf("%s: offset %d, want %d", how, s.Offset(), len(data))
		}
	}
}

// TestReadErrorIsReturned: a read error (a dropped connection) is the
// error, as it is, not a syntax error.
func TestReadErrorIsReturned(t *testing.T) {
	boom := errors.New("connection reset")
	s := New(io.MultiReader(strings.NewReader(`[{"a":"abc`), iotest.ErrReader(boom)))
	if err := s.Skip(); !errors.Is(err, boom) {
		t.Errorf("error %v, want %v", err, boom)
	}
}

// TestNamesAcrossReads: a member name that ends where a read ends is the
// name, also when the read that follows moves the buffer's bytes (the
// ':' and what follows arrive in the next read).
func TestNamesAcrossReads(t *testing.T) {
	for cut := readSize - 24; cut <= readSize+8; cut++ {
		// {"pad":"xx…x","id" ends at byte cut, then :"v"} and more members.
		pad := cut - len(`{"pad":"`) - len(`","id"`)
		data := `{"pad":"` + strings.Repeat("x", pad) + `","id"` + ` : "v","later":{"a":[1,"` + strings.Repeat("y", readSize) + `"]},"last":true}`
		s := New(strings.NewReader(data))
		var names []string
		err := s.Object(func(name []byte) error {
			names = append(names, string(name))
			return s.Skip()
		})
		if got := strings.Join(names, ","); err != nil || got != "pad,id,later,last" {
			t.Errorf("name ending at byte %d: names %s, %v", cut, got, err)
		}
	}
}

// randomDoc writes a JSON value of about size bytes: nested objects and
// arrays of strings (escapes, UTF-8, long ones), numbers and literals, the
// shapes of a QRS list.
func randomDoc(r *rand.Rand, b *strings.Builder, size int, depth int) {
	strs := []string{`"id"`, `"2025-07-12T15:32:36.000Z"`, `"CORP\\anna"`, `"caf\u00e9 \"q\""`, "\"Zo\xc3\xab\"",
		`"` + strings.Repeat("long", 300) + `"`, `""`, `"\ud834\udd1e"`}
	scalars := []string{`null`, `true`, `false`, `0`, `-12.5e3`, `3492`}
	switch k := r.IntN(10); {
	case depth > 0 && depth < 6 && k < 3:
		b.WriteByte('{')
		for i := range r.IntN(8) {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, `"m%d":`, r.IntN(20))
			randomDoc(r, b, size, depth+1)
		}
		b.WriteByte('}')
	case depth == 0 || depth < 6 && k < 5:
		b.WriteString("[ ")
		for i := 0; depth == 0 && b.Len() < size || depth > 0 && i < r.IntN(6); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			randomDoc(r, b, size, depth+1)
		}
		b.WriteByte(']')
	case k < 8:
		b.WriteString(strs[r.IntN(len(strs))])
	default:
		b.WriteString(scalars[r.IntN(len(scalars))])
	}
}

// chunkReader returns what it reads in pieces of random sizes, up to
// 8 KiB: the scanner refills its buffer often, anywhere in a value.
type chunkReader struct {
	r    io.Reader
	rand *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	return c.r.Read(p[:min(len(p), 1+c.rand.IntN(8<<10))])
}

// decodeAny decodes the value at s as encoding/json decodes it into an any.
func decodeAny(s *Scanner) (any, error) {
	switch s.Peek() {
	case '{':
		m := map[string]any{}
		err := s.Object(func(name []byte) error {
			k := string(name)
			v, err := decodeAny(s)
			m[k] = v
			return err
		})
		return m, err
	case '[':
		a := []any{}
		err := s.Array(func() error {
			v, err := decodeAny(s)
			a = append(a, v)
			return err
		})
		return a, err
	case '"':
		b, err := s.String()
		return string(b), err
	case 't', 'f':
		return s.Bool()
	case 'n':
		return nil, s.Null()
	}
	v, err := s.Value()
	if err != nil {
		return nil, err
	}
	var f any
	return f, json.Unmarshal(v, &f)
}

// TestDecodesAsEncodingJSONWhateverTheReads: a document of a few hundred
// KB, read in pieces of random sizes (values, names and escapes cut
// anywhere), decodes to what encoding/json decodes, and Skip and Value
// read all of it.
func TestDecodesAsEncodingJSONWhateverTheReads(t *testing.T) {
	for seed := range uint64(8) {
		r := rand.New(rand.NewPCG(seed, 17))
		var b strings.Builder
		randomDoc(r, &b, 400<<10, 0)
		doc := b.String()
		var want any
		if err := json.Unmarshal([]byte(doc), &want); err != nil {
			t.Fatalf("seed %d: the document is not JSON: %v", seed, err)
		}
		read := func() *Scanner { return New(&chunkReader{strings.NewReader(doc), rand.New(rand.NewPCG(seed, 99))}) }
		got, err := decodeAny(read())
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if len(doc) < 400<<10 {
			t.Fatalf("seed %d: a document of %d bytes", seed, len(doc))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("seed %d: decoded differently from encoding/json", seed)
		}
		s := read()
		if err := s.Skip(); err != nil || s.Offset() != int64(len(doc)) {
			t.Errorf("seed %d: Skip: offset %d of %d, %v", seed, s.Offset(), len(doc), err)
		}
		if v, err := read().Value(); err != nil || string(v) != doc {
			t.Errorf("seed %d: Value: %d bytes of %d, %v", seed, len(v), len(doc), err)
		}
	}
}

// TestSpecialFindsTheFirstByteThatIsNotPlain: the eight-at-a-time test
// finds every byte a string cannot hold verbatim, at its position, and the
// first of two.
func TestSpecialFindsTheFirstByteThatIsNotPlain(t *testing.T) {
	word := func(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
	for pos := range 8 {
		for c := range 256 {
			b := []byte("aaaaaaaa")
			b[pos] = byte(c)
			m := special(word(b))
			if plain[c] != (m == 0) {
				t.Fatalf("byte %#x at %d: special %#x, plain %v", c, pos, m, plain[c])
			}
			if m != 0 && bits.TrailingZeros64(m)>>3 != pos {
				t.Fatalf("byte %#x at %d: found at %d", c, pos, bits.TrailingZeros64(m)>>3)
			}
			for later := pos + 1; later < 8 && m != 0; later++ {
				b2 := bytes.Clone(b)
				b2[later] = 0x00 // a borrow from here must not hide the first
				if got := bits.TrailingZeros64(special(word(b2))) >> 3; got != pos {
					t.Fatalf("bytes %#x at %d and 0 at %d: found at %d", c, pos, later, got)
				}
			}
		}
	}
}
