package check

import (
	"bytes"
	"strings"
	"unicode/utf16"
)

// lineCapture is an io.Writer that keeps the first head and the last tail
// lines of a script log as it streams by, in constant memory. Script logs
// are UTF-8 or, from older engines, UTF-16 with a byte-order mark; both are
// decoded so an alert quotes readable text.
type lineCapture struct {
	head, tail int
	started    bool
	pre        []byte
	utf16      int // 0 none, 1 little endian, 2 big endian
	odd        []byte
	cur        []byte   // bytes (UTF-8) or code units (UTF-16, 2 bytes each) of the current line
	lines      int      // complete lines seen
	first      []string // up to head lines
	ring       []string // last tail lines, circular
	next       int
}

func newLineCapture(head, tail int) *lineCapture {
	return &lineCapture{head: max(head, 0), tail: max(tail, 0)}
}

// Write never fails: capturing must not break the diagnosis it tees from.
func (c *lineCapture) Write(p []byte) (int, error) {
	n := len(p)
	if !c.started {
		// The byte-order mark may arrive split across writes.
		c.pre = append(c.pre, p...)
		if len(c.pre) < 3 {
			return n, nil
		}
		c.started = true
		p, c.pre = c.pre, nil
		switch {
		case bytes.HasPrefix(p, []byte{0xEF, 0xBB, 0xBF}):
			p = p[3:]
		case bytes.HasPrefix(p, []byte{0xFF, 0xFE}):
			c.utf16, p = 1, p[2:]
		case bytes.HasPrefix(p, []byte{0xFE, 0xFF}):
			c.utf16, p = 2, p[2:]
		}
	}
	if c.utf16 == 0 {
		for len(p) > 0 {
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				c.cur = append(c.cur, p...)
				break
			}
			c.cur = append(c.cur, p[:i]...)
			c.emit(string(c.cur))
			c.cur = c.cur[:0]
			p = p[i+1:]
		}
		return n, nil
	}
	if len(c.odd) > 0 {
		p = append(c.odd, p...)
		c.odd = nil
	}
	for len(p) >= 2 {
		u := uint16(p[0]) | uint16(p[1])<<8
		if c.utf16 == 2 {
			u = uint16(p[1]) | uint16(p[0])<<8
		}
		p = p[2:]
		if u == '\n' {
			c.emit(c.decode16())
			c.cur = c.cur[:0]
			continue
		}
		c.cur = append(c.cur, byte(u), byte(u>>8))
	}
	if len(p) == 1 {
		c.odd = []byte{p[0]}
	}
	return n, nil
}

func (c *lineCapture) feed(p []byte) { _, _ = c.Write(p) }

func (c *lineCapture) decode16() string {
	units := make([]uint16, len(c.cur)/2)
	for i := range units {
		units[i] = uint16(c.cur[2*i]) | uint16(c.cur[2*i+1])<<8
	}
	return string(utf16.Decode(units))
}

func (c *lineCapture) emit(line string) {
	line = strings.TrimRight(line, "\r")
	c.lines++
	if len(c.first) < c.head {
		c.first = append(c.first, line)
	}
	if c.tail == 0 {
		return
	}
	if len(c.ring) < c.tail {
		c.ring = append(c.ring, line)
		return
	}
	c.ring[c.next] = line
	c.next = (c.next + 1) % c.tail
}

// Lines returns the head and the tail. A line that is in the head is not
// repeated in the tail, so a short log is quoted once.
func (c *lineCapture) Lines() (head, tail []string) {
	if !c.started && len(c.pre) > 0 {
		// A log shorter than a byte-order mark.
		pre := c.pre
		c.pre = nil
		c.started = true
		c.feed(pre)
	}
	if len(c.cur) > 0 {
		if c.utf16 != 0 {
			c.emit(c.decode16())
		} else {
			c.emit(string(c.cur))
		}
		c.cur = nil
	}
	head = append([]string(nil), c.first...)
	ordered := append(append([]string(nil), c.ring[c.next:]...), c.ring[:c.next]...)
	// Lines numbered below len(head) are already in head.
	firstTail := c.lines - len(ordered)
	if skip := len(head) - firstTail; skip > 0 {
		ordered = ordered[min(skip, len(ordered)):]
	}
	if len(ordered) == 0 {
		ordered = nil
	}
	return head, ordered
}
