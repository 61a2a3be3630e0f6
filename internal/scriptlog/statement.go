package scriptlog

import "bytes"

// Statement boundaries are rebuilt from the echoed script lines; see the
// package documentation for the rule. This file holds the byte-level helpers.

type stmtClass uint8

const (
	clsNone   stmtClass = iota // continuation text
	clsStart                   // control or standalone statement keyword
	clsPrefix                  // table prefix (MAPPING, LEFT JOIN, …) or label
	clsLoad                    // LOAD
	clsSQL                     // SQL or SELECT
)

const (
	maxStmtLines = 256
	maxStmtBytes = 64 << 10
)

// stmtState is the statement being executed, rebuilt from its lines.
type stmtState struct {
	id         int
	open       bool // false after a message or trace line: the next statement line starts anew
	firstN     int  // physical line of the first statement line
	scriptLine int
	buf        []byte
	lines      int
	truncated  bool
	prefixOnly bool // only labels/prefixes so far
	loadOpen   bool // preceding-load chain without a source clause yet
	sql        bool
	inInline   bool
	endsSemi   bool
	isLibConn  bool
	isLoad     bool // the statement has a LOAD (source words matter)
}

// add feeds one statement line and reports whether it began a new statement.
func (s *stmtState) add(l *rawLine) bool {
	cls, word, _ := classifyStatement(l.text)
	var isNew bool
	switch {
	case !s.open:
		isNew = true
	case s.inInline:
		isNew = false
	case s.endsSemi:
		isNew = true
	case s.prefixOnly:
		isNew = false
	case cls == clsStart || cls == clsPrefix:
		isNew = true
	case cls == clsLoad:
		isNew = !s.loadOpen
	case cls == clsSQL:
		isNew = !(s.loadOpen || (s.sql && word == "select"))
	}
	if isNew {
		s.id++
		s.open, s.firstN, s.scriptLine = true, l.n, l.scriptLine
		s.buf, s.lines, s.truncated = s.buf[:0], 0, false
		s.prefixOnly, s.loadOpen, s.sql, s.inInline, s.isLoad = false, false, false, false, false
		s.isLibConn = cls == clsStart && word == "lib"
	}
	if !s.inInline {
		switch cls {
		case clsPrefix:
			switch tail, tailWord := stripPrefixes(l.text); tail {
			case clsPrefix: // only labels/prefixes on this line
				s.prefixOnly = isNew || s.prefixOnly
			case clsLoad:
				s.prefixOnly, s.isLoad = false, true
				s.loadOpen = true
			case clsSQL:
				s.prefixOnly, s.loadOpen, s.sql = false, false, tailWord != ""
			default:
				s.prefixOnly = false
			}
		case clsLoad:
			s.prefixOnly, s.isLoad, s.loadOpen = false, true, true
		case clsSQL:
			s.prefixOnly, s.loadOpen, s.sql = false, false, true
		default:
			s.prefixOnly = false
		}
		// Only LOAD statements have source clauses and INLINE tables; the
		// word scan is skipped for every other statement line.
		if s.isLoad {
			source, inline := scanSourceWords(l.text)
			if source {
				s.loadOpen = false
			}
			if inline {
				s.inInline = true
				if i := bytes.LastIndexByte(l.text, '['); i >= 0 && bytes.IndexByte(l.text[i:], ']') >= 0 {
					s.inInline = false
				}
			}
		}
	} else if bytes.IndexByte(l.text, ']') >= 0 {
		s.inInline = false
	}
	t := trimRightBlank(l.text)
	s.endsSemi = len(t) > 0 && t[len(t)-1] == ';'
	s.lines++
	switch {
	case s.truncated:
	case s.lines > maxStmtLines || len(s.buf)+len(t)+1 > maxStmtBytes:
		s.truncated = true
		s.buf = append(s.buf, "\n…"...)
	default:
		if s.lines > 1 {
			s.buf = append(s.buf, '\n')
		}
		s.buf = append(s.buf, t...)
	}
	return isNew
}

// classifyStatement returns the class of a statement line from its first
// word, the lower-cased word, and for labels the text after the label.
func classifyStatement(text []byte) (stmtClass, string, []byte) {
	i := 0
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	t := text[i:]
	if len(t) == 0 {
		return clsNone, "", nil
	}
	if t[0] == '*' && bytes.HasPrefix(t, []byte("***")) {
		return clsStart, "***", nil // "*** CONNECT TO ***": masked connect string
	}
	if t[0] == '[' { // [Label]:
		if j := bytes.IndexByte(t, ']'); j > 0 && j+1 < len(t) && t[j+1] == ':' {
			return clsPrefix, "", t[j+2:]
		}
		return clsNone, "", nil
	}
	var w [20]byte
	n := 0
	for n < len(t) && isWordByte(t[n]) {
		if n == len(w) {
			return clsNone, "", nil
		}
		w[n] = t[n] | 0x20
		if isDigit(t[n]) || t[n] == '_' {
			w[n] = t[n]
		}
		n++
	}
	if n == 0 {
		return clsNone, "", nil
	}
	if n < len(t) && t[n] == ':' && (n+1 == len(t) || t[n+1] != ':') { // Label:
		return clsPrefix, "", t[n+1:]
	}
	word := w[:n]
	switch string(word) {
	case "load":
		return clsLoad, "load", nil
	case "sql":
		return clsSQL, "sql", nil
	case "select":
		return clsSQL, "select", nil
	case "lib":
		if hasWordPrefixFold(t[n:], "connect") {
			return clsStart, "lib", nil
		}
		return clsNone, "", nil
	case "set", "let", "trace", "call", "sub", "end", "exit", "if", "elseif", "else", "for", "next", "do",
		"loop", "switch", "case", "default", "store", "drop", "rename", "qualify", "unqualify", "binary",
		"directory", "execute", "sleep", "section", "tag", "untag", "comment", "alias", "star", "search",
		"disconnect", "connect", "odbc", "oledb", "custom", "unmap", "declare", "derive", "flushlog", "force",
		"loosen", "nullasvalue", "nullasnull", "map":
		return clsStart, "", nil
	case "mapping", "noconcatenate", "concatenate", "join", "keep", "left", "right", "inner", "outer", "add",
		"buffer", "replace", "first", "sample", "crosstable", "generic", "hierarchy", "hierarchybelongsto",
		"intervalmatch", "semantic", "when", "unless", "merge", "only", "partial":
		return clsPrefix, "", t[n:]
	}
	return clsNone, "", nil
}

// stripPrefixes skips labels, prefixes and their arguments ("LEFT JOIN
// (Users)", "FIRST 10", "CrossTable(a, b)") and classifies what follows:
// clsPrefix when nothing follows.
func stripPrefixes(text []byte) (stmtClass, string) {
	for range 8 {
		cls, word, rest := classifyStatement(text)
		if cls != clsPrefix {
			return cls, word
		}
		rest = bytes.TrimLeft(rest, " \t")
		for len(rest) > 0 && (rest[0] == '(' || isDigit(rest[0])) {
			if rest[0] == '(' {
				j := bytes.IndexByte(rest, ')')
				if j < 0 {
					return clsPrefix, ""
				}
				rest = rest[j+1:]
			} else {
				for len(rest) > 0 && (isDigit(rest[0]) || rest[0] == '.') {
					rest = rest[1:]
				}
			}
			rest = bytes.TrimLeft(rest, " \t")
		}
		if len(rest) == 0 {
			return clsPrefix, ""
		}
		text = rest
	}
	return clsNone, ""
}

// scanSourceWords reports, in one pass over the line, whether it holds a
// LOAD source keyword (FROM, RESIDENT, INLINE, AUTOGENERATE, EXTENSION) and
// whether that keyword is INLINE.
func scanSourceWords(b []byte) (source, inline bool) {
	for i := 0; i < len(b); {
		if !isWordByte(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && isWordByte(b[j]) {
			j++
		}
		if w := b[i:j]; len(w) >= 4 && len(w) <= 12 {
			switch {
			case equalFold(w, "from"), equalFold(w, "resident"), equalFold(w, "autogenerate"), equalFold(w, "extension"):
				source = true
			case equalFold(w, "inline"):
				source, inline = true, true
			}
		}
		i = j
	}
	return source, inline
}

func equalFold(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := range len(w) {
		if b[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

func trimRightBlank(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
