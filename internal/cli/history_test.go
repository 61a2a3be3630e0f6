package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/licmon/licmon/internal/golden"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

// writeHistory writes three years (2023–2025) of daily counts as Excel
// writes them in a decimal-comma locale: BOM, ';', CRLF. Professional grows
// by one seat every five days towards its 400 seats (380 on the last day);
// Analyzer stays at 100 of 300.
func writeHistory(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("\xEF\xBB\xBFDay;Type;Licensed;Allocated;Denied\r\n")
	d0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; ; i++ {
		d := d0.AddDate(0, 0, i)
		if d.Year() == 2026 {
			break
		}
		fmt.Fprintf(&b, "%s;professional;400;%d;%d\r\n", d.Format(time.DateOnly), 161+i/5, i%2)
		fmt.Fprintf(&b, "%s;Analyzer;300;100;\r\n", d.Format(time.DateOnly))
	}
	path := filepath.Join(dir, "history.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type reportDoc struct {
	AsOf, DataAt, HorizonEnd string
	Types                    []struct {
		Type                string
		Licensed, Allocated json.Number
		Forecast            struct {
			Status, Date string
			Points       int
		}
		History []struct{ Day string }
	}
	Notes []string
}

func reportJSON(t *testing.T, args ...string) (reportDoc, map[string]int) {
	t.Helper()
	code, out, errOut := run(t, append([]string{"report", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("report %v: exit %d\n%s", args, code, errOut)
	}
	var r reportDoc
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, tr := range r.Types {
		idx[tr.Type] = i
	}
	return r, idx
}

// TestHistoryImportForecast: years of counts imported into a fresh store
// are history like any other: the report is as of the last imported day,
// forecasts from them, and respects --as-of and --horizon.
func TestHistoryImportForecast(t *testing.T) {
	t.Parallel() // slow and independent: runs beside the other slow ones
	dir := t.TempDir()
	csv, db := writeHistory(t, dir), filepath.Join(dir, "licmon.db")
	code, out, errOut := run(t, "history", "import", csv, "--site", "prod", "--db", db)
	if code != 0 || !strings.Contains(out, "2192 row(s) for prod (a new site), 2023-01-01 to 2025-12-31; imported:\n  2192 new, 0 changed, 0 unchanged") ||
		!strings.Contains(out, "1096 denied count(s) new or changed") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}

	r, idx := reportJSON(t, "--db", db)
	pro, ana := r.Types[idx["professional"]], r.Types[idx["analyzer"]]
	if r.AsOf != "2025-12-31T23:59:59Z" || pro.Allocated.String() != "380" || pro.Licensed.String() != "400" || ana.Allocated.String() != "100" {
		t.Fatalf("report as of %s: professional %s of %s, analyzer %s", r.AsOf, pro.Allocated, pro.Licensed, ana.Allocated)
	}
	// 20 seats left at one every five days: about 100 days.
	if pro.Forecast.Status != "runs-out" || pro.Forecast.Date < "2026-03-15" || pro.Forecast.Date > "2026-05-31" || pro.Forecast.Points != 1096 {
		t.Errorf("professional forecast %+v", pro.Forecast)
	}
	if ana.Forecast.Status == "runs-out" || len(pro.History) != 1096 {
		t.Errorf("analyzer forecast %+v, professional history %d days", ana.Forecast, len(pro.History))
	}
	if len(r.Notes) == 0 || !strings.Contains(strings.Join(r.Notes, " "), "no collection on or before 2025-12-31") {
		t.Errorf("notes %q", r.Notes)
	}

	// A year earlier (307 of 400, 465 days from running out): not within
	// six months, within two years.
	r, idx = reportJSON(t, "--db", db, "--as-of", "2024-12-31", "--horizon", "6mo")
	pro = r.Types[idx["professional"]]
	if r.AsOf != "2024-12-31T23:59:59Z" || r.HorizonEnd < "2025-06-29" || r.HorizonEnd > "2025-07-02" || pro.Allocated.String() != "307" ||
		pro.History[len(pro.History)-1].Day != "2024-12-31T00:00:00Z" || pro.Forecast.Status != "not-within-horizon" {
		t.Errorf("as of %s, horizon %s: professional %s, last day %s, forecast %+v", r.AsOf, r.HorizonEnd, pro.Allocated,
			pro.History[len(pro.History)-1].Day, pro.Forecast)
	}
	r, idx = reportJSON(t, "--db", db, "--as-of", "2024-12-31", "--horizon", "2026-12-31")
	if f := r.Types[idx["professional"]].Forecast; f.Status != "runs-out" || f.Date < "2026-02-01" || f.Date > "2026-06-30" {
		t.Errorf("as of 2024-12-31 to 2026-12-31: %+v", f)
	}

	// The other formats render a report without per-user data.
	for _, f := range []string{"text", "csv", "html"} {
		if code, out, errOut := run(t, "report", "--db", db, "--format", f); code != 0 || len(out) == 0 {
			t.Errorf("report --format %s: exit %d\n%s", f, code, errOut)
		}
	}
	// The text report fits an 80-column terminal; --wide is the full table.
	if code, out, errOut := run(t, "report", "--db", db); code != 0 {
		t.Errorf("report: exit %d\n%s", code, errOut)
	} else {
		for _, l := range strings.Split(out, "\n") {
			if utf8.RuneCountInString(l) > 80 {
				t.Errorf("report: line wider than 80 columns:\n%s", l)
			}
		}
	}
	if code, out, _ := run(t, "report", "--db", db, "--wide"); code != 0 || !strings.Contains(out, "UNUSED 30/60/90D") {
		t.Errorf("report --wide: exit %d, no full table:\n%s", code, out)
	}
	if code, _, errOut := run(t, "report", "--db", db, "--wide", "--format", "json"); code != 2 || !strings.Contains(errOut, "--wide is a layout of --format text") {
		t.Errorf("report --wide --format json: exit %d, %s", code, errOut)
	}

	code, out, _ = run(t, "db", "stats", "--db", db)
	if code != 0 || !strings.Contains(out, "2023-01-01 to 2025-12-31") {
		t.Errorf("db stats: exit %d\n%s", code, out)
	}
}

// TestHistoryImportInvalid: an invalid file writes nothing and says which
// rows to fix; --skip-invalid imports the others and lists the skipped;
// --dry-run writes nothing.
func TestHistoryImportInvalid(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "licmon.db")
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("day,type,licensed,allocated,source\n2024-01-01,analyzer,10,5,\n2024-01-02,analyzer,10,-5,\n2024-01-03,analyzer,10,6,reconstructed\n"), 0o644)

	code, _, errOut := run(t, "history", "import", bad, "--site", "prod", "--db", db)
	if code != 1 || !strings.Contains(errOut, "bad.csv:3: column allocated: -5 is negative") ||
		!strings.Contains(errOut, "nothing was imported: fix these rows, or pass --skip-invalid") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("an invalid file created the store: %v", err)
	}

	code, out, errOut := run(t, "history", "import", "--dry-run", "--skip-invalid", "--site", "prod", "--db", db, bad)
	if code != 0 || !strings.Contains(out, "skipped "+bad+":3: column allocated") || !strings.Contains(out, "skipped 1 reconstructed row(s)") ||
		!strings.Contains(out, "would import (dry run: nothing written)") || !strings.Contains(out, "1 new") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("a dry run created the store: %v", err)
	}

	if code, out, errOut = run(t, "history", "import", bad, "--skip-invalid", "--site", "prod", "--db", db); code != 0 {
		t.Fatalf("skip-invalid: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, "history", "export", "--db", db)
	if want := "day,type,licensed,allocated,used,quarantined,denied,source\n2024-01-01,analyzer,10,5,,,,imported\n"; code != 0 || out != want {
		t.Errorf("export: exit %d\n%q\nwant %q", code, out, want)
	}

	// Several sites: --site is needed.
	if code, _, _ := run(t, "history", "import", bad, "--skip-invalid", "--site", "test", "--db", db); code != 0 {
		t.Fatal("second site")
	}
	if code, _, errOut := run(t, "history", "import", bad, "--skip-invalid", "--db", db); code != 2 ||
		!strings.Contains(errOut, "several sites (prod, test); choose one with --site") {
		t.Errorf("no --site with two sites: exit %d %s", code, errOut)
	}
}

// TestHistoryRoundTrip: on a site with collections, an import keeps the
// measured days and lists the rows that contradict them; export writes
// measured and imported days with their source; importing the export
// into the same store changes nothing, and into a fresh store gives the same
// series (now imported).
func TestHistoryRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "licmon.db")
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var measured []license.Counters
	for d := 1; d <= 3; d++ { // collections on 2026-03-01..03
		snap := storetest.Generate(7, storetest.Config{Site: "prod", At: time.Date(2026, 3, d, 6, 0, 0, 0, time.UTC), Users: 40,
			Professional: 12 + d, Analyzer: 15, UserAccess: 5, Authoring: 10, CapacityUser: 4})
		if _, err := st.SaveSnapshot(ctx, snap); err != nil {
			t.Fatal(err)
		}
		measured = snap.Counters
	}
	st.Close()
	var pro license.Counters
	for _, c := range measured {
		if c.Type == license.Professional {
			pro = c
		}
	}

	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte(fmt.Sprintf(`day,type,licensed,allocated,used,denied
2026-02-27,professional,20,10,9,2
2026-02-28,professional,20,11,,0
2026-02-28,analyzer,30,12,,
2026-03-03,professional,%d,%d,,5
2026-03-03,analyzer,99,12,,
`, pro.Total, pro.Allocated)), 0o644)
	code, out, errOut := run(t, "history", "import", in, "--db", db)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	golden.Assert(t, "history-import.txt", []byte(strings.ReplaceAll(out, dir, "DIR")))

	// The report fits on the imported days before the collections, and
	// before the first collection it rests on them alone.
	r, idx := reportJSON(t, "--db", db)
	if p := r.Types[idx["professional"]]; len(p.History) != 5 || p.History[0].Day != "2026-02-27T00:00:00Z" {
		t.Errorf("professional history %+v", p.History)
	}
	r, idx = reportJSON(t, "--db", db, "--as-of", "2026-02-28")
	if p := r.Types[idx["professional"]]; r.AsOf != "2026-02-28T23:59:59Z" || p.Allocated.String() != "11" || p.Licensed.String() != "20" {
		t.Errorf("as of 2026-02-28: %s, professional %s of %s", r.AsOf, p.Allocated, p.Licensed)
	}

	code, exported, _ := run(t, "history", "export", "--db", db)
	if code != 0 {
		t.Fatalf("export: exit %d", code)
	}
	golden.Assert(t, "history-export.csv", []byte(exported))
	exp := filepath.Join(dir, "export.csv")
	os.WriteFile(exp, []byte(exported), 0o644)

	code, out, _ = run(t, "history", "import", exp, "--db", db)
	if code != 0 || !strings.Contains(out, "; imported:\n  0 new, 0 changed, 3 unchanged, 9 as measured by licmon collect, 0 conflict(s)\n  0 denied count(s) new or changed") {
		t.Errorf("export imported into its own store: exit %d\n%s", code, out)
	}

	fresh := filepath.Join(dir, "fresh.db")
	if code, out, errOut := run(t, "history", "import", exp, "--site", "prod", "--db", fresh); code != 0 {
		t.Fatalf("import into a fresh store: exit %d\n%s\n%s", code, out, errOut)
	}
	code, again, _ := run(t, "history", "export", "--db", fresh)
	if want := strings.ReplaceAll(exported, ",measured\n", ",imported\n"); code != 0 || again != want {
		t.Errorf("fresh store export:\n%s\nwant\n%s", again, want)
	}
}
