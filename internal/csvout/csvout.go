// Package csvout writes every CSV file licmon produces (the report's CSVs,
// the dashboard's downloads) so that no cell runs as a spreadsheet formula.
//
// User names, directories and reasons come from Qlik Sense and can be set by
// anyone who can create a user; a name such as =HYPERLINK("http://x/","y")
// or +cmd|' /C calc'!A0 would run as a formula when the file is opened in
// Excel or LibreOffice. A text cell starting with = + - @, a tab or a
// carriage return is written with a leading apostrophe, which spreadsheets
// show as text. Numbers (such as -3 or -0.5) are left alone so that they
// stay numbers: only cells that are not a plain decimal number are changed.
package csvout

import (
	"encoding/csv"
	"io"
)

// Writer is a csv.Writer that neutralises every cell it writes.
type Writer struct {
	cw  *csv.Writer
	row []string
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{cw: csv.NewWriter(w)} }

// Write writes one row, each cell through Cell. It does not keep row.
func (w *Writer) Write(row []string) error {
	w.row = w.row[:0]
	for _, c := range row {
		w.row = append(w.row, Cell(c))
	}
	return w.cw.Write(w.row)
}

// Flush writes buffered rows to the underlying writer and returns the first
// error of any Write or Flush.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return w.cw.Error()
}

// Cell returns s as it is safe to put into a CSV cell: a text starting with
// = + - @, a tab or a carriage return gets a leading apostrophe; a plain
// decimal number (an optional sign, digits, an optional fraction and
// exponent) is returned unchanged.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
	default:
		return s
	}
	if isNumber(s) {
		return s
	}
	return "'" + s
}

// isNumber reports whether s is [+-]digits[.digits][(e|E)[+-]digits], the
// numbers licmon writes. strconv.ParseFloat would also accept "Inf", "NaN",
// hex floats and underscores, which a spreadsheet reads as text anyway.
func isNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
