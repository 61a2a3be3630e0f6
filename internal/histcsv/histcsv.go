// Package histcsv reads and writes license history as CSV, the exchange
// format of licmon history import and export: one row per day and license
// type with the columns day, type, licensed and allocated, and optionally
// used, quarantined, denied and source.
//
// The package is pure: it turns bytes into license.HistoryDay values and
// back, and knows nothing of the store or the terminal. It is written for
// files made by people and spreadsheets: the header is matched by name in
// any order and case, a UTF-8 byte-order mark, CRLF line ends, blank lines
// and ';' separators (Excel in many locales) are accepted, and every error
// names the file, the line, the column and what to do.
package histcsv

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// Column names. Day, Type, Licensed and Allocated are required.
const (
	ColDay         = "day"
	ColType        = "type"
	ColLicensed    = "licensed"
	ColAllocated   = "allocated"
	ColUsed        = "used"
	ColQuarantined = "quarantined"
	ColDenied      = "denied"
	ColSource      = "source"
)

// Columns lists every column in the order Write writes them (Write adds
// source only when asked).
var Columns = []string{ColDay, ColType, ColLicensed, ColAllocated, ColUsed, ColQuarantined, ColDenied, ColSource}

var required = []string{ColDay, ColType, ColLicensed, ColAllocated}

// Sources of a row, the optional source column written by export.
const (
	SourceMeasured      = "measured"      // a licmon collection
	SourceImported      = "imported"      // an earlier history import
	SourceReconstructed = "reconstructed" // rebuilt from allocation dates: lower bounds
)

// firstDay is the earliest day accepted: Qlik Sense did not exist before.
var firstDay = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Options tune Parse.
type Options struct {
	// Name is the file's name, used in every error.
	Name string
	// Today is the current UTC day: later days are errors.
	Today time.Time
	// SkipInvalid keeps the valid rows of a file with invalid rows and
	// returns the errors in File.Skipped instead of failing. Errors of the
	// header or of the CSV syntax still fail.
	SkipInvalid bool
}

// Row is one valid row of a history file.
type Row struct {
	license.HistoryDay
	// Line is the row's line in the file (1 is the header's first line).
	Line int
	// Source is the source column's value ("" without one).
	Source string
}

// File is a parsed history file.
type File struct {
	// Rows are the valid rows in file order, without repeated rows.
	Rows []Row
	// Skipped are the invalid rows left out (SkipInvalid only).
	Skipped []*LineError
	// Repeated counts rows identical to an earlier row of the same day and
	// type, which are harmless and left out.
	Repeated int
	// Separator is the separator found in the header: ',', ';' or tab.
	Separator rune
	// Columns are the header's columns in file order, lower-cased.
	Columns []string
}

// Has reports whether the file has a column.
func (f *File) Has(col string) bool {
	for _, c := range f.Columns {
		if c == col {
			return true
		}
	}
	return false
}

// LineError is a problem with one line (and column) of a file.
type LineError struct {
	File   string
	Line   int
	Column string // "" when the whole line is wrong
	Msg    string
}

func (e *LineError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("%s:%d: column %s: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Error is an invalid file: every invalid row, in line order.
type Error struct {
	File  string
	Lines []*LineError
}

// maxListed bounds the lines an Error lists: the rest are counted.
const maxListed = 20

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d invalid row(s)", e.File, len(e.Lines))
	for i, l := range e.Lines {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Lines)-maxListed)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(l.Error())
	}
	return b.String()
}

// Parse reads a history file. It fails on a file it cannot read as a whole
// (no header, an unknown, repeated or missing column, broken quoting) with a
// *LineError, and on invalid rows with an *Error listing all of them, unless
// opts.SkipInvalid. Rows are valid when the day is a date (YYYY-MM-DD) from
// 2000 to opts.Today, the type known, the counts whole numbers of 0 or more,
// and no other row of the same day and type has other values.
func Parse(r io.Reader, opts Options) (*File, error) {
	if opts.Name == "" {
		opts.Name = "history file"
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, &LineError{File: opts.Name, Line: 1, Msg: "the file is UTF-16 (Excel's \"Unicode text\"): save it as \"CSV UTF-8\" or plain CSV instead"}
	}

	// The separator is whichever of , ; and tab the header line has most of
	// outside quotes: Excel writes ';' where ',' is the decimal comma.
	skipped := 0
	var header string
	for {
		line, err := br.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			header = line
			break
		}
		if err == io.EOF {
			return nil, &LineError{File: opts.Name, Line: 1, Msg: "the file is empty: its first line must be the header " + strings.Join(required, ",")}
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", opts.Name, err)
		}
		skipped++
	}
	f := &File{Separator: separator(header)}
	cr := csv.NewReader(io.MultiReader(strings.NewReader(header), br))
	cr.Comma = f.Separator
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	p := parser{opts: opts, file: f, offset: skipped, seen: map[dayType]int{}}

	rec, err := cr.Read()
	if err != nil {
		return nil, p.csvError(err)
	}
	if err := p.header(rec); err != nil {
		return nil, err
	}
	var invalid []*LineError
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, p.csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if errs := p.row(rec, line+p.offset); len(errs) > 0 {
			invalid = append(invalid, errs...)
		}
	}
	invalid = append(invalid, p.contradictions()...)
	if len(invalid) > 0 {
		sortLines(invalid)
		if !opts.SkipInvalid {
			return nil, &Error{File: opts.Name, Lines: invalid}
		}
		f.Skipped = invalid
	}
	f.Rows = p.rows
	if len(p.dropped) > 0 {
		f.Rows = f.Rows[:0]
		for _, r := range p.rows {
			if !p.dropped[r.Line] {
				f.Rows = append(f.Rows, r)
			}
		}
	}
	return f, nil
}

// separator picks ',', ';' or tab from the header line.
func separator(line string) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ',' || r == ';' || r == '\t'):
			counts[r]++
		}
	}
	sep := ','
	for _, r := range []rune{';', '\t'} {
		if counts[r] > counts[sep] {
			sep = r
		}
	}
	return sep
}

type dayType struct {
	day int64 // unix seconds of the day
	typ license.Type
}

type parser struct {
	opts   Options
	file   *File
	offset int            // blank lines before the header
	index  map[string]int // column -> cell index
	width  int            // cells up to the last named column
	rows   []Row
	seen   map[dayType]int // first row index of a day and type
	// clash lists the later lines that contradict a first one, by first line.
	clash   map[int][]int
	dropped map[int]bool
	// A day repeats once per type and a type name once per row: parsing
	// each once keeps Parse near the speed of reading the CSV.
	lastDay  string
	lastDate time.Time
	lastErr  error
	types    map[string]license.Type
}

func (p *parser) err(line int, col, format string, args ...any) *LineError {
	return &LineError{File: p.opts.Name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &LineError{File: p.opts.Name, Line: pe.Line + p.offset,
			Msg: fmt.Sprintf("%v at character %d: a cell holding the separator, a quote or a line break must be in double quotes, with its quotes doubled (\"\")", pe.Err, pe.Column)}
	}
	return fmt.Errorf("read %s: %w", p.opts.Name, err)
}

func (p *parser) header(rec []string) error {
	line := 1 + p.offset
	p.index = map[string]int{}
	known := strings.Join(Columns[:4], ", ") + " and optionally " + strings.Join(Columns[4:], ", ")
	last := -1
	for i, c := range rec {
		name := strings.ToLower(strings.TrimSpace(c))
		if name != "" {
			last = i
		}
	}
	for i, c := range rec[:last+1] {
		name := strings.ToLower(strings.TrimSpace(c))
		col := fmt.Sprintf("%d", i+1)
		switch {
		case name == "":
			return p.err(line, col, "the header has an empty column name: name it (the columns are %s) or delete the column", known)
		case !isColumn(name):
			return p.err(line, col, "unknown column %q: the columns are %s (any order, any case); delete or rename it", strings.TrimSpace(c), known)
		}
		if prev, ok := p.index[name]; ok {
			return p.err(line, col, "column %q appears twice (also column %d): keep one", name, prev+1)
		}
		p.index[name] = i
		p.file.Columns = append(p.file.Columns, name)
	}
	var missing []string
	for _, c := range required {
		if _, ok := p.index[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return p.err(line, "", "the header lacks the column(s) %s: the first line must name at least %s (found %q)",
			strings.Join(missing, ", "), strings.Join(required, p.sepString()), strings.Join(rec, p.sepString()))
	}
	p.width = last + 1
	return nil
}

func (p *parser) sepString() string { return string(p.file.Separator) }

func isColumn(name string) bool {
	for _, c := range Columns {
		if c == name {
			return true
		}
	}
	return false
}

// row validates one record; a valid one is kept, an identical repeat
// counted, a contradicting repeat remembered for contradictions.
func (p *parser) row(rec []string, line int) []*LineError {
	blank := true
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			blank = false
			break
		}
	}
	if blank {
		return nil // a row of empty cells, as spreadsheets leave at the end
	}
	if len(rec) < p.width {
		return []*LineError{p.err(line, "", "%d cell(s) where the header has %d: a separator is missing (the file uses %q)",
			len(rec), p.width, p.sepString())}
	}
	for i := p.width; i < len(rec); i++ {
		if strings.TrimSpace(rec[i]) != "" {
			return []*LineError{p.err(line, fmt.Sprintf("%d", i+1), "a value %q beyond the header's %d columns: add a column name or delete the value",
				strings.TrimSpace(rec[i]), p.width)}
		}
	}
	cell := func(col string) (string, bool) {
		i, ok := p.index[col]
		if !ok {
			return "", false
		}
		return strings.TrimSpace(rec[i]), true
	}
	var errs []*LineError
	r := Row{Line: line}

	day, _ := cell(ColDay)
	if day != p.lastDay || p.lastDay == "" {
		p.lastDay = day
		p.lastDate, p.lastErr = time.Parse(time.DateOnly, day)
	}
	d, err := p.lastDate, p.lastErr
	switch {
	case day == "":
		errs = append(errs, p.err(line, ColDay, "empty: every row needs a day, written YYYY-MM-DD"))
	case err != nil:
		errs = append(errs, p.err(line, ColDay, "%q is not a date written YYYY-MM-DD (e.g. 2024-03-31): format the column as yyyy-mm-dd before saving the CSV", day))
	case d.Before(firstDay):
		errs = append(errs, p.err(line, ColDay, "%s is before 2000, before Qlik Sense existed: check the year", day))
	case !p.opts.Today.IsZero() && d.After(license.Day(p.opts.Today)):
		errs = append(errs, p.err(line, ColDay, "%s is in the future (today is %s): fix the date or delete the row", day, license.Day(p.opts.Today).Format(time.DateOnly)))
	}
	r.Day = d

	typ, _ := cell(ColType)
	if typ == "" {
		errs = append(errs, p.err(line, ColType, "empty: every row needs a type (%s)", typeNames()))
	} else if t, ok := p.types[typ]; ok {
		r.Type = t
	} else if t, err := license.ParseType(typ); err != nil {
		errs = append(errs, p.err(line, ColType, "unknown type %q: use one of %s", typ, typeNames()))
	} else {
		if p.types == nil {
			p.types = map[string]license.Type{}
		}
		p.types[typ], r.Type = t, t
	}

	count := func(col string, req bool) (int64, bool) {
		s, ok := cell(col)
		if !ok || s == "" {
			if req {
				errs = append(errs, p.err(line, col, "empty: every row needs %s and %s (write 0 for none)", ColLicensed, ColAllocated))
			}
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		switch {
		case err != nil:
			errs = append(errs, p.err(line, col, "%q is not a whole number: write plain digits, without decimals, spaces or thousands separators", s))
			return 0, false
		case n < 0:
			errs = append(errs, p.err(line, col, "%d is negative: counts are 0 or more", n))
			return 0, false
		}
		return n, true
	}
	r.Licensed, _ = count(ColLicensed, true)
	r.Allocated, _ = count(ColAllocated, true)
	r.Used, r.UsedKnown = count(ColUsed, false)
	r.Quarantined, r.QuarantinedKnown = count(ColQuarantined, false)
	r.Denied, r.DeniedKnown = count(ColDenied, false)

	if src, ok := cell(ColSource); ok && src != "" {
		switch s := strings.ToLower(src); s {
		case SourceMeasured, SourceImported, SourceReconstructed:
			r.Source = s
		default:
			errs = append(errs, p.err(line, ColSource, "unknown source %q: use %s, %s or %s, or leave it empty", src,
				SourceMeasured, SourceImported, SourceReconstructed))
		}
	}
	if r.Type != "" {
		// Capacity and passes have no "used" apart from allocated (minutes
		// or tokens used), and only per-user types have a quarantine: a
		// value that repeats allocated, or a 0, says nothing and is dropped.
		if r.UsedKnown && !r.Type.HasUsed() {
			if r.Used != r.Allocated {
				errs = append(errs, p.err(line, ColUsed, "%d: %s has no used count apart from allocated (which holds what was used): leave used empty", r.Used, r.Type))
			}
			r.Used, r.UsedKnown = 0, false
		}
		if r.QuarantinedKnown && !r.Type.HasQuarantine() {
			if r.Quarantined != 0 {
				errs = append(errs, p.err(line, ColQuarantined, "%d: %s has no quarantine: leave quarantined empty", r.Quarantined, r.Type))
			}
			r.Quarantined, r.QuarantinedKnown = 0, false
		}
	}
	if len(errs) > 0 {
		return errs
	}
	k := dayType{r.Day.Unix(), r.Type}
	if i, ok := p.seen[k]; ok {
		if p.rows[i].HistoryDay == r.HistoryDay {
			p.file.Repeated++
			return nil
		}
		if p.clash == nil {
			p.clash = map[int][]int{}
		}
		p.clash[i] = append(p.clash[i], line)
		return nil
	}
	p.seen[k] = len(p.rows)
	p.rows = append(p.rows, r)
	return nil
}

// contradictions reports rows of the same day and type with other values.
// Neither can be trusted over the other, so with SkipInvalid both go.
func (p *parser) contradictions() []*LineError {
	var out []*LineError
	p.dropped = map[int]bool{}
	for i, lines := range p.clash {
		first := p.rows[i]
		d := first.Day.Format(time.DateOnly)
		for _, l := range lines {
			out = append(out, p.err(l, "", "%s %s contradicts line %d (same day and type, other values): keep the right one and delete the other",
				d, first.Type, first.Line))
		}
		if p.opts.SkipInvalid {
			out = append(out, p.err(first.Line, "", "%s %s is contradicted by line %d: skipped with it", d, first.Type, lines[0]))
		}
		p.dropped[first.Line] = true
	}
	return out
}

func sortLines(errs []*LineError) {
	// Insertion sort keeps errors of one line in column order; files with
	// many invalid lines are already nearly sorted.
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && errs[j].Line < errs[j-1].Line; j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
}

func typeNames() string {
	var names []string
	for _, t := range license.Types() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}

// Write writes rows in the format Parse reads: a header and one row per day
// and type, unknown values as empty cells, with the source column when
// withSource. Every cell is a date, a type name, a number or a source name,
// so no cell can start a spreadsheet formula.
func Write(w io.Writer, rows []Row, withSource bool) error {
	cw := csv.NewWriter(w)
	cols := Columns[:len(Columns)-1]
	if withSource {
		cols = Columns
	}
	if err := cw.Write(cols); err != nil {
		return err
	}
	opt := func(v int64, known bool) string {
		if !known {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	rec := make([]string, len(cols))
	for _, r := range rows {
		rec = append(rec[:0], r.Day.Format(time.DateOnly), string(r.Type), strconv.FormatInt(r.Licensed, 10),
			strconv.FormatInt(r.Allocated, 10), opt(r.Used, r.UsedKnown), opt(r.Quarantined, r.QuarantinedKnown),
			opt(r.Denied, r.DeniedKnown))
		if withSource {
			rec = append(rec, r.Source)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
