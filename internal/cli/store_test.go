package cli_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

// historyDB writes a store with one snapshot of site prod a day from first
// for days days.
func historyDB(t *testing.T, first time.Time, days int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "licmon.db")
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for d := range days {
		snap := storetest.Generate(1, storetest.Config{Site: "prod", At: first.AddDate(0, 0, d), Users: 30, Professional: 10, Analyzer: 10})
		if _, err := st.SaveSnapshot(context.Background(), snap); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// TestReadOnlyCommandsCreateNoStore runs the commands that only read with
// a mistyped --db: each says there is no database there, and none is created.
func TestReadOnlyCommandsCreateNoStore(t *testing.T) {
	typo := filepath.Join(t.TempDir(), "licmon-typo.db")
	for _, args := range [][]string{{"report", "--db", typo}, {"db", "stats", "--db", typo}} {
		code, _, errOut := run(t, args...)
		want := "no licmon database at " + typo + ": run licmon collect first, or check --db"
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("%v: exit %d, %q; want 1 and %q", args, code, errOut, want)
		}
		if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%v created %s", args, typo)
		}
	}
}

// TestDamagedStoreMessage drops a table and checks that report and db stats
// say, once, which file is damaged and what to do.
func TestDamagedStoreMessage(t *testing.T) {
	path := historyDB(t, time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC), 2)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE counters"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, args := range [][]string{{"report", "--db", path}, {"db", "stats", "--db", path}, {"report", "--db", path, "--format", "json"}} {
		code, _, errOut := run(t, args...)
		if code != 1 || !strings.Contains(errOut, "the licmon database "+path+" is damaged or not a licmon database") ||
			!strings.Contains(errOut, "table counters missing") || !strings.Contains(errOut, "backup") {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
		if strings.Contains(errOut, "SQL logic error") || strings.Count(errOut, "counters") != 1 {
			t.Errorf("%v: raw or repeated error: %q", args, errOut)
		}
	}
}

// TestReportAsOfRange checks --as-of against the store: the future is
// refused, and dates the data does not cover say what range there is.
func TestReportAsOfRange(t *testing.T) {
	path := historyDB(t, time.Date(2024, 1, 10, 6, 0, 0, 0, time.UTC), 3)
	for _, c := range []struct {
		asOf string
		code int
		want string
	}{
		{"2099-01-01", 2, "--as-of 2099-01-01 is in the future"},
		{"2023-12-31", 1, "the store has prod from 2024-01-10 to 2024-01-12; --as-of 2023-12-31 is before it"},
		{"2025-06-01", 1, "the store has prod from 2024-01-10 to 2024-01-12; --as-of 2025-06-01 is 506 days after its last day"},
	} {
		code, _, errOut := run(t, "report", "--db", path, "--as-of", c.asOf)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("--as-of %s: exit %d, %q\nwant exit %d and %q", c.asOf, code, errOut, c.code, c.want)
		}
	}
	if code, out, errOut := run(t, "report", "--db", path, "--as-of", "2024-01-11"); code != 0 || !strings.Contains(out, "as of 2024-01-11") {
		t.Errorf("--as-of within the history: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestConcurrentCollect holds the collection lock of a site, as a running
// `licmon collect` or `licmon serve` does, and checks that a second collect
// says another collection is running instead of failing late.
func TestConcurrentCollect(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 2, Users: 20, HistoryDays: 5})
	db := filepath.Join(t.TempDir(), "h.db")
	release, err := store.LockCollect(db, "sim")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"collect", "--server", site.URL, "--cert-dir", site.CertDir, "--site", "sim", "--db", db}
	code, out, errOut := run(t, args...)
	want := "another licmon collect is running for site sim (store " + db + "); try again when it ends"
	if code != 1 || !strings.Contains(errOut, want) || strings.Contains(out, "collected") {
		t.Fatalf("exit %d\n%s\n%s\nwant exit 1 and %q", code, out, errOut, want)
	}
	release()
	if code, out, errOut := run(t, args...); code != 0 || !strings.Contains(out, "first collection of sim") {
		t.Fatalf("after the other collection ended: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestBadNumbersRejected passes flag values that make no sense and checks
// each is refused with a message that names the flag and what it accepts.
func TestBadNumbersRejected(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 2, Users: 10, HistoryDays: 2})
	conn := []string{"--server", site.URL, "--cert-dir", site.CertDir}
	db := filepath.Join(t.TempDir(), "h.db")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{append([]string{"check", "--timeout", "0"}, conn...), 3, "--timeout 0s: must be a positive duration"},
		{append([]string{"check", "--timeout", "-1s"}, conn...), 3, "--timeout -1s: must be a positive duration"},
		{append([]string{"collect", "--db", db, "--timeout", "-1s"}, conn...), 2, "--timeout -1s: must be a positive duration"},
		{append([]string{"check", "--license-warn-days", "-3"}, conn...), 3, "--license-warn-days -3: must be 0 or more days"},
		{append([]string{"serve", "--db", db, "--listen", ":99999"}, conn...), 1, `":99999": port 99999 is out of range`},
	} {
		code, out, errOut := run(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d\n%s%s\nwant exit %d and %q", c.args[:3], code, out, errOut, c.code, c.want)
		}
		if strings.Contains(errOut, "another program uses the port") {
			t.Errorf("%v: hints at a port in use: %s", c.args[:3], errOut)
		}
	}
}

// TestDiagnoseNotALog checks the documented exit code 3 (could not read,
// or not a script log) for an empty file and for garbage, also when a
// failing log is passed alongside.
func TestDiagnoseNotALog(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.log")
	garbage := filepath.Join(dir, "garbage.log")
	os.WriteFile(empty, nil, 0o600)
	os.WriteFile(garbage, []byte("\x00\x01PK\x03\x04 this is not a script log\nnor is this\n"), 0o600)
	for _, args := range [][]string{{empty}, {garbage}, {garbage, "../scriptlog/testdata/lm-401-new-format.log"}} {
		code, out, errOut := run(t, append([]string{"diagnose"}, args...)...)
		if code != 3 || !strings.Contains(out, "not-a-log") {
			t.Errorf("diagnose %v: exit %d, want 3\n%s%s", args, code, out, errOut)
		}
	}
}

// TestDiagnoseStripsEscapes diagnoses a failing log whose lines carry
// terminal escape sequences: the text output keeps the words, not the
// escapes.
func TestDiagnoseStripsEscapes(t *testing.T) {
	b, err := os.ReadFile("../scriptlog/testdata/lm-401-new-format.log")
	if err != nil {
		t.Fatal(err)
	}
	hostile := strings.ReplaceAll(string(b), "Error:", "Error: \x1b]0;owned\x07\x1b[2J\x1b[31m")
	hostile = strings.ReplaceAll(hostile, "LIB CONNECT TO", "LIB CONNECT TO \x1b[8m")
	path := filepath.Join(t.TempDir(), "hostile.log")
	os.WriteFile(path, []byte(hostile), 0o600)
	code, out, errOut := run(t, "diagnose", path)
	if code != 2 || !strings.Contains(out, "rest-auth") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.ContainsRune(out, 0x1b) || strings.ContainsRune(out, 0x07) || strings.Contains(out, "owned") {
		t.Errorf("escape sequences reached the output:\n%q", out)
	}
}
