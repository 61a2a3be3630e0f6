package store

import (
	"database/sql"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestFastParseMatchesJSON: the fast readers of stored lists and custom
// properties give what encoding/json gives, for what the store writes
// (names with quotes, backslashes, control characters, non-ASCII) and for
// hand-made JSON they must hand back to encoding/json.
func TestFastParseMatchesJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01", "é", "日本", "😀", ",", ":", "[", "]", "{", "}", "\x7f"}
	word := func() string {
		s := ""
		for range r.IntN(6) {
			s += alphabet[r.IntN(len(alphabet))]
		}
		return s
	}
	for range 5000 {
		var list []string
		for range 1 + r.IntN(4) {
			list = append(list, word())
		}
		m := map[string][]string{}
		for range 1 + r.IntN(3) {
			m[word()] = sortedSet(append([]string{word()}, list[:r.IntN(len(list))]...))
		}
		checkList(t, jsonList(list).String)
		checkMap(t, jsonMap(m).String)
	}
	for _, s := range []string{`[]`, `["a"]`, `["a","b"]`, `[ "a"]`, `["a",]`, `["a"`, `["a"]x`, `"a"`, `[1]`, `["\u0041"]`, `["a\"b"]`, "[\"\xff\"]"} {
		checkList(t, s)
	}
	for _, s := range []string{`{}`, `{"a":["b"]}`, `{"a":["b"],"c":[]}`, `{"a":["b"],}`, `{"a":"b"}`, `{"a":["b"]`, `{"a":["b"]}x`,
		`{"a":["b"],"a":["c"]}`, `{ "a":["b"]}`, `{"\u0041":["b"]}`, `{"a":null}`} {
		checkMap(t, s)
	}
}

func checkList(t *testing.T, s string) {
	t.Helper()
	var want []string
	werr := json.Unmarshal([]byte(s), &want)
	got, err := parseList(nullString(s))
	if (err != nil) != (werr != nil) || (err == nil && !reflect.DeepEqual(got, want)) {
		t.Fatalf("parseList(%q) = %q, %v; encoding/json: %q, %v", s, got, err, want, werr)
	}
}

func checkMap(t *testing.T, s string) {
	t.Helper()
	var want map[string][]string
	werr := json.Unmarshal([]byte(s), &want)
	got, err := parseMap(nullString(s))
	if (err != nil) != (werr != nil) || (err == nil && !reflect.DeepEqual(got, want)) {
		t.Fatalf("parseMap(%q) = %q, %v; encoding/json: %q, %v", s, got, err, want, werr)
	}
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }
