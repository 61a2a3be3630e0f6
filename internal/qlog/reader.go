package qlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/licmon/licmon/internal/scriptlog"
)

// MaxLineLength is the longest row kept; a longer row is skipped with a
// warning (a real row is a few hundred bytes; a megabyte is a stack trace
// gone wrong or not a log at all).
const MaxLineLength = 1 << 20

// ReadBufferSize is the reader's buffer. A caller reading many files can
// pass a *bufio.Reader of at least this size, reset for each file: the
// reader then reads through it instead of allocating its own (a fresh
// buffer per small file was most of an import's allocations).
const ReadBufferSize = 256 << 10

const readBufferSize = ReadBufferSize

// maxWarnings bounds the warnings kept per file; further ones are counted.
const maxWarnings = 20

// ErrNotServiceLog means the input does not start with a service-log header
// (a tab-separated row naming at least a Timestamp column).
var ErrNotServiceLog = errors.New("not a Qlik Sense service log (the first line is not a tab-separated header with a Timestamp column)")

// Warning is one oddity met while reading, with the physical line number.
type Warning struct {
	Line int
	Text string
}

func (w Warning) String() string {
	if w.Line == 0 {
		return w.Text
	}
	return fmt.Sprintf("line %d: %s", w.Line, w.Text)
}

// Stats count what a Reader saw.
type Stats struct {
	// Lines is the number of physical lines read, header included.
	Lines int
	// Rows is the number of data rows returned.
	Rows int
	// Skipped counts lines that were not rows: Sequence# not a number (a
	// repeated header, a message broken by a raw line end), binary garbage,
	// an over-long line, an incomplete last line.
	Skipped int
	// ColumnMismatch counts rows with fewer or more fields than the header
	// (missing fields read as empty, extra ones are ignored).
	ColumnMismatch int
	// Latin1 counts rows that were not valid UTF-8 and were read as
	// Windows-1252/Latin-1 instead.
	Latin1 int
	// IncompleteLastLine is true when the input ended inside a row (a file
	// still being written, or cut): that row was skipped.
	IncompleteLastLine bool
	// UTF16 is true when the file was UTF-16 and transcoded.
	UTF16 bool
	// Warnings are the first oddities, with line numbers; DroppedWarnings
	// counts the rest.
	Warnings        []Warning
	DroppedWarnings int
}

// Reader reads a service log row by row, streaming: memory does not grow
// with the input.
type Reader struct {
	br      *bufio.Reader
	started bool
	header  []string
	cols    map[string]int
	seqCol  int
	line    int
	long    []byte
	row     Row
	stats   Stats
	err     error
	// off is the number of bytes of the complete lines read (BOM and header
	// included); tail holds the last tailN of them, so a later read can
	// check that a file still starts with what was read (see Resume).
	off   int64
	tail  [TailSize]byte
	tailN int
	// from and fromTail are the Resume point, skipped to after the header.
	from     int64
	fromTail []byte
	// countOnly makes Next check only the Sequence# of rows nobody reads
	// the fields of (Extract of a file kind it takes nothing from).
	countOnly bool
}

// TailSize is the number of bytes before the resume point that Resume
// compares (Tail returns as many).
const TailSize = 64

// ErrResumeMismatch means the bytes before the resume point are not those
// read before: the file is not the one the offset was recorded for.
var ErrResumeMismatch = errors.New("the file does not continue the rows read before (the bytes before the resume point differ)")

// Resume makes the reader skip, after the header, to byte offset off (an
// earlier Offset of the same file or of a shorter copy of it) and return
// only the rows after it; tail is what Tail returned at that offset, and
// Next fails with ErrResumeMismatch when the file holds other bytes there
// or is shorter. Call it before the first Next.
func (r *Reader) Resume(off int64, tail []byte) {
	r.from, r.fromTail = off, tail
}

// Offset is the number of bytes of the complete lines read so far: the
// end of the last row Next returned, or of a line it skipped after it.
func (r *Reader) Offset() int64 { return r.off }

// Tail returns the last bytes (up to TailSize) before Offset, valid until
// the next call of Next.
func (r *Reader) Tail() []byte { return r.tail[TailSize-r.tailN:] }

// pushTail records p as the bytes just before the new offset.
func (r *Reader) pushTail(p []byte) {
	if len(p) >= TailSize {
		copy(r.tail[:], p[len(p)-TailSize:])
		r.tailN = TailSize
		return
	}
	copy(r.tail[:], r.tail[len(p):])
	copy(r.tail[TailSize-len(p):], p)
	r.tailN = min(TailSize, r.tailN+len(p))
}

// NewReader returns a Reader of the service log r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, readBufferSize), seqCol: -1}
}

// Stats returns what the reader has seen so far.
func (r *Reader) Stats() Stats { return r.stats }

// Header returns the column names as written in the file (nil before the
// first Next).
func (r *Reader) Header() []string { return r.header }

// Col returns the index of the named column (case-insensitive), -1 when the
// file has no such column.
func (r *Reader) Col(name string) int {
	if i, ok := r.cols[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

func (r *Reader) warn(line int, format string, args ...any) {
	if len(r.stats.Warnings) >= maxWarnings {
		r.stats.DroppedWarnings++
		return
	}
	r.stats.Warnings = append(r.stats.Warnings, Warning{Line: line, Text: fmt.Sprintf(format, args...)})
}

// readLine returns the next physical line without its line end; complete is
// false for a last line with no line end. Lines over MaxLineLength are
// consumed and returned as nil with tooLong set.
func (r *Reader) readLine() (line []byte, complete, tooLong bool, err error) {
	r.long = r.long[:0]
	var raw int64 // bytes of a line longer than the buffer read before b
	for {
		b, err := r.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			raw += int64(len(b))
			if len(r.long)+len(b) <= MaxLineLength {
				r.long = append(r.long, b...)
			} else {
				tooLong = true
				if !r.started || r.line == 0 {
					// No header within a megabyte: not a log; do not read
					// a multi-gigabyte file to its first line end.
					return nil, false, true, nil
				}
			}
			continue
		}
		last := b // the end of the line, for the offset and the tail
		if len(r.long) > 0 || tooLong {
			if !tooLong && len(r.long)+len(b) <= MaxLineLength {
				r.long = append(r.long, b...)
				b = r.long
			} else {
				tooLong = true
				b = nil
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if len(b) == 0 && !tooLong {
					return nil, false, false, io.EOF
				}
				return b, false, tooLong, nil
			}
			return nil, false, false, err
		}
		r.off += raw + int64(len(last))
		switch {
		case tooLong:
			r.tailN = 0 // only the end of an over-long line is at hand
			r.pushTail(last)
			return nil, true, true, nil
		default:
			r.pushTail(b) // b is the whole line (r.long for a long one)
		}
		b = b[:len(b)-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
		return b, true, tooLong, nil
	}
}

func (r *Reader) start() error {
	r.started = true
	head, _ := r.br.Peek(3)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = r.br.Discard(3)
		r.off = 3
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		big := head[0] == 0xFE
		_, _ = r.br.Discard(2)
		r.off = 2 // offsets count the transcoded bytes after it
		r.br = bufio.NewReaderSize(scriptlog.NewUTF16Reader(r.br, big), readBufferSize)
		r.stats.UTF16 = true
		r.warn(0, "the file is UTF-16, Qlik writes UTF-8: transcoded")
	}
	line, _, tooLong, err := r.readLine()
	if errors.Is(err, io.EOF) {
		return io.EOF // an empty file: no header, no rows
	}
	if err != nil {
		return fmt.Errorf("read service log: %w", err)
	}
	r.line = 1
	r.stats.Lines = 1
	if tooLong || bytes.IndexByte(line, 0) >= 0 || !utf8.Valid(line) {
		return ErrNotServiceLog
	}
	r.header = strings.Split(string(line), "\t")
	r.cols = make(map[string]int, len(r.header))
	for i, h := range r.header {
		k := strings.ToLower(strings.TrimSpace(h))
		if _, dup := r.cols[k]; !dup {
			r.cols[k] = i
		}
	}
	if r.Col("timestamp") < 0 {
		return ErrNotServiceLog
	}
	r.seqCol = r.Col("sequence#")
	r.row.r = r
	if r.from > r.off {
		return r.skipTo(r.from, r.fromTail)
	}
	return nil
}

// skipTo reads past the bytes up to offset off (counting their lines, so
// warnings keep their line numbers) and checks the tail before it.
func (r *Reader) skipTo(off int64, tail []byte) error {
	for r.off < off {
		n := int(min(off-r.off, int64(r.br.Size())))
		b, err := r.br.Peek(n)
		if len(b) > 0 {
			nl := bytes.Count(b, []byte{'\n'})
			r.line += nl
			r.stats.Lines += nl
			r.pushTail(b)
			_, _ = r.br.Discard(len(b))
			r.off += int64(len(b))
		}
		if err != nil && r.off < off {
			if errors.Is(err, io.EOF) {
				return ErrResumeMismatch
			}
			return fmt.Errorf("read service log: %w", err)
		}
	}
	if !bytes.Equal(r.Tail()[max(0, r.tailN-len(tail)):], tail) || len(tail) > r.tailN {
		return ErrResumeMismatch
	}
	return nil
}

// Next returns the next data row, valid until the following call, or
// io.EOF at the end. It returns ErrNotServiceLog when the first line is not
// a header; any other error is a read error.
func (r *Reader) Next() (*Row, error) {
	if r.err != nil {
		return nil, r.err
	}
	if !r.started {
		if err := r.start(); err != nil {
			r.err = err
			return nil, err
		}
	}
	for {
		line, complete, tooLong, err := r.readLine()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				err = fmt.Errorf("read service log after line %d: %w", r.line, err)
			}
			r.err = err
			return nil, err
		}
		r.line++
		r.stats.Lines++
		switch {
		case tooLong:
			r.stats.Skipped++
			r.warn(r.line, "row longer than %d bytes: skipped", MaxLineLength)
			continue
		case !complete:
			r.stats.Skipped++
			r.stats.IncompleteLastLine = true
			r.warn(r.line, "the last row has no line end (the file is still being written or was cut): skipped; it is read again when the file grows")
			continue
		case len(line) == 0:
			continue
		case bytes.IndexByte(line, 0) >= 0:
			r.stats.Skipped++
			r.warn(r.line, "binary data (NUL bytes): skipped")
			continue
		}
		if r.countOnly && r.seqCol <= 0 {
			// Nothing reads the fields: check the Sequence# (the first
			// column, as Qlik writes it) without splitting the rest.
			r.row.fields = r.row.fields[:0]
			if r.seqCol == 0 {
				first := line
				if i := bytes.IndexByte(line, '\t'); i >= 0 {
					first = line[:i]
				}
				r.row.fields = append(r.row.fields, first)
			}
		} else {
			r.row.split(line)
		}
		if r.seqCol >= 0 && !isDigits(r.row.Bytes(r.seqCol)) {
			r.stats.Skipped++
			if r.stats.Skipped-boolInt(r.stats.IncompleteLastLine) <= 3 {
				r.warn(r.line, "Sequence# %q is not a number: not a row (skipped, as Qlik's apps do)", clip(r.row.Bytes(r.seqCol), 40))
			}
			continue
		}
		if len(r.row.fields) != len(r.header) && !r.countOnly {
			r.stats.ColumnMismatch++
			if r.stats.ColumnMismatch == 1 {
				r.warn(r.line, "%d fields where the header has %d columns (missing read as empty, extra ignored; further rows like this are only counted)", len(r.row.fields), len(r.header))
			}
		}
		r.row.Line = r.line
		r.row.latin1 = false
		r.stats.Rows++
		return &r.row, nil
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func clip(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "?")
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Row is one data row of a service log.
type Row struct {
	// Line is the physical line number (the header is line 1).
	Line   int
	fields [][]byte
	r      *Reader
	latin1 bool
}

func (w *Row) split(line []byte) {
	w.fields = w.fields[:0]
	for {
		i := bytes.IndexByte(line, '\t')
		if i < 0 {
			w.fields = append(w.fields, line)
			return
		}
		w.fields = append(w.fields, line[:i])
		line = line[i+1:]
	}
}

// Bytes returns the raw value of column col (nil when col < 0 or the row is
// short), still escaped and valid only until the next call of Next.
func (w *Row) Bytes(col int) []byte {
	if col < 0 || col >= len(w.fields) {
		return nil
	}
	return w.fields[col]
}

// String returns the value of column col with Qlik's escapes undone (⇔ tab,
// ↓ line feed, → form feed, ↵ carriage return). A value that is not valid
// UTF-8 is read as Windows-1252/Latin-1, so user names survive a file saved
// in the wrong encoding; the row is counted in Stats.Latin1.
func (w *Row) String(col int) string {
	b := w.Bytes(col)
	if len(b) == 0 {
		return ""
	}
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	if !utf8.Valid(b) {
		if !w.latin1 {
			w.latin1 = true
			w.r.stats.Latin1++
			if w.r.stats.Latin1 == 1 {
				w.r.warn(w.Line, "not valid UTF-8 (Qlik writes UTF-8): read as Latin-1; further rows like this are only counted")
			}
		}
		rs := make([]rune, len(b))
		for i, c := range b {
			rs[i] = rune(c)
		}
		return string(rs)
	}
	return Unescape(string(b))
}

// Field is String of the named column ("" when the file has no such column).
func (w *Row) Field(name string) string { return w.String(w.r.Col(name)) }

var unescaper = strings.NewReplacer("\u21d4", "\t", "\u2193", "\n", "\u2192", "\f", "\u21b5", "\r")

// Unescape undoes the replacement Qlik's log layout applies to values:
// U+21D4 ⇔ tab, U+2193 ↓ line feed, U+2192 → form feed, U+21B5 ↵ carriage
// return.
func Unescape(s string) string {
	if !strings.ContainsRune(s, '\u21d4') && !strings.ContainsRune(s, '\u2193') &&
		!strings.ContainsRune(s, '\u2192') && !strings.ContainsRune(s, '\u21b5') {
		return s
	}
	return unescaper.Replace(s)
}

// Escape applies Qlik's replacement to a value (the inverse of Unescape),
// for writers of service logs such as the simulator.
func Escape(s string) string {
	if !strings.ContainsAny(s, "\t\n\f\r") {
		return s
	}
	return escaper.Replace(s)
}

var escaper = strings.NewReplacer("\t", "\u21d4", "\n", "\u2193", "\f", "\u2192", "\r", "\u21b5")

// Identity reads the start of a service log and returns what identifies
// its rows in whichever copy holds them: a hash of the header and the
// first data row (which holds the row's Id and time). The active .txt and
// the rolled .log it becomes, in the Log folder or the archive, start with
// the same two lines, one a prefix of the other; so a reader that records
// how far it read a file under its identity can take up any copy there
// (Reader.Resume) and read each row once. ok is false while the file has
// no complete data row.
func Identity(r io.Reader) (id string, ok bool, err error) {
	br := bufio.NewReaderSize(r, 4<<10) // a longer line is read in parts
	h := fnv.New64a()
	n := 0
	for lines := 0; lines < 2; {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			h.Write(b)
			if n += len(b); n > 2*MaxLineLength {
				return "", false, nil // not a log: no two lines in 2 MB
			}
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", false, nil
			}
			return "", false, err
		}
		h.Write(b)
		if len(bytes.TrimSpace(b)) > 0 {
			lines++
		}
	}
	return fmt.Sprintf("%016x", h.Sum64()), true, nil
}
