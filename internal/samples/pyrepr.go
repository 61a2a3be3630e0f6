package samples

import (
	"encoding/json"
	"fmt"
	"strings"
)

// tok is one JSON token of the converted text.
type tok struct {
	text   string
	value  bool // a complete scalar or a closed container
	closer bool
}

// PythonRepr turns the Python repr of a JSON document (as some public QRS
// samples were printed: single-quoted strings, None, True, False) into JSON.
// A repr cut off in the middle, as those samples are, keeps every complete
// value: the unfinished string, key or value at the end is dropped and the
// open lists and objects are closed, so a client can still decode the part
// that was published.
func PythonRepr(repr string) ([]byte, error) {
	var toks []tok
	var stack []byte // open brackets: '[' or '{'
	i := 0
	truncated := false
scan:
	for i < len(repr) {
		c := repr[i]
		switch {
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			i++
		case c == '[' || c == '{':
			stack = append(stack, c)
			toks = append(toks, tok{text: string(c)})
			i++
		case c == ']' || c == '}':
			if len(stack) == 0 {
				return nil, fmt.Errorf("python repr: unbalanced %q at byte %d", c, i)
			}
			stack = stack[:len(stack)-1]
			toks = append(toks, tok{text: string(c), value: true, closer: true})
			i++
		case c == ',' || c == ':':
			toks = append(toks, tok{text: string(c)})
			i++
		case c == '\'' || c == '"':
			s, n, ok := pyString(repr[i:])
			if !ok {
				truncated = true
				break scan
			}
			b, _ := json.Marshal(s)
			toks = append(toks, tok{text: string(b), value: true})
			i += n
		default:
			j := i
			for j < len(repr) && strings.IndexByte(" \r\n\t,:]}", repr[j]) < 0 {
				j++
			}
			word := repr[i:j]
			if j == len(repr) {
				truncated = true // a number or word may be cut short
				break scan
			}
			switch word {
			case "None":
				word = "null"
			case "True":
				word = "true"
			case "False":
				word = "false"
			default:
				var f float64
				if _, err := fmt.Sscan(word, &f); err != nil {
					return nil, fmt.Errorf("python repr: unexpected %q at byte %d", word, i)
				}
			}
			toks = append(toks, tok{text: word, value: true})
			i = j
		}
	}
	if truncated || len(stack) > 0 {
		// Drop back to a point where the innermost open container holds only
		// complete members, then close everything.
		for len(toks) > 0 {
			last := toks[len(toks)-1]
			if last.text == "," || last.text == ":" {
				toks = toks[:len(toks)-1]
				continue
			}
			if last.value && len(toks) >= 2 && toks[len(toks)-2].text == ":" {
				break // key: value complete
			}
			if last.value && len(toks) >= 2 && (toks[len(toks)-2].text == "," || toks[len(toks)-2].text == "{") &&
				openerOf(toks, len(toks)-1) == '{' && !last.closer {
				toks = toks[:len(toks)-1] // a key without its value
				continue
			}
			break
		}
		// Recompute what is open after the drop.
		stack = stack[:0]
		for _, t := range toks {
			switch t.text {
			case "[", "{":
				stack = append(stack, t.text[0])
			case "]", "}":
				stack = stack[:len(stack)-1]
			}
		}
		for k := len(stack) - 1; k >= 0; k-- {
			if stack[k] == '[' {
				toks = append(toks, tok{text: "]"})
			} else {
				toks = append(toks, tok{text: "}"})
			}
		}
	}
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.text)
	}
	out := []byte(b.String())
	if !json.Valid(out) {
		return nil, fmt.Errorf("python repr: the converted text is not valid JSON")
	}
	return out, nil
}

// openerOf returns the bracket of the container that holds toks[at].
func openerOf(toks []tok, at int) byte {
	depth := 0
	for k := at - 1; k >= 0; k-- {
		switch toks[k].text {
		case "]", "}":
			depth++
		case "[", "{":
			if depth == 0 {
				return toks[k].text[0]
			}
			depth--
		}
	}
	return 0
}

// pyString decodes the Python string literal at the start of s, returning
// its value, its length in s, and false when s ends before the literal does.
func pyString(s string) (string, int, bool) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, true
		case c == '\\':
			if i+1 >= len(s) {
				return "", 0, false
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default: // \\ \' \" and anything else stand for themselves
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}
