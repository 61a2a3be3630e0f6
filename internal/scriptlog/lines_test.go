package scriptlog

import (
	"errors"
	"io"
	"iter"
)

// The line-by-line API exists for the tests that check the reader alone;
// Diagnose reads the raw lines itself.

// NewReader returns a Reader with the default maximum line length.
func NewReader(r io.Reader) *Reader { return NewReaderSize(r, DefaultMaxLineLength) }

// Next returns the next line, or io.EOF after the last one.
func (r *Reader) Next() (Line, error) {
	l, err := r.next()
	if err != nil {
		return Line{}, err
	}
	return l.line(), nil
}

// All returns an iterator over the remaining lines. It stops after the first
// error (which is yielded); io.EOF is not yielded.
func (r *Reader) All() iter.Seq2[Line, error] {
	return func(yield func(Line, error) bool) {
		for {
			l, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(l, err) || err != nil {
				return
			}
		}
	}
}
