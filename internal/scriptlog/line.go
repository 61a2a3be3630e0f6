package scriptlog

import (
	"time"
)

// Kind says what a physical log line is.
type Kind uint8

const (
	// KindGarbage is a line that does not start with a script-log timestamp
	// (blank lines, text pasted around the log, a cut-off last line).
	KindGarbage Kind = iota
	// KindStatement is a script line echoed by the engine: timestamp, script
	// line number, script text.
	KindStatement
	// KindMessage is an engine message: timestamp, 6 spaces, message.
	KindMessage
	// KindTrace is the text printed by a TRACE statement: it carries the same
	// script line number as the TRACE statement line before it.
	KindTrace
)

// String returns the lower-case name used in JSON output.
func (k Kind) String() string {
	switch k {
	case KindStatement:
		return "statement"
	case KindMessage:
		return "message"
	case KindTrace:
		return "trace"
	default:
		return "garbage"
	}
}

// Line is one physical line of a script log.
type Line struct {
	// N is the physical line number in the file, starting at 1.
	N int
	// Indent is the number of spaces before the timestamp (2 per CALLed SUB level).
	Indent int
	// Time is the line's timestamp. Old-format logs have no zone: the wall
	// clock is stored in UTC and HasZone is false.
	Time time.Time
	// HasZone is true when the timestamp carried a UTC offset (new format).
	HasZone bool
	// ScriptLine is the script line number of statement and trace lines, 0 for
	// messages and garbage.
	ScriptLine int
	// Kind classifies the line.
	Kind Kind
	// Text is the script text or message after the prefix (the whole line for
	// garbage), without the line end.
	Text string
	// Truncated is true when the line was longer than the maximum line length
	// and Text holds only its beginning.
	Truncated bool
}

// rawLine is the allocation-free form of Line used on the hot path: Text
// aliases the reader's buffer and is valid until the next read.
type rawLine struct {
	n          int
	indent     int
	time       time.Time
	hasZone    bool
	scriptLine int
	kind       Kind
	text       []byte
	truncated  bool
}

func (r *rawLine) line() Line {
	return Line{N: r.n, Indent: r.indent, Time: r.time, HasZone: r.hasZone, ScriptLine: r.scriptLine,
		Kind: r.kind, Text: string(r.text), Truncated: r.truncated}
}

// tsCache remembers the last parsed timestamp: consecutive log lines very
// often share it, and building a time.Time is the most expensive part of a line.
type tsCache struct {
	raw     [32]byte
	n       int
	t       time.Time
	hasZone bool
	zones   map[int]*time.Location
}

func isDigit(c byte) bool { return c-'0' < 10 }

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// parseTimestamp parses the timestamp at the start of b and returns its
// length, or 0 when b does not start with one.
func (c *tsCache) parse(b []byte) (t time.Time, hasZone bool, n int) {
	switch {
	case len(b) >= 19 && b[4] == '-' && b[7] == '-' && b[10] == ' ' && b[13] == ':' && b[16] == ':':
		n = 19
	case len(b) >= 15 && b[8] == 'T':
		n = 15
		if len(b) >= 19 && b[15] == '.' && isDigit(b[16]) && isDigit(b[17]) && isDigit(b[18]) {
			n = 19
		}
		if len(b) >= n+5 && (b[n] == '+' || b[n] == '-') {
			n += 5
		} else if len(b) > n && b[n] == 'Z' {
			n++
		}
	default:
		return time.Time{}, false, 0
	}
	if n == c.n && string(b[:n]) == string(c.raw[:n]) {
		return c.t, c.hasZone, n
	}
	t, hasZone, ok := c.build(b[:n])
	if !ok {
		return time.Time{}, false, 0
	}
	copy(c.raw[:], b[:n])
	c.n, c.t, c.hasZone = n, t, hasZone
	return t, hasZone, n
}

func (c *tsCache) build(b []byte) (time.Time, bool, bool) {
	var y, mo, d, h, mi, s, ms int
	var ok [7]bool
	loc := time.UTC
	hasZone := false
	if b[4] == '-' {
		y, ok[0] = digits(b[0:4])
		mo, ok[1] = digits(b[5:7])
		d, ok[2] = digits(b[8:10])
		h, ok[3] = digits(b[11:13])
		mi, ok[4] = digits(b[14:16])
		s, ok[5] = digits(b[17:19])
		ok[6] = true
	} else {
		y, ok[0] = digits(b[0:4])
		mo, ok[1] = digits(b[4:6])
		d, ok[2] = digits(b[6:8])
		h, ok[3] = digits(b[9:11])
		mi, ok[4] = digits(b[11:13])
		s, ok[5] = digits(b[13:15])
		ok[6] = true
		rest := b[15:]
		if len(rest) >= 4 && rest[0] == '.' {
			ms, ok[6] = digits(rest[1:4])
			rest = rest[4:]
		}
		if len(rest) == 5 {
			oh, ok1 := digits(rest[1:3])
			om, ok2 := digits(rest[3:5])
			if !ok1 || !ok2 || oh > 23 || om > 59 {
				return time.Time{}, false, false
			}
			off := oh*3600 + om*60
			if rest[0] == '-' {
				off = -off
			}
			loc = c.zone(off)
			hasZone = true
		} else if len(rest) == 1 { // 'Z'
			hasZone = true
		}
	}
	for _, v := range ok {
		if !v {
			return time.Time{}, false, false
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, false, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ms*int(time.Millisecond), loc), hasZone, true
}

func (c *tsCache) zone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if l, ok := c.zones[off]; ok {
		return l
	}
	if c.zones == nil {
		c.zones = make(map[int]*time.Location)
	}
	l := time.FixedZone("", off)
	if len(c.zones) < 64 {
		c.zones[off] = l
	}
	return l
}

// parseLine fills l from the physical line b (without its line end).
func (c *tsCache) parseLine(b []byte, l *rawLine) {
	l.indent, l.scriptLine, l.hasZone, l.time = 0, 0, false, time.Time{}
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	t, hasZone, n := c.parse(b[i:])
	if n == 0 {
		l.kind, l.text = KindGarbage, b
		return
	}
	rest := b[i+n:]
	switch {
	case len(rest) >= 6 && string(rest[:6]) == "      ":
		l.kind, l.text = KindMessage, rest[6:]
	case len(rest) >= 5 && rest[0] == ' ' && isDigit(rest[1]):
		j := 1
		num := 0
		for j < len(rest) && isDigit(rest[j]) && j < 10 {
			num = num*10 + int(rest[j]-'0')
			j++
		}
		if j < 5 || (j < len(rest) && rest[j] != ' ') {
			l.kind, l.text = KindGarbage, b
			return
		}
		if j < len(rest) {
			j++
		}
		l.kind, l.text, l.scriptLine = KindStatement, rest[j:], num
	case allSpaces(rest):
		// "<ts>      " with trailing blanks trimmed by an editor: an empty message.
		l.kind, l.text = KindMessage, rest[len(rest):]
	default:
		l.kind, l.text = KindGarbage, b
		return
	}
	l.indent, l.time, l.hasZone = i, t, hasZone
}

func allSpaces(b []byte) bool {
	for _, c := range b {
		if c != ' ' {
			return false
		}
	}
	return true
}
