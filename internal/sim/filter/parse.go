package filter

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ParseError is returned for a filter or orderby the QRS would reject. Its
// message starts with "Cannot parse the expression:" like the real service's
// HTTP 400 body, so callers can send it as is.
type ParseError struct {
	Expr   string
	Reason string
}

// Error returns the QRS-style message.
func (e *ParseError) Error() string {
	return fmt.Sprintf("Cannot parse the expression: '%s' (%s)", e.Expr, e.Reason)
}

// Op is a comparison operator.
type Op uint8

// The QRS comparison operators: sw = starts with, ew = ends with, so =
// substring of (contains).
const (
	Eq Op = iota
	Ne
	Gt
	Ge
	Lt
	Le
	Sw
	Ew
	So
)

var opNames = map[string]Op{"eq": Eq, "ne": Ne, "gt": Gt, "ge": Ge, "lt": Lt, "le": Le, "sw": Sw, "ew": Ew, "so": So}

// litKind is the lexical form of a literal.
type litKind uint8

const (
	litString litKind = iota // 'quoted'
	litNumber
	litBool
	litNull
	litGUID
	litIdent // bare word: enum name
)

type literal struct {
	kind  litKind
	s     string
	num   float64
	b     bool
	t     time.Time // for litString that parses as a date
	isT   bool
	lower string
}

// Expr is a parsed filter. The zero value (and nil) matches everything.
type Expr struct {
	// exactly one of: op node (and/or), not node, comparison
	and, or  bool
	not      bool
	children []*Expr
	path     []string // comparison path; first element may start with '@'
	op       Op
	lit      literal
}

type token struct {
	kind byte // '(' ')' 'w' word, 's' string, 'g' guid, 'n' number, 'e' end
	text string
	pos  int
}

type lexer struct {
	src  string
	toks []token
	i    int
}

func isGUIDAt(s string, i int) bool {
	if len(s)-i < 36 {
		return false
	}
	for j := 0; j < 36; j++ {
		c := s[i+j]
		switch j {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	if len(s) > i+36 && isWordByte(s[i+36]) {
		return false
	}
	return true
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isWordByte(c byte) bool {
	return c == '_' || c == '.' || c == '@' || c == '-' || c == '#' || c == '+' || c == ':' ||
		(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '(' || c == ')':
			toks = append(toks, token{kind: c, text: string(c), pos: i})
			i++
		case c == '\'' || c == '"':
			q := c
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(src) {
				if src[j] == q {
					if j+1 < len(src) && src[j+1] == q {
						b.WriteByte(q)
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(src[j])
				j++
			}
			if !closed {
				return nil, &ParseError{Expr: src, Reason: fmt.Sprintf("unterminated string starting at position %d", i)}
			}
			toks = append(toks, token{kind: 's', text: b.String(), pos: i})
			i = j
		case isGUIDAt(src, i):
			toks = append(toks, token{kind: 'g', text: src[i : i+36], pos: i})
			i += 36
		case isWordByte(c):
			j := i
			for j < len(src) && isWordByte(src[j]) {
				j++
			}
			w := src[i:j]
			k := byte('w')
			if _, err := strconv.ParseFloat(w, 64); err == nil {
				k = 'n'
			}
			toks = append(toks, token{kind: k, text: w, pos: i})
			i = j
		default:
			return nil, &ParseError{Expr: src, Reason: fmt.Sprintf("unexpected character %q at position %d", c, i)}
		}
	}
	toks = append(toks, token{kind: 'e', pos: len(src)})
	return toks, nil
}

// Parse parses a QRS filter expression. An empty or blank string gives a nil
// Expr that matches every record.
func Parse(src string) (*Expr, error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	l := &lexer{src: src, toks: toks}
	e, err := l.parseOr()
	if err != nil {
		return nil, err
	}
	if t := l.peek(); t.kind != 'e' {
		return nil, l.errf(t, "unexpected %q", t.text)
	}
	return e, nil
}

func (l *lexer) peek() token { return l.toks[l.i] }
func (l *lexer) next() token {
	t := l.toks[l.i]
	if t.kind != 'e' {
		l.i++
	}
	return t
}

func (l *lexer) errf(t token, format string, args ...any) error {
	return &ParseError{Expr: l.src, Reason: fmt.Sprintf(format, args...) + fmt.Sprintf(" at position %d", t.pos)}
}

func (l *lexer) isKeyword(kw string) bool {
	t := l.peek()
	return t.kind == 'w' && strings.EqualFold(t.text, kw)
}

func (l *lexer) parseOr() (*Expr, error) {
	left, err := l.parseAnd()
	if err != nil {
		return nil, err
	}
	if !l.isKeyword("or") {
		return left, nil
	}
	n := &Expr{or: true, children: []*Expr{left}}
	for l.isKeyword("or") {
		l.next()
		r, err := l.parseAnd()
		if err != nil {
			return nil, err
		}
		n.children = append(n.children, r)
	}
	return n, nil
}

func (l *lexer) parseAnd() (*Expr, error) {
	left, err := l.parseUnary()
	if err != nil {
		return nil, err
	}
	if !l.isKeyword("and") {
		return left, nil
	}
	n := &Expr{and: true, children: []*Expr{left}}
	for l.isKeyword("and") {
		l.next()
		r, err := l.parseUnary()
		if err != nil {
			return nil, err
		}
		n.children = append(n.children, r)
	}
	return n, nil
}

func (l *lexer) parseUnary() (*Expr, error) {
	if l.isKeyword("not") {
		l.next()
		c, err := l.parseUnary()
		if err != nil {
			return nil, err
		}
		return &Expr{not: true, children: []*Expr{c}}, nil
	}
	t := l.peek()
	if t.kind == '(' {
		l.next()
		e, err := l.parseOr()
		if err != nil {
			return nil, err
		}
		if c := l.next(); c.kind != ')' {
			return nil, l.errf(c, "missing closing parenthesis")
		}
		return e, nil
	}
	return l.parseComparison()
}

func (l *lexer) parseComparison() (*Expr, error) {
	t := l.next()
	if t.kind != 'w' {
		if t.kind == 'e' {
			return nil, l.errf(t, "expected a property name, found end of expression")
		}
		return nil, l.errf(t, "expected a property name, found %q", t.text)
	}
	path, err := splitPath(t.text)
	if err != nil {
		return nil, l.errf(t, "%s", err.Error())
	}
	ot := l.next()
	op, ok := opNames[strings.ToLower(ot.text)]
	if ot.kind != 'w' || !ok {
		return nil, l.errf(ot, "expected an operator (eq ne gt ge lt le sw ew so) after %q, found %q", t.text, ot.text)
	}
	vt := l.next()
	var lit literal
	switch vt.kind {
	case 's':
		lit = literal{kind: litString, s: vt.text}
		if tm, ok := ParseTime(vt.text); ok {
			lit.t, lit.isT = tm, true
		}
	case 'g':
		lit = literal{kind: litGUID, s: vt.text}
	case 'n':
		f, _ := strconv.ParseFloat(vt.text, 64)
		lit = literal{kind: litNumber, s: vt.text, num: f}
	case 'w':
		switch strings.ToLower(vt.text) {
		case "true", "false":
			lit = literal{kind: litBool, b: strings.EqualFold(vt.text, "true"), s: strings.ToLower(vt.text)}
		case "null":
			lit = literal{kind: litNull}
		default:
			if !isIdent(vt.text) {
				return nil, l.errf(vt, "invalid value %q (quote strings with single quotes)", vt.text)
			}
			lit = literal{kind: litIdent, s: vt.text}
		}
	default:
		return nil, l.errf(vt, "expected a value after %q", ot.text)
	}
	lit.lower = strings.ToLower(lit.s)
	return &Expr{path: path, op: op, lit: lit}, nil
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(unicode.IsLetter(r) || r == '_' || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return s != ""
}

func splitPath(s string) ([]string, error) {
	if strings.HasPrefix(s, "@") {
		if len(s) == 1 {
			return nil, fmt.Errorf("empty custom property name")
		}
		return []string{s}, nil
	}
	parts := strings.Split(s, ".")
	for _, p := range parts {
		if !isIdent(p) {
			return nil, fmt.Errorf("invalid property name %q", s)
		}
	}
	return parts, nil
}

var timeLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseTime parses the date forms QRS clients put in filters: ISO 8601 with
// or without zone and fraction, a space instead of T, or a bare date. Times
// without a zone are taken as UTC.
func ParseTime(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
