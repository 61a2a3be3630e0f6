package simlogs_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/qlog"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/sim/simlogs"
)

// The tree has the documented layout and names, rolled files carry their
// close time, every file starts with its header and rows are in time
// order with Sequence# restarting per file; the same options give the
// same tree.
func TestLayoutAndDeterminism(t *testing.T) {
	gen := func() (string, *simlogs.Truth) {
		dir := filepath.Join(t.TempDir(), "logs")
		tr, err := simlogs.Generate(simlogs.Options{Out: dir, Users: 60, Days: 5, Seed: 9, Scenario: "at-capacity", RollSize: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		return dir, tr
	}
	dir, tr := gen()
	var files []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && p != filepath.Join(dir, "truth.json") {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if len(files) != tr.Files {
		t.Fatalf("%d files on disk, truth says %d", len(files), tr.Files)
	}
	rolled, scripts := 0, 0
	for _, f := range files {
		parts := strings.Split(f, "/")
		if len(parts) == 4 && parts[2] == "Script" {
			if _, ok := qlog.ParseScriptLogName(parts[3]); !ok {
				t.Errorf("%s: not a script-log name", f)
			}
			scripts++
			continue
		}
		name, ok := qlog.ParseFileName(parts[len(parts)-1])
		if !ok {
			t.Fatalf("%s: not a service-log name", f)
		}
		switch {
		case parts[0] == "ArchivedLogs" && len(parts) == 5 && parts[1] == "qlikserver1.corp.example" && name.Rolled && !name.Closed.IsZero():
			rolled++
		case parts[0] == "Log" && len(parts) == 4 && !name.Rolled:
		default:
			t.Errorf("%s: not in the archived-logs or Log layout", f)
		}
		checkFile(t, filepath.Join(dir, f))
	}
	if rolled == 0 {
		t.Error("nothing was rolled")
	}
	if scripts == 0 || scripts != tr.ScriptLogs || tr.TaskRuns == 0 {
		t.Errorf("%d script logs on disk, truth says %d; %d task runs", scripts, tr.ScriptLogs, tr.TaskRuns)
	}
	_, tr2 := gen()
	if tr2.Bytes != tr.Bytes || tr2.Sessions != tr.Sessions || len(tr2.Denials) != len(tr.Denials) {
		t.Errorf("not deterministic: %+v vs %+v", tr2, tr)
	}
}

// A Writer over a site the caller already has (the demo's) starts the tree
// in the site's past with every denial the site recorded there, then writes
// each step the caller advances, from a time that is not on the hour; the
// rows on disk are the truth's.
func TestWriterOverAnExistingSite(t *testing.T) {
	now := time.Date(2026, 3, 10, 17, 42, 13, 0, time.UTC)
	site, err := sim.New(sim.Options{Seed: 5, Users: 120, HistoryDays: 200, Scenario: "at-capacity", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "logs")
	since := now.AddDate(0, 0, -20)
	w, err := simlogs.NewWriter(site, simlogs.Options{Out: dir}, since)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := w.Advance(24 * time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	end := now.Add(48 * time.Hour)
	if !tr.From.Equal(since) || !tr.To.Equal(end) || !site.Now().Equal(end) {
		t.Fatalf("truth from %v to %v, site at %v; want %v to %v", tr.From, tr.To, site.Now(), since, end)
	}
	want, before := 0, 0
	for _, d := range site.DenialsPerDay(since, end) {
		want += d.Total()
		if d.Day.Before(now.Truncate(24 * time.Hour)) {
			before += d.Total()
		}
	}
	got := 0
	for _, d := range tr.Denials {
		got += d.Denials
	}
	if want == 0 || before == 0 || got != want {
		t.Errorf("truth has %d denials, the site recorded %d (%d before the writer started)", got, want, before)
	}
	rows := 0
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || filepath.Base(p) == "truth.json" || filepath.Base(filepath.Dir(p)) == "Script" {
			return nil
		}
		checkFile(t, p)
		if strings.Contains(p, "AuditSecurity") {
			b, _ := os.ReadFile(p)
			rows += strings.Count(string(b), "access denied for User")
		}
		return nil
	})
	if rows != want {
		t.Errorf("%d denial rows on disk, want %d", rows, want)
	}
	if _, err := simlogs.NewWriter(site, simlogs.Options{Out: t.TempDir()}, end.Add(time.Hour)); err == nil {
		t.Error("a tree starting after the site's time was accepted")
	}
}

func checkFile(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var prev time.Time
	seq := 0
	for i := 0; sc.Scan(); i++ {
		cols := strings.Split(strings.TrimSuffix(sc.Text(), "\r"), "\t")
		if i == 0 {
			if cols[0] != "Sequence#" {
				t.Fatalf("%s: header %q", path, cols[0])
			}
			continue
		}
		seq++
		if cols[0] != itoa(seq) {
			t.Fatalf("%s line %d: Sequence# %s, want %d", path, i+1, cols[0], seq)
		}
		for _, c := range cols {
			at, ok := qlog.ParseTime(c)
			if ok && len(c) == len("20060102T150405.000+0100") {
				if at.Before(prev) {
					t.Fatalf("%s line %d: time goes back", path, i+1)
				}
				prev = at
				break
			}
		}
	}
}

func itoa(i int) string {
	var b []byte
	for i > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(b)
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		if _, err := simlogs.Generate(simlogs.Options{Out: filepath.Join(b.TempDir(), "l"), Users: 1000, Days: 30, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
