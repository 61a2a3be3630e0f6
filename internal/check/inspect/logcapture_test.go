package inspect

import (
	"io"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

func capture(t *testing.T, head, tail int, data []byte, chunk int) ([]string, []string) {
	t.Helper()
	c := newLineCapture(head, tail)
	for len(data) > 0 {
		n := min(chunk, len(data))
		if _, err := c.Write(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	return c.Lines()
}

func TestLineCapture(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 10; i++ {
		b.WriteString("line " + string(rune('0'+i%10)) + "\r\n")
	}
	log := b.String()
	utf16le := func(s string) []byte {
		out := []byte{0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(s)) {
			out = append(out, byte(u), byte(u>>8))
		}
		return out
	}
	cases := []struct {
		name       string
		head, tail int
		data       []byte
		wantHead   []string
		wantTail   []string
	}{
		{"head and tail", 2, 3, []byte(log), []string{"line 1", "line 2"}, []string{"line 8", "line 9", "line 0"}},
		{"short log is not repeated", 4, 8, []byte("a\nb\nc\n"), []string{"a", "b", "c"}, nil},
		{"overlap trimmed", 3, 5, []byte("a\nb\nc\nd\ne\n"), []string{"a", "b", "c"}, []string{"d", "e"}},
		{"last line without newline", 1, 1, []byte("a\nb\nend"), []string{"a"}, []string{"end"}},
		{"utf-8 bom", 1, 0, append([]byte{0xEF, 0xBB, 0xBF}, "Exécution\n"...), []string{"Exécution"}, nil},
		{"utf-16le with bom", 1, 1, utf16le("first é\r\nmiddle\r\nlast ✓\r\n"), []string{"first é"}, []string{"last ✓"}},
		{"only tail", 0, 2, []byte(log), nil, []string{"line 9", "line 0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{1, 3, 4096} {
				h, tl := capture(t, tc.head, tc.tail, tc.data, chunk)
				if d := cmp.Diff(tc.wantHead, h); d != "" {
					t.Errorf("chunk %d head (-want +got):\n%s", chunk, d)
				}
				if d := cmp.Diff(tc.wantTail, tl); d != "" {
					t.Errorf("chunk %d tail (-want +got):\n%s", chunk, d)
				}
			}
		})
	}
}

// TestScriptLogHeadTail checks that a check asked for head and tail lines
// fills them from the failing run's log, and that the diagnosis still works.
func TestScriptLogHeadTail(t *testing.T) {
	log := "20240102T030405.000+0100 Execution started.\n" +
		"20240102T030405.000+0100 Qlik Sense Server Version 14.187.4\n" +
		"20240102T030406.000+0100 0697  LIB CONNECT TO 'monitor_apps_REST_license_user'\n" +
		"20240102T030407.000+0100       Error: HTTP protocol error 401 (Unauthorized):\n" +
		"20240102T030408.000+0100 Execution Failed\n" +
		"20240102T030408.000+0100 Execution finished.\n"
	lc := newLineCapture(2, 2)
	d, _, _, err := diagnoseAndSave(io.TeeReader(strings.NewReader(log), lc), "", "", "t", false)
	if err != nil {
		t.Fatal(err)
	}
	if d == nil || d.Outcome == "" {
		t.Fatalf("no diagnosis: %+v", d)
	}
	h, tl := lc.Lines()
	if len(h) != 2 || !strings.HasSuffix(h[0], "Execution started.") {
		t.Errorf("head = %q", h)
	}
	if len(tl) != 2 || !strings.HasSuffix(tl[1], "Execution finished.") {
		t.Errorf("tail = %q", tl)
	}
}

// TestScenarioHeadTail runs a real check over mutual TLS against a failing
// simulated site with head/tail capture on.
func TestScenarioHeadTail(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 40, HistoryDays: 20, Scenario: "lm-failing-rest-401"})
	r := Run(t.Context(), site.Client(t), Options{Site: "sim", Server: site.URL, LogHeadLines: 3, LogTailLines: 4,
		ScriptLog: qrs.ScriptLogOptions{Attempts: 3, Delay: 1}, Now: site.Now})
	if r.ScriptLog == nil || r.ScriptLog.Diagnosis == nil {
		t.Fatalf("no script log diagnosis: %+v", r.ScriptLog)
	}
	if len(r.ScriptLog.Head) != 3 || len(r.ScriptLog.Tail) != 4 {
		t.Fatalf("head %d lines, tail %d lines; want 3 and 4:\n%q\n%q", len(r.ScriptLog.Head), len(r.ScriptLog.Tail), r.ScriptLog.Head, r.ScriptLog.Tail)
	}
	if !strings.Contains(strings.Join(r.ScriptLog.Tail, "\n"), "Execution") {
		t.Errorf("tail does not show how the run ended: %q", r.ScriptLog.Tail)
	}
}
