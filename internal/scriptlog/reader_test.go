package scriptlog

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
)

func readAll(t *testing.T, r io.Reader, max int) []Line {
	t.Helper()
	var out []Line
	for l, err := range NewReaderSize(r, max).All() {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

func TestReaderLineGrammar(t *testing.T) {
	minus4 := time.FixedZone("", -4*3600)
	in := "\uFEFF2016-12-12 18:10:43      Execution started.\r\n" +
		"2016-12-12 18:10:43 0002 SET ThousandSep=' '\r\n" +
		"  20200330T121549.719-0400 0697 LIB CONNECT TO 'monitor_apps_REST_license_user'\n" +
		"20200330T121550.202-0400      Connected.\n" +
		"2016-09-21 19:17:53 0084 Trace blabla\n" +
		"2016-09-21 19:17:53 0084 blabla\n" +
		"2016-09-21 19:17:53 12345 LOAD x\n" +
		"not a log line\n" +
		"\n" +
		"2016-10-07 13:40:11 0034 \n" +
		"2016-10-07 13:40:08      \t2 fields found: X, Y, \n" +
		"2016-13-07 13:40:08      bad month\n" +
		"2016-10-07 13:40"
	got := readAll(t, strings.NewReader(in), 0)
	want := []Line{
		{N: 1, Time: time.Date(2016, 12, 12, 18, 10, 43, 0, time.UTC), Kind: KindMessage, Text: "Execution started."},
		{N: 2, Time: time.Date(2016, 12, 12, 18, 10, 43, 0, time.UTC), ScriptLine: 2, Kind: KindStatement, Text: "SET ThousandSep=' '"},
		{N: 3, Indent: 2, Time: time.Date(2020, 3, 30, 12, 15, 49, 719e6, minus4), HasZone: true, ScriptLine: 697, Kind: KindStatement, Text: "LIB CONNECT TO 'monitor_apps_REST_license_user'"},
		{N: 4, Time: time.Date(2020, 3, 30, 12, 15, 50, 202e6, minus4), HasZone: true, Kind: KindMessage, Text: "Connected."},
		{N: 5, Time: time.Date(2016, 9, 21, 19, 17, 53, 0, time.UTC), ScriptLine: 84, Kind: KindStatement, Text: "Trace blabla"},
		{N: 6, Time: time.Date(2016, 9, 21, 19, 17, 53, 0, time.UTC), ScriptLine: 84, Kind: KindTrace, Text: "blabla"},
		{N: 7, Time: time.Date(2016, 9, 21, 19, 17, 53, 0, time.UTC), ScriptLine: 12345, Kind: KindStatement, Text: "LOAD x"},
		{N: 8, Kind: KindGarbage, Text: "not a log line"},
		{N: 9, Kind: KindGarbage, Text: ""},
		{N: 10, Time: time.Date(2016, 10, 7, 13, 40, 11, 0, time.UTC), ScriptLine: 34, Kind: KindStatement, Text: ""},
		{N: 11, Time: time.Date(2016, 10, 7, 13, 40, 8, 0, time.UTC), Kind: KindMessage, Text: "\t2 fields found: X, Y, "},
		{N: 12, Kind: KindGarbage, Text: "2016-13-07 13:40:08      bad month"},
		{N: 13, Kind: KindGarbage, Text: "2016-10-07 13:40"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

func TestReaderLongLines(t *testing.T) {
	long := strings.Repeat("x", 200_000) // longer than the 64 KB read buffer
	in := "2016-12-12 18:10:43 0050 LET v='" + long + "'\r\n2016-12-12 18:10:43      next\r\n"
	for _, max := range []int{100, 70_000, 1 << 20} {
		got := readAll(t, strings.NewReader(in), max)
		if len(got) != 2 || got[1].Text != "next" || got[1].N != 2 {
			t.Fatalf("max %d: lines %d, second %+v", max, len(got), got[len(got)-1])
		}
		first := got[0]
		wantTrunc := max < len(in)/2
		if first.Truncated != wantTrunc || first.Kind != KindStatement || first.ScriptLine != 50 {
			t.Errorf("max %d: truncated=%v kind=%v", max, first.Truncated, first.Kind)
		}
		if wantTrunc && len(first.Text) > max {
			t.Errorf("max %d: kept %d bytes", max, len(first.Text))
		}
		if !wantTrunc && first.Text != "LET v='"+long+"'" {
			t.Errorf("max %d: text not kept whole (%d bytes)", max, len(first.Text))
		}
	}
}

func utf16le(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// TestReaderUTF16Streaming decodes UTF-16 LE one byte at a time, so code
// units and surrogate pairs straddle every read boundary.
func TestReaderUTF16Streaming(t *testing.T) {
	text := "2016-12-12 18:10:43 0006 SET MoneyFormat='# ##0,00 €' // 😀\r\n2016-12-12 18:10:43      Execution finished.\r\n"
	want := readAll(t, strings.NewReader(text), 0)
	for name, r := range map[string]io.Reader{
		"bom":        bytes.NewReader(utf16le(text, true)),
		"bom-1byte":  iotest.OneByteReader(bytes.NewReader(utf16le(text, true))),
		"nobom":      bytes.NewReader(utf16le(text, false)),
		"half-reads": iotest.HalfReader(bytes.NewReader(utf16le(text, true))),
	} {
		if diff := cmp.Diff(want, readAll(t, r, 0)); diff != "" {
			t.Errorf("%s (-utf8 +utf16):\n%s", name, diff)
		}
	}
	// A lone high surrogate and an odd trailing byte become U+FFFD, no panic.
	bad := append(utf16le("2016-12-12 18:10:43      x", true), 0x00, 0xD8, 0x41)
	got := readAll(t, bytes.NewReader(bad), 0)
	if len(got) != 1 || !strings.HasPrefix(got[0].Text, "x\uFFFD") {
		t.Errorf("bad UTF-16: %+v", got)
	}
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("disk gone")
	r := io.MultiReader(strings.NewReader("2016-12-12 18:10:43      a\n"), iotest.ErrReader(boom))
	_, err := Diagnose(r, Options{})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "read script log") {
		t.Errorf("err = %v, want wrapped %v", err, boom)
	}
}

func TestStatementJoining(t *testing.T) {
	lines := []struct {
		text string
		new  bool
	}{
		{"Users:", true},
		{"LOAD Name,", false},
		{"    Id;", false},
		{"SQL SELECT Name, Id", true}, // after a ';'
		{"FROM dbo.Users", false},
		{"SET a = 1", true},
		{"LEFT JOIN (Users)", true},
		{"LOAD Id, Role", false}, // after a prefix
		{"RESIDENT Roles", false},
		{"LOAD Id", true}, // previous LOAD has a source: new statement
		{"FROM [lib://x/a.qvd] (qvd)", false},
		{"Preceding:", true},
		{"LOAD *, 1 as One", false},
		{"LOAD *", false}, // preceding load chain
		{"SQL SELECT *", false},
		{"    (SELECT a", false},
		{"     FROM b)", false},
		{"SELECT 2", false}, // SELECT inside the SQL statement
		{"M:", true},
		{"MAPPING LOAD * INLINE [", false},
		{"Set, 1", false}, // inline data that looks like a keyword
		{"]", false},
		{"IF x THEN", true},
		{"    TRACE y", true},
		{"END IF", true},
		{"*** CONNECT TO ***", true},
		{"LIB CONNECT TO 'c'", true},
	}
	var s stmtState
	s.open = true
	for i, l := range lines {
		raw := rawLine{n: i + 1, scriptLine: i + 1, kind: KindStatement, text: []byte(l.text)}
		if got := s.add(&raw); got != l.new && i > 0 {
			t.Errorf("line %d %q: new=%v, want %v", i+1, l.text, got, l.new)
		}
	}
}

func TestConnName(t *testing.T) {
	for in, want := range map[string]string{
		"LIB CONNECT TO 'monitor_apps_REST_app'": "monitor_apps_REST_app",
		`LIB CONNECT TO "Folder (qlik_admin)"`:   "Folder (qlik_admin)",
		"lib connect to [Data Source]":           "Data Source",
		"LIB CONNECT TO monitor_apps_REST_task;": "monitor_apps_REST_task",
		"  LIB  CONNECT TO 'x' ":                 "x",
	} {
		if got := connName([]byte(in)); got != want {
			t.Errorf("connName(%q) = %q, want %q", in, got, want)
		}
	}
}
