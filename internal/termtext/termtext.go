// Package termtext makes text from Qlik Sense safe to print on a terminal.
//
// Script-log lines, task and trigger names, node names, user names and QRS
// error bodies are written by whoever can edit a load script or a task, and
// reach licmon's text output as they are. A terminal escape sequence in
// them could rewrite the screen, hide a finding, retitle the window or, on
// some terminals, answer back with input. Every text renderer of licmon
// passes what it prints through Clean (or a Writer), which removes control
// characters and escape sequences and keeps the text readable.
package termtext

import (
	"io"
	"strings"
	"unicode/utf8"
)

// Clean returns s without terminal control: ESC and the CSI, OSC, DCS, PM,
// APC and SOS sequences it starts, the other C0 controls except newline and
// tab, DEL, the C1 controls (U+0080–U+009F, which some terminals also read
// as escapes), the Unicode bidirectional overrides that can reorder what is
// shown, and invalid UTF-8 (replaced by U+FFFD). Text without any of these
// is returned unchanged, without copying.
func Clean(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b:
			i += escapeLen(s[i:])
			continue
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || isBidi(r):
			// dropped
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// clean reports whether s has nothing Clean would change.
func clean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || (r >= 0x80 && r <= 0x9f) || isBidi(r) {
			return false
		}
		i += size
	}
	return true
}

// escapeLen is the length of the escape sequence at the start of s (which
// starts with ESC): ESC [ params final for CSI; ESC ] / P / ^ / _ / X up to
// BEL or ESC \ for the string sequences; ESC and one more character
// otherwise. An unterminated sequence runs to the end of s.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[':
		for i := 2; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
		}
		return len(s)
	case ']', 'P', '^', '_', 'X':
		for i := 2; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	}
	_, size := utf8.DecodeRuneInString(s[1:])
	return 1 + size
}

// isBidi reports the Unicode bidirectional embedding, override and isolate
// controls.
func isBidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// Writer returns a writer that cleans everything written through it before
// passing it to w, for renderers that print many fields. It reports the
// length of the input as written, as io.Writer requires.
func Writer(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (w writer) Write(p []byte) (int, error) {
	s := string(p)
	if c := Clean(s); c != s {
		if _, err := io.WriteString(w.w, c); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return w.w.Write(p)
}
