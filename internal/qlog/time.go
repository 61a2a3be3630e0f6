package qlog

import "time"

// ParseTime parses a service-log timestamp: YYYYMMDDThhmmss[.fff][±hhmm|±hh:mm|Z]
// (the documented form, local time with its offset; one help page prints
// the offset with a colon), and the dashed ISO form YYYY-MM-DDThh:mm:ss[...]
// some columns (Session Start, Last used) may use. Without an offset the
// time is read as UTC. ok is false for anything else.
func ParseTime(s string) (time.Time, bool) { return parseTime(s) }

// parseTime is ParseTime over a string or the bytes of a row, which it
// does not copy.
func parseTime[T string | []byte](s T) (time.Time, bool) {
	p := parser[T]{s: s}
	y, mo, d := p.num(4), 0, 0
	dashed := p.peek() == '-'
	if dashed {
		p.i++
		mo = p.num(2)
		p.expect('-')
		d = p.num(2)
	} else {
		mo, d = p.num(2), p.num(2)
	}
	if p.peek() != 'T' && p.peek() != ' ' {
		return time.Time{}, false
	}
	p.i++
	h := p.num(2)
	if dashed || p.peek() == ':' {
		p.expect(':')
	}
	mi := p.num(2)
	if p.peek() == ':' {
		p.i++
	}
	sec := p.num(2)
	ns := 0
	if p.peek() == '.' || p.peek() == ',' {
		p.i++
		scale := 100000000
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			if scale > 0 {
				ns += int(p.s[p.i]-'0') * scale
				scale /= 10
			}
			p.i++
		}
		if p.i == start {
			p.bad = true
		}
	}
	off := 0
	switch p.peek() {
	case 'Z':
		p.i++
	case '+', '-':
		sign := 1
		if p.s[p.i] == '-' {
			sign = -1
		}
		p.i++
		oh := p.num(2)
		if p.peek() == ':' {
			p.i++
		}
		om := p.num(2)
		off = sign * (oh*3600 + om*60)
	}
	if p.bad || p.i != len(p.s) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)
	return t.Add(-time.Duration(off) * time.Second), true
}

type parser[T string | []byte] struct {
	s   T
	i   int
	bad bool
}

func (p *parser[T]) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser[T]) expect(c byte) {
	if p.peek() != c {
		p.bad = true
		return
	}
	p.i++
}

func (p *parser[T]) num(n int) int {
	v := 0
	for k := 0; k < n; k++ {
		if p.i >= len(p.s) || p.s[p.i] < '0' || p.s[p.i] > '9' {
			p.bad = true
			return 0
		}
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
	}
	return v
}

// FormatTime writes t in the documented service-log form with the offset of
// t's location, e.g. 20240305T091512.317+0100.
func FormatTime(t time.Time) string { return t.Format("20060102T150405.000-0700") }
