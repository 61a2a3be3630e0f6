package logimport_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/logimport"
	"github.com/licmon/licmon/internal/sim/simlogs"
	"github.com/licmon/licmon/internal/store"
)

// The fault suite of logs import (docs/RELIABILITY.md): a store that fails
// in the middle of an import, files that cannot be read or vanish while the
// import runs. The import ends with a clear error or warnings, and the next
// import completes with every figure counted once.

var errInjected = errors.New("disk I/O error (injected by the test)")

// faultyStore fails the store call named by failOn at its nth call, and
// runs onList once when the import lists the files already imported (after
// it found the files, before it reads them).
type faultyStore struct {
	store.LogStore
	mu     sync.Mutex
	failOn string // "save" or "refresh"
	nth    int
	calls  map[string]int
	onList func()
}

func (f *faultyStore) hit(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[call]++
	if call == f.failOn && f.calls[call] == f.nth {
		return errInjected
	}
	return nil
}

func (f *faultyStore) LogFiles(ctx context.Context, site string) ([]store.LogFile, error) {
	if f.onList != nil {
		f.onList()
		f.onList = nil
	}
	return f.LogStore.LogFiles(ctx, site)
}

func (f *faultyStore) SaveLogBatch(ctx context.Context, site string, b *store.LogBatch) error {
	if err := f.hit("save"); err != nil {
		return err
	}
	return f.LogStore.SaveLogBatch(ctx, site, b)
}

func (f *faultyStore) RefreshLogDays(ctx context.Context, site string, from, to time.Time) error {
	if err := f.hit("refresh"); err != nil {
		return err
	}
	return f.LogStore.RefreshLogDays(ctx, site, from, to)
}

// importBounded runs Import with a guard: an import that does not end is a
// failure of the test, not a hung CI job.
func importBounded(t *testing.T, st store.LogStore, dir string) (*logimport.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := logimport.Import(ctx, st, []string{dir}, logimport.Options{Site: "sim"})
	if ctx.Err() != nil {
		t.Fatalf("the import did not end within 2 minutes: %v", err)
	}
	return res, err
}

func generate(t *testing.T, users, days int) (string, *simlogs.Truth) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "logs")
	truth, err := simlogs.Generate(simlogs.Options{Out: dir, Users: users, Days: days, Seed: 7, Scenario: "at-capacity"})
	if err != nil {
		t.Fatal(err)
	}
	return dir, truth
}

// A store error in the middle of an import (a batch that cannot be saved,
// or the daily figures that cannot be refreshed after the batches were
// saved) stops the import with the store's error and "run the import
// again"; the next import completes, and sessions, users, denials, task
// runs and the daily figures equal the generator's truth: nothing is
// counted twice and no day is left without its figures.
func TestImportStoreErrorThenNextImportCompletes(t *testing.T) {
	// One tree for both cases: the import only reads it (what it has read
	// is recorded in each case's own store).
	dir, truth := generate(t, 400, 45)
	for _, tc := range []struct {
		name   string
		failOn string
		nth    int
	}{
		{"batch", "save", 1},
		// The events and the files' records are saved; the daily figures
		// of their days are not.
		{"refresh-after-batches", "refresh", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			fs := &faultyStore{LogStore: st, failOn: tc.failOn, nth: tc.nth}
			_, err := importBounded(t, fs, dir)
			if fs.calls[tc.failOn] < tc.nth {
				t.Fatalf("the store was called %d times for %s: the fault at call %d was never reached (make the logs bigger)", fs.calls[tc.failOn], tc.failOn, tc.nth)
			}
			if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), "run the import again") {
				t.Errorf("import over a failing store: err = %v, want the store's error and what to do", err)
			}
			if _, err := importBounded(t, st, dir); err != nil {
				t.Fatalf("the next import: %v", err)
			}
			checkTruth(t, st, truth)
		})
	}
}

// Files that cannot be read (a folder where a log was, as a file locked or
// replaced while the import runs) or that vanish between the listing and
// the read give a warning naming the file; the import goes on with the
// others, records neither file as imported, and once the files are back
// the next import reads them and every figure equals the truth.
func TestImportFileUnreadableOrVanished(t *testing.T) {
	dir, truth := generate(t, 300, 30)
	logs, _ := filepath.Glob(filepath.Join(dir, "ArchivedLogs", "*", "Proxy", "Audit", "*.log"))
	denials, _ := filepath.Glob(filepath.Join(dir, "ArchivedLogs", "*", "Repository", "Audit", "*Security*.log"))
	if len(logs) < 2 || len(denials) == 0 {
		t.Fatalf("the generator wrote %d rolled proxy logs and %d security logs; the test needs 2 and 1", len(logs), len(denials))
	}
	vanish, unreadable := logs[0], denials[0]
	saved := map[string][]byte{}
	for _, p := range []string{vanish, unreadable} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		saved[p] = b
	}
	st := openStore(t)
	fs := &faultyStore{LogStore: st, onList: func() {
		// After the import found the files, before it reads them. A
		// folder is unreadable as a file even for root (CI runs as root,
		// so a mode of 000 would not do).
		if err := os.Remove(vanish); err != nil {
			t.Error(err)
		}
		if err := os.Remove(unreadable); err != nil {
			t.Error(err)
		}
		if err := os.Mkdir(unreadable, 0o700); err != nil {
			t.Error(err)
		}
	}}
	res, err := importBounded(t, fs, dir)
	if err != nil {
		t.Fatalf("an unreadable or vanished file stopped the import: %v", err)
	}
	warned := map[string]string{}
	for _, w := range res.Warnings {
		warned[filepath.Base(w.File)] += w.Text + "; "
	}
	for _, p := range []string{vanish, unreadable} {
		if !strings.Contains(warned[filepath.Base(p)], "cannot") {
			t.Errorf("no warning for %s; warnings: %v", filepath.Base(p), res.Warnings)
		}
	}
	if res.Read != res.Files-2 {
		t.Errorf("read %d of %d files, want all but the 2 missing: %+v", res.Read, res.Files, res)
	}
	sum, err := st.LogSummary(context.Background(), "sim")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sessions == 0 {
		t.Error("the readable files gave no sessions")
	}

	// The files are back: the next import reads exactly those two.
	if err := os.Remove(unreadable); err != nil {
		t.Fatal(err)
	}
	for p, b := range saved {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err = importBounded(t, st, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 2 || len(res.Warnings) != 0 {
		t.Errorf("the next import read %d files (want the 2 that were missing), warnings %v", res.Read, res.Warnings)
	}
	checkTruth(t, st, truth)
}
