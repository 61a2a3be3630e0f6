package csvout

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestCell(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`=HYPERLINK("http://x/","y")`, `'=HYPERLINK("http://x/","y")`},
		{`+cmd|' /C calc'!A0`, `'+cmd|' /C calc'!A0`},
		{`-2+3+cmd|' /C calc'!A0`, `'-2+3+cmd|' /C calc'!A0`},
		{`@SUM(A1:A2)`, `'@SUM(A1:A2)`},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"-", "'-"},
		{"-Inf", "'-Inf"},
		{"+0x1p3", "'+0x1p3"},
		{"-1e", "'-1e"},
		{"-1.", "'-1."},
		// Numbers stay numbers.
		{"-3", "-3"},
		{"-0.25", "-0.25"},
		{"+12", "+12"},
		{"-1.5e-3", "-1.5e-3"},
		// Ordinary text and the empty cell are unchanged.
		{"", ""},
		{"Anna Berg", "Anna Berg"},
		{"a=b", "a=b"},
		{"2026-01-31", "2026-01-31"},
	} {
		if got := Cell(c.in); got != c.want {
			t.Errorf("Cell(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestWriter checks that every cell of every row is neutralised and the
// output still parses as the same number of columns.
func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	rows := [][]string{{"name", "delta"}, {`=1+1`, "-3"}, {"Anna", "@x"}}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"name", "delta"}, {`'=1+1`, "-3"}, {"Anna", "'@x"}}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Errorf("row %d col %d = %q, want %q", i, j, got[i][j], want[i][j])
			}
		}
	}
}
