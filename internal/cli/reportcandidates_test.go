package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/cli"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

// TestReportCandidatesFlag: the report JSON carries the candidate counts
// and the first 20 of each list; --candidates gives every candidate (JSON
// lists in full, CSV rows); text and HTML refuse it and say what to use.
func TestReportCandidatesFlag(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	st, err := store.Open(t.Context(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap := storetest.Generate(3, storetest.Config{Site: "prod", At: time.Now().Add(-time.Hour), Users: 300, Professional: 150,
		Analyzer: 120, Authoring: 20})
	snap.Counters = storetest.CountersOf(snap, 160, 130)
	if _, err := st.SaveSnapshot(t.Context(), snap); err != nil {
		t.Fatal(err)
	}
	st.Close()
	type doc struct {
		SchemaVersion int
		Candidates    struct {
			Complete  bool
			Limit     int
			Counts    map[string]int
			Downgrade []json.RawMessage
		}
	}
	read := func(args ...string) doc {
		t.Helper()
		code, out, errOut := run(t, append([]string{"report", "--db", db, "--format", "json"}, args...)...)
		var d doc
		if code != 0 || json.Unmarshal([]byte(out), &d) != nil {
			t.Fatalf("report %v: exit %d, %s", args, code, errOut)
		}
		return d
	}
	cut, full := read(), read("--candidates")
	if cut.SchemaVersion != report.SchemaVersion || cut.Candidates.Complete || cut.Candidates.Limit != report.DefaultCandidateLimit {
		t.Errorf("default JSON: schema %d complete %v limit %d", cut.SchemaVersion, cut.Candidates.Complete, cut.Candidates.Limit)
	}
	n := full.Candidates.Counts["downgrade"]
	if n <= report.DefaultCandidateLimit || len(full.Candidates.Downgrade) != n || !full.Candidates.Complete {
		t.Fatalf("--candidates: %d of %d downgrade candidates listed, complete %v (the fixture needs more than %d)",
			len(full.Candidates.Downgrade), n, full.Candidates.Complete, report.DefaultCandidateLimit)
	}
	if len(cut.Candidates.Downgrade) != report.DefaultCandidateLimit || cut.Candidates.Counts["downgrade"] != n {
		t.Errorf("default JSON: %d downgrade candidates listed of %d, want %d of %d",
			len(cut.Candidates.Downgrade), cut.Candidates.Counts["downgrade"], report.DefaultCandidateLimit, n)
	}
	code, out, _ := run(t, "report", "--db", db, "--format", "csv", "--candidates")
	if rows := strings.Count(out, "\ndowngrade,"); code != 0 || rows != n {
		t.Errorf("candidates CSV: exit %d, %d downgrade rows, want %d", code, rows, n)
	}
	for _, f := range []string{"text", "html"} {
		if code, _, errOut := run(t, "report", "--db", db, "--format", f, "--candidates"); code != cli.ExitUsage || !strings.Contains(errOut, "--format csv or json") {
			t.Errorf("--format %s --candidates: exit %d, %q", f, code, errOut)
		}
	}
}
