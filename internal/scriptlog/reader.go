package scriptlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxLineLength is the number of bytes of one physical line that is
// retained; the rest of a longer line is skipped (Line.Truncated).
const DefaultMaxLineLength = 64 << 10

const readBufferSize = 64 << 10

// Reader reads a script log line by line without loading it into memory.
type Reader struct {
	src     io.Reader
	br      *bufio.Reader
	maxLen  int
	started bool
	long    []byte // accumulates lines longer than the bufio buffer
	n       int
	ts      tsCache
	raw     rawLine

	// TRACE echo detection: script line number of the previous statement
	// line when it was a TRACE statement (or its echo), else 0.
	traceLine int
}

// NewReaderSize returns a Reader that retains at most maxLineLength bytes of
// each physical line (DefaultMaxLineLength when maxLineLength <= 0).
func NewReaderSize(r io.Reader, maxLineLength int) *Reader {
	if maxLineLength <= 0 {
		maxLineLength = DefaultMaxLineLength
	}
	return &Reader{src: r, maxLen: maxLineLength}
}

// start detects the encoding from the first bytes and sets up decoding.
func (r *Reader) start() error {
	r.started = true
	br := bufio.NewReaderSize(r.src, readBufferSize)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("read script log: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		_, _ = br.Discard(2)
		br = bufio.NewReaderSize(NewUTF16Reader(br, false), readBufferSize)
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		_, _ = br.Discard(2)
		br = bufio.NewReaderSize(NewUTF16Reader(br, true), readBufferSize)
	case len(head) == 4 && head[0] != 0 && head[1] == 0 && head[2] != 0 && head[3] == 0:
		// UTF-16 LE without BOM: ASCII text with every second byte zero.
		br = bufio.NewReaderSize(NewUTF16Reader(br, false), readBufferSize)
	}
	r.br = br
	return nil
}

// readPhysical returns the next physical line without its line end. The
// slice is valid until the next call.
func (r *Reader) readPhysical() ([]byte, bool, error) {
	b, err := r.br.ReadSlice('\n')
	truncated := false
	// bufio returns its sentinel errors unwrapped: compare directly (hot path).
	if err == bufio.ErrBufferFull { //nolint:errorlint
		r.long = append(r.long[:0], b[:min(len(b), r.maxLen)]...)
		total := len(b)
		for err == bufio.ErrBufferFull { //nolint:errorlint
			b, err = r.br.ReadSlice('\n')
			total += len(b)
			if room := r.maxLen - len(r.long); room > 0 {
				r.long = append(r.long, b[:min(len(b), room)]...)
			}
		}
		truncated = total > r.maxLen
		if truncated && len(r.long) > 0 && r.long[len(r.long)-1] == '\n' {
			truncated = total-1 > r.maxLen
		}
		b = r.long
	}
	if err != nil && err != io.EOF { //nolint:errorlint
		return nil, false, fmt.Errorf("read script log line %d: %w", r.n+1, err)
	}
	if len(b) == 0 && err != nil {
		return nil, false, io.EOF
	}
	if len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	if len(b) > r.maxLen {
		b = b[:r.maxLen]
		truncated = true
	}
	return b, truncated, nil
}

// next parses the next line into r.raw. The returned pointer and its text are
// valid until the next call.
func (r *Reader) next() (*rawLine, error) {
	if !r.started {
		if err := r.start(); err != nil {
			return nil, err
		}
	}
	b, truncated, err := r.readPhysical()
	if err != nil {
		return nil, err
	}
	r.n++
	l := &r.raw
	l.n, l.truncated = r.n, truncated
	r.ts.parseLine(b, l)
	switch l.kind {
	case KindStatement:
		if r.traceLine != 0 && l.scriptLine == r.traceLine {
			l.kind = KindTrace
		} else if hasWordPrefixFold(l.text, "trace") {
			r.traceLine = l.scriptLine
		} else {
			r.traceLine = 0
		}
	case KindMessage:
		r.traceLine = 0
	}
	return l, nil
}

// hasWordPrefixFold reports whether the text, after leading blanks, starts
// with the ASCII word w (case-insensitive) followed by a non-word byte or end.
func hasWordPrefixFold(text []byte, w string) bool {
	i := 0
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	t := text[i:]
	if len(t) < len(w) {
		return false
	}
	for j := 0; j < len(w); j++ {
		if t[j]|0x20 != w[j] {
			return false
		}
	}
	return len(t) == len(w) || !isWordByte(t[len(w)])
}

// wordByte marks ASCII letters, digits and '_' (a table: this is on the hot path).
var wordByte = func() (t [256]bool) {
	for c := range 256 {
		b := byte(c)
		t[c] = b == '_' || (b >= '0' && b <= '9') || (b|0x20 >= 'a' && b|0x20 <= 'z')
	}
	return t
}()

func isWordByte(c byte) bool { return wordByte[c] }
