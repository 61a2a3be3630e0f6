package notify

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxLineRunes caps one log line in chat messages: Qlik connector errors can
// be a single multi-kilobyte line, which would otherwise eat the whole budget.
const MaxLineRunes = 400

// Truncate shortens s to at most max runes, ending with "…" when cut. It
// never splits a UTF-8 sequence.
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max == 1 {
		return "…"
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// FitLines joins lines with "\n" after passing each through esc (nil = as
// is), keeping the result within budget runes. Each line is first cut to
// [MaxLineRunes]. When lines must be dropped, keepEnd chooses which end
// survives (true for a log tail: the error is at the end) and a note such as
// "… 12 earlier lines omitted" takes the place of the dropped lines; the note
// is counted in the budget. It returns the text and the number of lines
// dropped.
func FitLines(lines []string, budget int, keepEnd bool, esc func(string) string) (string, int) {
	if esc == nil {
		esc = func(s string) string { return s }
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = esc(Truncate(strings.TrimRight(l, "\r\n"), MaxLineRunes))
	}
	total := func(ls []string) int {
		n := 0
		for _, l := range ls {
			n += utf8.RuneCountInString(l) + 1
		}
		return max(n-1, 0)
	}
	if total(out) <= budget {
		return strings.Join(out, "\n"), 0
	}
	note := func(n int) string {
		if keepEnd {
			return esc(fmt.Sprintf("… %d earlier lines omitted", n))
		}
		return esc(fmt.Sprintf("… %d more lines omitted", n))
	}
	// Drop lines one at a time from the far end until text + note fits.
	kept := out
	for len(kept) > 0 {
		if keepEnd {
			kept = kept[1:]
		} else {
			kept = kept[:len(kept)-1]
		}
		dropped := len(out) - len(kept)
		n := note(dropped)
		if total(kept)+utf8.RuneCountInString(n)+1 <= budget || len(kept) == 0 {
			if keepEnd {
				return Truncate(strings.Join(append([]string{n}, kept...), "\n"), budget), dropped
			}
			return Truncate(strings.Join(append(kept, n), "\n"), budget), dropped
		}
	}
	return "", len(out)
}
