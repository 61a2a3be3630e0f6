package histcsv_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/licmon/licmon/internal/golden"
	"github.com/licmon/licmon/internal/histcsv"
	"github.com/licmon/licmon/internal/license"
)

var today = time.Date(2026, 11, 27, 15, 4, 5, 0, time.UTC)

func parse(t *testing.T, src string, skip bool) (*histcsv.File, error) {
	t.Helper()
	return histcsv.Parse(strings.NewReader(src), histcsv.Options{Name: "hist.csv", Today: today, SkipInvalid: skip})
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestParseForms: the same two rows written the ways spreadsheets and
// people write them parse to the same values.
func TestParseForms(t *testing.T) {
	want := []license.HistoryDay{
		{Day: day("2024-01-31"), Type: license.Professional, Licensed: 100, Allocated: 90, Used: 80, UsedKnown: true},
		{Day: day("2024-01-31"), Type: license.AnalyzerCapacity, Licensed: 1200, Allocated: 300},
	}
	for _, tc := range []struct {
		name, src string
		sep       rune
	}{
		{"plain", "day,type,licensed,allocated,used\n2024-01-31,professional,100,90,80\n2024-01-31,analyzer-capacity,1200,300,\n", ','},
		{"BOM CRLF semicolon (Excel, decimal-comma locale)", "\xEF\xBB\xBFDay;Type;Licensed;Allocated;Used\r\n2024-01-31;Professional;100;90;80\r\n2024-01-31;analyzer-capacity;1200;300;\r\n", ';'},
		{"columns in another order and case, spaces", "Allocated, TYPE ,used,DAY,licensed\n 90 ,professional,80, 2024-01-31 ,100\n300,analyzer_capacity,,2024-01-31,1200\n", ','},
		{"quoted cells, blank lines, trailing empty cells", "\n\"day\",\"type\",\"licensed\",\"allocated\",\"used\",,\n\n\"2024-01-31\",\"professional\",\"100\",\"90\",\"80\",,\n,,,,,,\n\"2024-01-31\",\"capacity\",\"1200\",\"300\",\"\",,\n\n", ','},
		{"tab separated", "day\ttype\tlicensed\tallocated\tused\n2024-01-31\tprofessional\t100\t90\t80\n2024-01-31\tanalyzer-capacity\t1200\t300\t300\n", '\t'},
		{"identical repeated row", "day,type,licensed,allocated,used\n2024-01-31,professional,100,90,80\n2024-01-31,analyzer-capacity,1200,300,\n2024-01-31,professional,100,90,80\n", ','},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parse(t, tc.src, false)
			if err != nil {
				t.Fatal(err)
			}
			var got []license.HistoryDay
			for _, r := range f.Rows {
				got = append(got, r.HistoryDay)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if f.Separator != tc.sep {
				t.Errorf("separator %q, want %q", f.Separator, tc.sep)
			}
			if !f.Has(histcsv.ColUsed) || f.Has(histcsv.ColDenied) {
				t.Errorf("columns %v", f.Columns)
			}
		})
	}
}

// TestParseLineNumbers: line numbers count blank lines and the header, so
// an error points at the line a person sees in an editor.
func TestParseLineNumbers(t *testing.T) {
	f, err := parse(t, "\n\nday,type,licensed,allocated\n\n2024-01-01,analyzer,5,4\n\"2024-01-02\",\"analyzer\",5,\"4\"\n", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 2 || f.Rows[0].Line != 5 || f.Rows[1].Line != 6 {
		t.Fatalf("rows %+v", f.Rows)
	}
	_, err = parse(t, "\n\nday,type,licensed,allocated\n\n2024-01-01,analyzer,5,4\n2024-01-02,analyser,5,4\n", false)
	if err == nil || !strings.Contains(err.Error(), "hist.csv:6: column type: unknown type \"analyser\"") {
		t.Fatalf("err = %v", err)
	}
}

// TestParseFileErrors: a file that cannot be read as a whole fails, even
// with SkipInvalid, and the error says where and what to do.
func TestParseFileErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"empty", "", "hist.csv:1: the file is empty: its first line must be the header day,type,licensed,allocated"},
		{"blank only", "\n \r\n", "hist.csv:1: the file is empty"},
		{"UTF-16", "\xFF\xFEd\x00a\x00y\x00", "hist.csv:1: the file is UTF-16 (Excel's \"Unicode text\"): save it as \"CSV UTF-8\""},
		{"unknown column", "day,type,licensed,allocated,seats\n", `hist.csv:1: column 5: unknown column "seats": the columns are day, type, licensed, allocated and optionally used, quarantined, denied, source`},
		{"repeated column", "day,type,licensed,allocated,Type\n", `hist.csv:1: column 5: column "type" appears twice (also column 2): keep one`},
		{"empty column name", "day,,type,licensed,allocated\n", "hist.csv:1: column 2: the header has an empty column name"},
		{"missing column", "day;type;licensed\n2024-01-01;analyzer;3\n", `hist.csv:1: the header lacks the column(s) allocated: the first line must name at least day;type;licensed;allocated (found "day;type;licensed")`},
		{"no header", "2024-01-01,analyzer,5,4\n", `hist.csv:1: column 1: unknown column "2024-01-01"`},
		{"broken quote", "day,type,licensed,allocated\n2024-01-01,\"analyzer,5,4\n", "hist.csv:2: extraneous or missing \" in quoted-field"},
		{"bare quote", "day,type,licensed,allocated\n2024-01-01,ana\"lyzer,5,4\n", "hist.csv:2: bare \" in non-quoted-field at character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.src, true)
			var le *histcsv.LineError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant a *LineError containing %q", err, tc.want)
			}
		})
	}
}

// TestParseRowErrors: every invalid row is reported at once, with its line,
// its column and what to do; nothing is returned.
func TestParseRowErrors(t *testing.T) {
	src := strings.Join([]string{
		"day,type,licensed,allocated,used,quarantined,denied,source",
		"2024-01-01,professional,100,90,80,1,0,measured", // valid
		",professional,100,90,,,,",                       // 3 empty day
		"31/01/2024,professional,100,90,,,,",             // 4 not ISO
		"1999-12-31,professional,100,90,,,,",             // 5 before 2000
		"2026-11-28,professional,100,90,,,,",             // 6 tomorrow
		"2024-01-02,,100,90,,,,",                         // 7 empty type
		"2024-01-02,tokens,100,90,,,,",                   // 8 unknown type
		"2024-01-03,analyzer,,90,,,,",                    // 9 empty licensed
		"2024-01-03,professional,12.5,90,,,,",            // 10 decimal
		"2024-01-04,professional,100,-3,,,,",             // 11 negative
		"2024-01-04,analyzer,100,1 000,,,,",              // 12 thousands separator
		"2024-01-05,analyzer,100,90,x,,,",                // 13 used not a number
		"2024-01-05,login-access,10,4,,2,,",              // 14 quarantine of a type that has none
		"2024-01-05,analyzer-capacity,1200,300,250,,,",   // 15 used apart from allocated
		"2024-01-06,analyzer,100,90,,,-1,",               // 16 negative denied
		"2024-01-06,professional,100,90,,,,guessed",      // 17 unknown source
		"2024-01-07,professional,100,90",                 // 18 too few cells
		"2024-01-07,professional,100,90,,,,,extra",       // 19 value beyond the header
		"2024-01-01,professional,100,91,80,1,0,measured", // 20 contradicts line 2
		"2024-01-05,login-access,10,4,,0,,",              // valid: a 0 quarantine says nothing
		"2024-01-05,user-access,10,4,4,,,",               // valid: used repeats allocated
	}, "\n")
	_, err := parse(t, src, false)
	var fe *histcsv.Error
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want *histcsv.Error", err)
	}
	var lines []int
	for _, l := range fe.Lines {
		lines = append(lines, l.Line)
	}
	if want := []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}; !cmp.Equal(lines, want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
	golden.Assert(t, "row-errors.txt", []byte(err.Error()+"\n"))

	// With SkipInvalid the valid rows are kept and each skipped row said;
	// both rows of a contradiction go.
	f, err := parse(t, src, true)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, r := range f.Rows {
		kept = append(kept, r.Day.Format(time.DateOnly)+" "+string(r.Type))
	}
	if want := []string{"2024-01-05 login-access", "2024-01-05 user-access"}; !cmp.Equal(kept, want) {
		t.Errorf("kept %v, want %v", kept, want)
	}
	if len(f.Skipped) != 19 || f.Skipped[0].Line != 2 || !strings.Contains(f.Skipped[0].Error(), "hist.csv:2: 2024-01-01 professional is contradicted by line 20: skipped with it") {
		t.Errorf("skipped %d, first %v", len(f.Skipped), f.Skipped[0])
	}
	if f.Rows[1].UsedKnown || f.Rows[0].QuarantinedKnown {
		t.Errorf("a used that repeats allocated or a 0 quarantine of a type without one should be unknown: %+v", f.Rows)
	}
}

// TestErrorListsAtMost20: a file of thousands of bad rows gives a readable error.
func TestErrorListsAtMost20(t *testing.T) {
	var b strings.Builder
	b.WriteString("day,type,licensed,allocated\n")
	for range 500 {
		b.WriteString("2024-01-01,analyzer,x,1\n")
	}
	_, err := parse(t, b.String(), false)
	if err == nil || !strings.HasPrefix(err.Error(), "hist.csv: 500 invalid row(s)\n  hist.csv:2: column licensed") ||
		!strings.HasSuffix(err.Error(), "… and 480 more") || strings.Count(err.Error(), "\n") != 21 {
		t.Fatalf("err = %v", err)
	}
}

// TestWriteParseRoundTrip: what Write writes, Parse reads back unchanged,
// unknown values included.
func TestWriteParseRoundTrip(t *testing.T) {
	rows := []histcsv.Row{
		{HistoryDay: license.HistoryDay{Day: day("2020-02-29"), Type: license.Professional, Licensed: 100, Allocated: 104,
			Used: 7, UsedKnown: true, Quarantined: 0, QuarantinedKnown: true, Denied: 3, DeniedKnown: true}, Source: histcsv.SourceMeasured},
		{HistoryDay: license.HistoryDay{Day: day("2020-02-29"), Type: license.UserAccess, Licensed: 40, Allocated: 35}, Source: histcsv.SourceImported},
		{HistoryDay: license.HistoryDay{Day: day("2020-03-01"), Type: license.LoginAccess, Licensed: 10, Allocated: 0, Denied: 0, DeniedKnown: true}},
	}
	for _, withSource := range []bool{false, true} {
		var b bytes.Buffer
		if err := histcsv.Write(&b, rows, withSource); err != nil {
			t.Fatal(err)
		}
		if withSource {
			golden.Assert(t, "write.csv", b.Bytes())
		}
		f, err := histcsv.Parse(&b, histcsv.Options{Name: "export.csv", Today: today})
		if err != nil {
			t.Fatal(err)
		}
		for i := range f.Rows {
			f.Rows[i].Line = 0
		}
		want := rows
		if !withSource {
			want = nil
			for _, r := range rows {
				r.Source = ""
				want = append(want, r)
			}
		}
		if diff := cmp.Diff(want, f.Rows); diff != "" {
			t.Errorf("withSource=%v (-want +got):\n%s", withSource, diff)
		}
	}
}
