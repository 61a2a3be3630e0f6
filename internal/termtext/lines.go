package termtext

import (
	"strings"
	"unicode/utf8"
)

// FirstLine returns s up to its first newline: the line of an error or a
// QRS answer worth quoting where there is room for one.
func FirstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// OneLine folds every run of white space in s (newlines included) into one
// space and, when limit > 0 and the result is longer than limit bytes, cuts
// it at a rune boundary at or below limit and appends "…". It is for a
// title or a statement quoted inside a line.
func OneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if limit <= 0 || len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// FileName returns s made safe as one file-name component on Windows and
// Unix: the characters Windows forbids (<>:"/\|?*) and control characters
// become "_", and "", "." and ".." (which would name a folder) become
// "_". Site and task names become file names this way (saved script logs,
// repair backups).
func FileName(s string) string {
	if s == "" || s == "." || s == ".." {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(`<>:"/\|?*`, r) || r < 32 || r == 0x7f {
			return '_'
		}
		return r
	}, s)
}
