package inspect_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/licmon/licmon/internal/check/inspect"
	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

// TestSavedLogModes saves the script log of a failing task into a new
// per-site folder and checks that the folder and the log are the owner's
// only: a script log holds connection strings, user names and paths.
func TestSavedLogModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits; on Windows the files inherit the folder's ACL")
	}
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 30, HistoryDays: 10, Scenario: "lm-failing-rest-401"})
	dir := filepath.Join(t.TempDir(), "logs")
	r := inspect.Run(context.Background(), site.Client(t), inspect.Options{Site: "sim", Server: site.URL, SaveLogs: dir,
		SaveLogsPerSite: true, ScriptLog: qrs.ScriptLogOptions{Attempts: 3, Delay: 1}, Now: site.Now})
	if r.ScriptLog == nil || r.ScriptLog.SavedTo == "" {
		t.Fatalf("no script log saved: %+v", r.ScriptLog)
	}
	for _, p := range []string{dir, filepath.Dir(r.ScriptLog.SavedTo), r.ScriptLog.SavedTo} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m&0o077 != 0 {
			t.Errorf("%s has mode %o, want no group or other access", p, m)
		}
	}
}
