package scriptlog

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDiagnose feeds arbitrary bytes (seeded with every fixture) and checks
// that Diagnose never panics and keeps its invariants.
func FuzzDiagnose(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.log")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 16<<10 { // small seeds keep minimisation fast
			b = b[:16<<10]
		}
		f.Add(b)
	}
	f.Add([]byte("2016-12-12 18:10:43      Error: HTTP protocol error 401 (Unauthorized):\n2016-12-12 18:10:43      Execution Failed"))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := Diagnose(bytes.NewReader(in), Options{MaxLineLength: 256})
		if err != nil {
			t.Fatalf("Diagnose on in-memory input returned error: %v", err)
		}
		switch d.Outcome {
		case OutcomeSuccess, OutcomeFailed, OutcomeAborted, OutcomeTruncated, OutcomeUnknown:
		default:
			t.Fatalf("invalid outcome %q", d.Outcome)
		}
		if d.Code == "" || d.Title == "" || d.Severity == "" {
			t.Fatalf("empty code/title/severity: %+v", d)
		}
		c := d.Counts
		if c.StatementLines+c.MessageLines+c.TraceLines+c.GarbageLines != c.Lines {
			t.Fatalf("counts do not add up: %+v", c)
		}
		if (d.Outcome == OutcomeUnknown) != (c.Lines == c.GarbageLines) {
			t.Fatalf("outcome %s with counts %+v", d.Outcome, c)
		}
		if d.Outcome == OutcomeSuccess && (d.Error != "" || len(d.Context) != 0) {
			t.Fatalf("success with error %q / %d context lines", d.Error, len(d.Context))
		}
		utf16 := bytes.HasPrefix(in, []byte{0xFF, 0xFE}) || bytes.HasPrefix(in, []byte{0xFE, 0xFF}) ||
			(len(in) >= 4 && in[1] == 0 && in[3] == 0)
		prev := 0
		for _, l := range d.Context {
			if l.N < 1 || l.N > c.Lines || l.N <= prev {
				t.Fatalf("context line number %d out of order/range (lines %d, prev %d)", l.N, c.Lines, prev)
			}
			prev = l.N
			if len(l.Text) > 256 {
				t.Fatalf("context line longer than MaxLineLength: %d", len(l.Text))
			}
			if !utf16 && !bytes.Contains(in, []byte(l.Text)) {
				t.Fatalf("context line %d text %q is not in the input", l.N, l.Text)
			}
		}
		if _, err := json.Marshal(d); err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
	})
}
