package inspect

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/text/transform"

	"github.com/licmon/licmon/internal/scriptlog"
)

// lineCapture is an io.Writer that keeps the first head and the last tail
// lines of a script log as it streams by, in constant memory. Script logs
// are UTF-8 or, from older engines, UTF-16 with a byte-order mark; UTF-16
// is decoded by scriptlog's decoder so an alert quotes readable text.
type lineCapture struct {
	started bool
	pre     []byte
	utf16   io.WriteCloser // UTF-16 → UTF-8 in front of the line splitter, or nil
	lines   lineSplitter
}

// lineSplitter cuts UTF-8 text into lines and keeps the head and the tail.
type lineSplitter struct {
	head, tail int
	cur        []byte   // the current line so far
	lines      int      // complete lines seen
	first      []string // up to head lines
	ring       []string // last tail lines, circular
	next       int
}

func newLineCapture(head, tail int) *lineCapture {
	return &lineCapture{lines: lineSplitter{head: max(head, 0), tail: max(tail, 0)}}
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
			c.utf16, p = transform.NewWriter(&c.lines, scriptlog.UTF16Decoder(false)), p[2:]
		case bytes.HasPrefix(p, []byte{0xFE, 0xFF}):
			c.utf16, p = transform.NewWriter(&c.lines, scriptlog.UTF16Decoder(true)), p[2:]
		}
	}
	if c.utf16 != nil {
		_, _ = c.utf16.Write(p)
		return n, nil
	}
	_, _ = c.lines.Write(p)
	return n, nil
}

func (c *lineCapture) feed(p []byte) { _, _ = c.Write(p) }

// Write splits p into lines; it never fails.
func (s *lineSplitter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.cur = append(s.cur, p...)
			break
		}
		s.cur = append(s.cur, p[:i]...)
		s.emit(string(s.cur))
		s.cur = s.cur[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (s *lineSplitter) emit(line string) {
	line = strings.TrimRight(line, "\r")
	s.lines++
	if len(s.first) < s.head {
		s.first = append(s.first, line)
	}
	if s.tail == 0 {
		return
	}
	if len(s.ring) < s.tail {
		s.ring = append(s.ring, line)
		return
	}
	s.ring[s.next] = line
	s.next = (s.next + 1) % s.tail
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
	if c.utf16 != nil {
		_ = c.utf16.Close() // flushes what the decoder holds back
		c.utf16 = nil
	}
	s := &c.lines
	if len(s.cur) > 0 {
		s.emit(string(s.cur))
		s.cur = nil
	}
	head = append([]string(nil), s.first...)
	ordered := append(append([]string(nil), s.ring[s.next:]...), s.ring[:s.next]...)
	// Lines numbered below len(head) are already in head.
	firstTail := s.lines - len(ordered)
	if skip := len(head) - firstTail; skip > 0 {
		ordered = ordered[min(skip, len(ordered)):]
	}
	if len(ordered) == 0 {
		ordered = nil
	}
	return head, ordered
}
