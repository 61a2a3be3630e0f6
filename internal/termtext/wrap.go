package termtext

import (
	"strings"
	"unicode/utf8"
)

// Wrap breaks text into lines of at most width columns (one column per
// rune: licmon's text output is Latin text and a few single-width symbols
// such as "≥" and "–"). The first line starts with first, the others with
// rest, so a caller can hang a label or indent continuation lines. Words are
// never split: a word longer than the room left (a URL, a file path) gets a
// line of its own and overruns rather than being cut, because a cut URL
// cannot be copied. A width of 0 or less means no wrapping.
func Wrap(text string, width int, first, rest string) []string {
	words := strings.Fields(text)
	if width <= 0 || len(words) == 0 {
		return []string{first + text}
	}
	var lines []string
	var cur strings.Builder
	cur.WriteString(first)
	n := utf8.RuneCountInString(first)
	empty := true // no word on the current line yet
	for _, w := range words {
		wl := utf8.RuneCountInString(w)
		if !empty && n+1+wl > width {
			lines = append(lines, cur.String())
			cur.Reset()
			cur.WriteString(rest)
			n = utf8.RuneCountInString(rest)
			empty = true
		}
		if !empty {
			cur.WriteByte(' ')
			n++
		}
		cur.WriteString(w)
		n += wl
		empty = false
	}
	return append(lines, cur.String())
}
