// Package jsonscan reads JSON from a stream for decoders that know the
// shape they expect: an object's members are handed to a callback by name,
// the values a decoder keeps are read in place, and every other value is
// skipped in one pass over its bytes without being tokenized into values.
//
// It exists for the QRS's big lists (a 100k-user site sends ≈ 350 MB of
// them per collection, most of it nested objects the collector does not
// keep): jsontext validates and tokenizes every value, skipped or not, at
// a few hundred MB/s, which was most of a collection's fetch CPU.
//
// What it accepts is JSON as encoding/json accepts it: invalid UTF-8 in a
// string is kept verbatim where no escape needs decoding, and replaced by
// U+FFFD where one does (the few strings with escapes are unquoted by
// jsontext.AppendUnquote). Syntax is checked everywhere, skipped values
// included: a truncated or malformed list is an error at its byte offset,
// never a silently short list.
package jsonscan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// Scanner reads JSON values from a stream. The bytes it returns (member
// names, strings, raw values) are valid until its next read.
type Scanner struct {
	r     io.Reader
	buf   []byte
	pos   int   // next unread byte of buf
	end   int   // end of the bytes read into buf
	off   int64 // stream offset of buf[0]
	keep  int   // index of buf from which Value keeps bytes, or -1
	err   error // the reader's error, io.EOF at the end
	depth int
	str   []byte // a string with escapes, unquoted
	name  []byte // a member name with escapes, unquoted
}

const (
	// readSize is the most one read asks of the reader: what the scanner
	// holds beyond the value it is in is at most this.
	readSize = 64 << 10
	// maxDepth bounds the nesting of objects and arrays, as jsontext does.
	maxDepth = 10000
)

// New reads from r.
func New(r io.Reader) *Scanner {
	return &Scanner{r: r, buf: make([]byte, readSize), keep: -1}
}

// Offset is the number of bytes of the stream read so far.
func (s *Scanner) Offset() int64 { return s.off + int64(s.pos) }

// Lookahead is up to n of the next bytes of the stream, read if need be and
// not consumed: the start of an answer, for an error message that shows
// what it was. They are valid until the next read.
func (s *Scanner) Lookahead(n int) []byte {
	for s.end-s.pos < n && s.more() {
	}
	return s.buf[s.pos:min(s.end, s.pos+n)]
}

// more reads more of the stream, keeping the bytes from pos (or keep) on;
// false at the end of the stream or on the reader's error (s.err).
func (s *Scanner) more() bool {
	if s.err != nil {
		return false
	}
	from := s.pos
	if s.keep >= 0 {
		from = s.keep
		s.keep = 0
	}
	if from > 0 {
		n := copy(s.buf, s.buf[from:s.end])
		s.off += int64(from)
		s.pos -= from
		s.end = n
	}
	if s.end == len(s.buf) { // a value longer than the buffer
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:min(len(s.buf), s.end+readSize)])
		s.end += n
		if err != nil {
			s.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	s.err = io.ErrNoProgress
	return false
}

// Peek is the first byte of the next value ('{', '[', '"', 't', 'f', 'n',
// '-' or a digit) or of the next delimiter, after any whitespace; 0 at the
// end of the stream or on a read error, which the next read returns.
func (s *Scanner) Peek() byte {
	for {
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\n', '\r', '\t':
				s.pos++
			default:
				return c
			}
		}
		if !s.more() {
			return 0
		}
	}
}

// at is the byte at pos when it is there and not whitespace, else 0: Peek
// inlined for the byte that is nearly always there (the QRS writes no
// whitespace).
func (s *Scanner) at() byte {
	if s.pos < s.end && s.buf[s.pos] > ' ' {
		return s.buf[s.pos]
	}
	return 0
}

// SyntaxError is JSON that is not well formed, at a byte offset of the
// stream.
type SyntaxError struct {
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// TypeError is a well-formed value of another type than the decoder
// expects.
type TypeError struct {
	Offset int64
	Want   string // e.g. "a string"
	Got    string // the value, shortened
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("at byte %d: expected %s, got %s", e.Offset, e.Want, e.Got)
}

// stopped is the error of a read that found no byte: the reader's error,
// or io.ErrUnexpectedEOF at the end of the stream.
func (s *Scanner) stopped() error {
	if s.err == nil || s.err == io.EOF {
		return fmt.Errorf("at byte %d: %w", s.Offset()+int64(s.end-s.pos), io.ErrUnexpectedEOF)
	}
	return s.err
}

// invalid is the error for the byte c at pos, which is not what the
// grammar allows there.
func (s *Scanner) invalid(c byte, where string) error {
	if c == 0 && s.pos >= s.end {
		return s.stopped()
	}
	return &SyntaxError{Offset: s.Offset(), Msg: fmt.Sprintf("invalid character %q %s", c, where)}
}

// Unexpected reads the value at the scanner and returns a TypeError saying
// that want was expected instead (or the value's syntax error).
func (s *Scanner) Unexpected(want string) error {
	at := s.Offset()
	v, err := s.Value()
	if err != nil {
		return err
	}
	got := string(v)
	if len(got) > 40 {
		got = got[:40] + "…"
	}
	return &TypeError{Offset: at, Want: want, Got: got}
}

// Object reads the object at the scanner, calling field with each member's
// name (valid only until field reads) to read the member's value: field
// must read exactly one value (Skip one it does not want). null is an
// object without members.
func (s *Scanner) Object(field func(name []byte) error) error {
	c := s.at()
	if c == 0 {
		c = s.Peek()
	}
	switch c {
	case '{':
	case 'n':
		return s.Null()
	default:
		return s.Unexpected("an object")
	}
	return s.object(field)
}

// object reads the object at pos ('{').
func (s *Scanner) object(field func(name []byte) error) error {
	if s.depth >= maxDepth {
		return &SyntaxError{Offset: s.Offset(), Msg: "nested too deeply"}
	}
	s.depth++
	s.pos++
	c := s.Peek()
	if c == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if c != '"' {
			return s.invalid(c, "where a member name was expected")
		}
		name, err := s.memberName()
		if err != nil {
			return err
		}
		// The QRS writes no whitespace: the byte that follows is
		// nearly always there already.
		if s.pos < s.end && s.buf[s.pos] == ':' {
			s.pos++
		} else {
			// Peek may read, and move the name's bytes: they are
			// copied first.
			s.name = append(s.name[:0], name...)
			name = s.name
			if c = s.Peek(); c != ':' {
				return s.invalid(c, "after a member name (expecting ':')")
			}
			s.pos++
		}
		start := s.Offset()
		if err := field(name); err != nil {
			return err
		}
		var done bool
		if c, done, err = s.afterValue(start, '}', "a member", "an object member"); done || err != nil {
			return err
		}
	}
}

// afterValue follows a container's member or element that began at start
// (what, for errors): it must have been read, and be followed by ',' (then
// c is the byte after it) or by closer, which ends the container (done).
func (s *Scanner) afterValue(start int64, closer byte, what, after string) (c byte, done bool, err error) {
	if s.Offset() == start {
		return 0, false, &SyntaxError{Offset: start, Msg: "the decoder read no value for " + what}
	}
	if c = s.at(); c == 0 {
		c = s.Peek()
	}
	switch c {
	case ',':
		s.pos++
		if c = s.at(); c == 0 {
			c = s.Peek()
		}
		return c, false, nil
	case closer:
		s.pos++
		s.depth--
		return c, true, nil
	}
	return c, false, s.invalid(c, "after "+after+" (expecting ',' or '"+string(closer)+"')")
}

// memberName reads the string at pos as a member name.
func (s *Scanner) memberName() ([]byte, error) {
	// Names are short and plain: their end is found without
	// scanString's bookkeeping.
	buf := s.buf[:s.end]
	i := s.pos + 1
	for i+8 <= len(buf) {
		if m := special(binary.LittleEndian.Uint64(buf[i:])); m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			break
		}
		i += 8
	}
	for ; i < len(buf); i++ {
		if c := buf[i]; !plain[c] {
			if c != '"' {
				break
			}
			name := buf[s.pos+1 : i]
			s.pos = i + 1
			return name, nil
		}
	}
	n, flags, err := s.scanString()
	if err != nil {
		return nil, err
	}
	raw := s.buf[s.pos : s.pos+n]
	s.pos += n
	if flags == 0 || flags == nonASCII && utf8.Valid(raw) {
		return raw[1 : n-1], nil
	}
	s.name, _ = jsontext.AppendUnquote(s.name[:0], raw) // as String: scanString checked the escapes
	return s.name, nil
}

// Array reads the array at the scanner, calling elem to read each element:
// elem must read exactly one value. null is an empty array.
func (s *Scanner) Array(elem func() error) error {
	c := s.at()
	if c == 0 {
		c = s.Peek()
	}
	switch c {
	case '[':
	case 'n':
		return s.Null()
	default:
		return s.Unexpected("an array")
	}
	return s.array(elem)
}

// array reads the array at pos ('[').
func (s *Scanner) array(elem func() error) error {
	if s.depth >= maxDepth {
		return &SyntaxError{Offset: s.Offset(), Msg: "nested too deeply"}
	}
	s.depth++
	s.pos++
	c := s.Peek()
	if c == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if c == 0 || c == ',' || c == ']' || c == '}' || c == ':' {
			return s.invalid(c, "where an array element was expected")
		}
		start := s.Offset()
		if err := elem(); err != nil {
			return err
		}
		var done bool
		var err error
		if c, done, err = s.afterValue(start, ']', "an array element", "an array element"); done || err != nil {
			return err
		}
	}
}

// String reads a string, unquoted; null is empty (nil). The bytes are
// valid until the next read.
func (s *Scanner) String() ([]byte, error) {
	c := s.at()
	if c == 0 {
		c = s.Peek()
	}
	switch c {
	case '"':
	case 'n':
		return nil, s.Null()
	default:
		return nil, s.Unexpected("a string")
	}
	n, flags, err := s.scanString()
	if err != nil {
		return nil, err
	}
	raw := s.buf[s.pos : s.pos+n]
	s.pos += n
	// Nearly every string is verbatim: no escape, and ASCII or valid UTF-8.
	if flags == 0 || flags == nonASCII && utf8.Valid(raw) {
		return raw[1 : n-1], nil
	}
	// Invalid UTF-8 and lone surrogates become U+FFFD, as encoding/json
	// decodes them; the error saying so is not one (scanString checked
	// the syntax).
	s.str, _ = jsontext.AppendUnquote(s.str[:0], raw)
	return s.str, nil
}

// Bool reads true or false; null is false.
func (s *Scanner) Bool() (bool, error) {
	c := s.at()
	if c == 0 {
		c = s.Peek()
	}
	switch c {
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	case 'n':
		return false, s.Null()
	}
	return false, s.Unexpected("true or false")
}

// Null reads null.
func (s *Scanner) Null() error { return s.literal("null") }

// literal reads lit, which the byte at pos begins.
func (s *Scanner) literal(lit string) error {
	for s.end-s.pos < len(lit) {
		if !s.more() {
			break
		}
	}
	for i := range len(lit) {
		if s.pos+i >= s.end {
			s.pos += i
			return s.stopped()
		}
		if c := s.buf[s.pos+i]; c != lit[i] {
			s.pos += i
			return s.invalid(c, "in literal "+lit)
		}
	}
	s.pos += len(lit)
	return nil
}

// Skip reads past the value at the scanner, checking its syntax.
func (s *Scanner) Skip() error {
	c := s.at()
	if c == 0 {
		c = s.Peek()
	}
	switch c {
	case '"':
		n, _, err := s.scanString()
		s.pos += n
		return err
	case '{', '[':
		return s.skipNested()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return s.number()
		}
		return s.invalid(c, "where a value was expected")
	}
}

// skipNested reads past the object or array at pos in one loop over its
// bytes, checking its grammar with a stack of the containers it is in
// instead of a call per member and element: most of what the collector
// skips are nested objects.
func (s *Scanner) skipNested() error {
	// What may come next.
	const (
		value      = iota // a value: after ':' or an array's ','
		valueOrEnd        // after '['
		name              // after an object's ','
		nameOrEnd         // after '{'
		colon             // after a member name
		next              // after a value: ',' or the container's end
	)
	var stack [32]byte // '{' or '[' of each container skipNested is in
	nest := stack[:0]
	state := value
	i := s.pos
	buf := s.buf[:s.end]
	for {
		if i >= len(buf) {
			s.pos = i
			if !s.more() {
				return s.stopped()
			}
			i, buf = s.pos, s.buf[:s.end]
		}
		c := buf[i]
		switch c {
		case ' ', '\n', '\r', '\t':
			i++
			continue
		}
		s.pos = i // the token starts here: more keeps it
		switch state {
		case value, valueOrEnd:
			switch {
			case c == '{' || c == '[':
				if len(nest)+s.depth >= maxDepth {
					return &SyntaxError{Offset: s.Offset(), Msg: "nested too deeply"}
				}
				nest = append(nest, c)
				i++
				state = valueOrEnd
				if c == '{' {
					state = nameOrEnd
				}
				continue
			case c == ']' && state == valueOrEnd:
				i++
				nest = nest[:len(nest)-1]
			case c == '"':
				n, _, err := s.scanString()
				if err != nil {
					return err
				}
				i, buf = s.pos+n, s.buf[:s.end]
			case c == 'n' && i+4 <= len(buf) && string(buf[i:i+4]) == "null",
				c == 't' && i+4 <= len(buf) && string(buf[i:i+4]) == "true":
				i += 4
			default:
				// false, numbers and literals the buffer cuts
				if err := s.Skip(); err != nil {
					return err
				}
				i, buf = s.pos, s.buf[:s.end]
			}
			state = next
		case name, nameOrEnd:
			switch {
			case c == '"':
				n, _, err := s.scanString()
				if err != nil {
					return err
				}
				i, buf = s.pos+n, s.buf[:s.end]
				state = colon
				continue
			case c == '}' && state == nameOrEnd:
				i++
				nest = nest[:len(nest)-1]
				state = next
			default:
				return s.invalid(c, "where a member name was expected")
			}
		case colon:
			if c != ':' {
				return s.invalid(c, "after a member name (expecting ':')")
			}
			i++
			state = value
			continue
		case next:
			top := nest[len(nest)-1]
			switch {
			case c == ',':
				i++
				state = value
				if top == '{' {
					state = name
				}
				continue
			case c == '}' && top == '{', c == ']' && top == '[':
				i++
				nest = nest[:len(nest)-1]
			case top == '{':
				return s.invalid(c, "after an object member (expecting ',' or '}')")
			default:
				return s.invalid(c, "after an array element (expecting ',' or ']')")
			}
		}
		if len(nest) == 0 {
			s.pos = i
			return nil
		}
		state = next
	}
}

// Value reads the value at the scanner and returns its bytes, valid until
// the next read.
func (s *Scanner) Value() ([]byte, error) {
	if s.Peek() == 0 {
		return nil, s.stopped()
	}
	if s.keep >= 0 {
		return nil, errors.New("jsonscan: Value called within Value")
	}
	s.keep = s.pos
	err := s.Skip()
	start := s.keep // more moves what it keeps to the front
	s.keep = -1
	if err != nil {
		return nil, err
	}
	return s.buf[start:s.pos], nil
}

// number reads the number at pos, checking its grammar.
func (s *Scanner) number() error {
	n := 0
	for {
		for s.pos+n < s.end && numberByte[s.buf[s.pos+n]] {
			n++
		}
		if s.pos+n < s.end || !s.more() {
			break
		}
	}
	if !validNumber(s.buf[s.pos : s.pos+n]) {
		return &SyntaxError{Offset: s.Offset(), Msg: fmt.Sprintf("invalid number %q", s.buf[s.pos:s.pos+n])}
	}
	s.pos += n
	return nil
}

// numberByte are the bytes a number may hold.
var numberByte = func() (t [256]bool) {
	for _, c := range []byte("0123456789+-.eE") {
		t[c] = true
	}
	return t
}()

// validNumber reports whether b is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	digits := func() bool {
		from := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > from
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(b)
}

// What scanString found in a string besides plain ASCII.
const (
	escaped  = 1 << iota // a backslash escape
	nonASCII             // a byte ≥ 0x80
)

// plain are the bytes a string holds verbatim: ASCII other than the quote,
// the backslash and control characters.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// special is not zero when one of the eight bytes of x is not plain: below
// 0x20, the quote, the backslash, or 0x80 and above (SWAR: a byte's high
// bit is set by its own test; a borrow can only set one above a byte that
// tested positive, so the lowest bit set is the first such byte's).
func special(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	b := x ^ (ones * '\\')
	return ((x-ones*0x20)&^x | (q-ones)&^q | (b-ones)&^b | x) & highs
}

// hex are the hexadecimal digits.
var hex = func() (t [256]bool) {
	for _, c := range []byte("0123456789abcdefABCDEF") {
		t[c] = true
	}
	return t
}()

// scanString finds the end of the string at pos (its opening quote),
// reading more of the stream as needed, and checks its escapes. n is its
// length with the quotes, from pos, which it does not move.
func (s *Scanner) scanString() (n int, flags int, err error) {
	i := s.pos + 1
	for {
		buf := s.buf[:s.end]
	scan:
		for i < len(buf) {
			// Eight plain bytes at a time: strings are mostly IDs, dates
			// and names without a byte that needs a look.
			for i+8 <= len(buf) {
				if m := special(binary.LittleEndian.Uint64(buf[i:])); m != 0 {
					i += bits.TrailingZeros64(m) >> 3 // the first byte that is not plain
					break
				}
				i += 8
			}
			if i >= len(buf) {
				break
			}
			c := buf[i]
			if plain[c] {
				i++
				continue
			}
			switch {
			case c == '"':
				return i + 1 - s.pos, flags, nil
			case c == '\\':
				flags |= escaped
				if i+1 >= len(buf) {
					break scan
				}
				switch buf[i+1] {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					i += 2
				case 'u':
					if i+6 > len(buf) {
						break scan
					}
					if !hex[buf[i+2]] || !hex[buf[i+3]] || !hex[buf[i+4]] || !hex[buf[i+5]] {
						return 0, 0, &SyntaxError{Offset: s.off + int64(i), Msg: fmt.Sprintf("invalid escape %q in string", buf[i:i+6])}
					}
					i += 6
				default:
					return 0, 0, &SyntaxError{Offset: s.off + int64(i), Msg: fmt.Sprintf("invalid escape %q in string", buf[i:i+2])}
				}
			case c < 0x20:
				return 0, 0, &SyntaxError{Offset: s.off + int64(i), Msg: fmt.Sprintf("invalid control character %q in string", c)}
			default:
				flags |= nonASCII
				i++
			}
		}
		rel := i - s.pos
		if !s.more() {
			if s.err != nil && !errors.Is(s.err, io.EOF) {
				return 0, 0, s.err
			}
			return 0, 0, fmt.Errorf("at byte %d: string not terminated: %w", s.Offset(), io.ErrUnexpectedEOF)
		}
		i = s.pos + rel
	}
}
