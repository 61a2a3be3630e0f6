package scriptlog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/samples"
)

const samplesDir = "../../../shared/samples/script-logs"

func sampleFiles(t *testing.T) []string {
	t.Helper()
	samples.Require(t, samplesDir)
	files, err := filepath.Glob(filepath.Join(samplesDir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples in %s: %v", samplesDir, err)
	}
	return files
}

// TestRealSuccessfulLogs: every complete real log diagnoses as a success.
func TestRealSuccessfulLogs(t *testing.T) {
	n := 0
	for _, path := range sampleFiles(t) {
		if !strings.HasSuffix(path, ".log") {
			continue
		}
		n++
		t.Run(filepath.Base(path), func(t *testing.T) {
			d := diagnoseFile(t, path)
			if d.Outcome != OutcomeSuccess || d.Code != "ok" || d.Error != "" || len(d.Context) != 0 {
				t.Errorf("outcome %s code %s error %q context %d", d.Outcome, d.Code, d.Error, len(d.Context))
			}
			if d.Counts.GarbageLines != 0 || d.Counts.StatementLines == 0 || d.Header.ServerVersion == "" ||
				d.Header.ProcessID == "" || d.Start.IsZero() || d.HasZone {
				t.Errorf("counts %+v header %+v start %v", d.Counts, d.Header, d.Start)
			}
		})
	}
	if n == 0 {
		t.Fatal("no .log samples found")
	}
}

// TestRealFragments: the parser-test fragments read without error; the
// complete ones end in success, the cut ones are truncated.
func TestRealFragments(t *testing.T) {
	for _, path := range sampleFiles(t) {
		if strings.HasSuffix(path, ".log") || filepath.Base(path) == "README.md" {
			continue
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			d := diagnoseFile(t, path)
			switch d.Outcome {
			case OutcomeSuccess, OutcomeTruncated:
			default:
				t.Errorf("outcome %s code %s error %q", d.Outcome, d.Code, d.Error)
			}
			if d.Error != "" {
				t.Errorf("fragment has no error lines, got %q", d.Error)
			}
		})
	}
}

// TestRealLMFragmentSubAndInline: the real License Monitor fragment has
// SUB-indented lines, a multi-line SET with the same line number and an
// INLINE table whose rows start with words like "Add" and "Update".
func TestRealLMFragmentSubAndInline(t *testing.T) {
	sampleFiles(t)
	path := filepath.Join(samplesDir, "fragment__iberia__ivan__5afb19a5-54df-4987-8a3b-ca4ed5811683.2016_11_15_01_12_03.11BD4F0BF21DFEFEC220.log.2")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := NewReader(f)
	var st stmtState
	var starts []int
	var indents []int
	for l, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		if l.Kind == KindGarbage {
			t.Errorf("line %d is garbage: %q", l.N, l.Text)
		}
		if l.Kind == KindStatement {
			raw := rawLine{n: l.N, scriptLine: l.ScriptLine, kind: l.Kind, text: []byte(l.Text)}
			if st.add(&raw) {
				starts = append(starts, l.ScriptLine)
			}
			indents = append(indents, l.Indent)
		} else {
			st.open = false
		}
	}
	if want := []int{48, 74}; !equalInts(starts, want) {
		t.Errorf("statements start at script lines %v, want %v", starts, want)
	}
	if indents[0] != 0 || indents[len(indents)-1] != 2 {
		t.Errorf("indents = %v, want 0 first and 2 inside the SUB", indents)
	}
	if !strings.Contains(string(st.buf), "Update user access, Allocation") || st.lines != 16 {
		t.Errorf("inline statement has %d lines: %q", st.lines, st.buf)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
