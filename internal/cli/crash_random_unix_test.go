//go:build unix

package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/repair"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/sim/simlogs"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// SIGKILL at random moments of the commands that change a site or import
// logs (docs/RELIABILITY.md, issue 12 "crash safety"): `reclaim apply`,
// `repair connections` and `logs import` run in a child process
// (TestApplyHelperProcess) killed after a random delay; after each kill the
// store opens, every change that reached the site has its audit row (an
// outcome, or "pending" for the one cut on the wire), nothing changed on
// the site without one, and a log import run again after the kills counts
// every event once. The seed is logged; LICMON_CRASH_SEED replays it and
// LICMON_CRASH_ITERATIONS sets the kills per command (default 3, 12 with
// LICMON_LONG=1).

func crashRand(t *testing.T) (*rand.Rand, int) {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("LICMON_CRASH_SEED"), 10, 64); err == nil {
		seed = s
	}
	n := 3 // each iteration is a whole run of the command; LICMON_LONG=1 (CI's long step) kills 12 times
	if os.Getenv("LICMON_LONG") == "1" {
		n = 12
	}
	if v, err := strconv.Atoi(os.Getenv("LICMON_CRASH_ITERATIONS")); err == nil && v > 0 {
		n = v
	}
	t.Logf("seed %d (replay with LICMON_CRASH_SEED=%d), %d iterations", seed, seed, n)
	return rand.New(rand.NewPCG(seed, 1)), n
}

// killDelay is when to kill the run of iteration i of a command whose
// whole run takes about whole: anywhere in it, but the first kill lands in
// its first third, so that at least one run is cut even with few
// iterations (a later run may finish early: a log import run again skips
// what was imported).
func killDelay(rng *rand.Rand, i int, whole time.Duration) time.Duration {
	if i == 0 {
		whole /= 3
	}
	return time.Duration(rng.Int64N(int64(max(whole, time.Millisecond))))
}

// killAfter runs licmon args in a child and SIGKILLs it after delay,
// unless it ended first; it reports whether the kill came first.
func killAfter(t *testing.T, cfg string, delay time.Duration, args ...string) (killed bool, stderr string) {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestApplyHelperProcess$")
	cmd.Env = append(os.Environ(), envApplyArgs+"="+string(raw), "LICMON_CONFIG="+cfg)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return false, errb.String()
	case <-time.After(delay):
	}
	cmd.Process.Kill()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the killed child did not end")
	}
	return true, errb.String()
}

// auditSince opens the store (which must open after any kill) and returns
// the audit rows of the runs not in seen, adding them to seen.
func auditSince(t *testing.T, db, site string, seen map[string]bool) []store.AuditEntry {
	t.Helper()
	if _, err := os.Stat(db); err != nil {
		return nil
	}
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatalf("the store does not open after SIGKILL: %v", err)
	}
	defer st.Close()
	all, err := st.Audit(context.Background(), site, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, a := range all {
		if !seen[a.RunID] {
			out = append(out, a)
		}
	}
	for _, a := range out {
		seen[a.RunID] = true
	}
	return out
}

// reachedLog records the ids of the requests of one method that reached
// the site (the handler runs whether or not the client is still there).
type reachedLog struct {
	mu  sync.Mutex
	ids []string
}

func (r *reachedLog) wrap(method string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.Method == method {
				r.mu.Lock()
				r.ids = append(r.ids, strings.ToLower(req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]))
				r.mu.Unlock()
			}
			h.ServeHTTP(w, req)
		})
	}
}

func (r *reachedLog) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := r.ids
	r.ids = nil
	return ids
}

func TestReclaimApplySurvivesRandomSIGKILL(t *testing.T) {
	rng, iterations := crashRand(t)
	var reached reachedLog
	s, err := sim.New(sim.Options{Seed: 8, Users: 1500, HistoryDays: 300})
	if err != nil {
		t.Fatal(err)
	}
	site := simtest.ServeWith(t, s, reached.wrap(http.MethodDelete))
	c := site.Client(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	cfg := filepath.Join(dir, "licmon.yaml")
	// 6 changes at 8/s: the run is under a second of DELETEs after the
	// re-read, so the random kills land before, among and after them.
	os.WriteFile(cfg, []byte(fmt.Sprintf("db: %s\nsites:\n  - name: prod\n    server: %s\n    cert_dir: %s\nreclaim:\n  max_releases: 6\n  rate: 8\n",
		db, site.URL, site.CertDir)), 0o600)
	seen := map[string]bool{}
	kills := 0
	for i := range iterations {
		code, out, errOut := run(t, "reclaim", "plan", "--config", cfg, "--format", "json")
		if code != 0 {
			t.Fatalf("plan %d: exit %d\n%s\n%s", i, code, out, errOut)
		}
		var pl struct {
			ID         int64
			Candidates []struct{ AllocationID string }
		}
		json.Unmarshal([]byte(out), &pl)
		before := allocIDs(t, c)
		if len(pl.Candidates) == 0 {
			t.Fatalf("plan %d has no candidates: the simulated site is too small for the iterations", i)
		}
		delay := killDelay(rng, i, 1200*time.Millisecond)
		killed, stderr := killAfter(t, cfg, delay, "reclaim", "apply", fmt.Sprint(pl.ID), "--config", cfg, "--yes")
		if killed {
			kills++
		}
		ids := reached.take()
		after := allocIDs(t, c)
		t.Logf("iteration %d: killed after %v: %v", i, delay.Round(time.Millisecond), killed)
		byID := auditedRequests(t, i, db, "prod", seen, "DELETE", ids, stderr)
		for _, cand := range pl.Candidates {
			id := strings.ToLower(cand.AllocationID)
			a, audited := byID[id]
			gone := before[id] && !after[id]
			switch {
			case gone && !audited:
				t.Errorf("iteration %d: %s released without an audit row", i, id)
			case audited && a.Result == "released" && after[id]:
				t.Errorf("iteration %d: %s recorded released but still allocated", i, id)
			case audited && a.Result == "pending" && !killed:
				t.Errorf("iteration %d: %s left pending by a run that ended", i, id)
			}
		}
	}
	if kills == 0 {
		t.Error("no run was killed: the delays are longer than the runs")
	}
}

func allocIDs(t *testing.T, c *qrs.Client) map[string]bool {
	t.Helper()
	m := map[string]bool{}
	for _, kind := range []qrs.AccessTypeKind{qrs.KindProfessional, qrs.KindAnalyzer} {
		list, err := c.AccessTypes(context.Background(), kind, qrs.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range list {
			m[strings.ToLower(a.ID)] = true
		}
	}
	return m
}

func TestRepairSurvivesRandomSIGKILL(t *testing.T) {
	rng, iterations := crashRand(t)
	var reached reachedLog
	s, err := sim.New(sim.Options{Seed: 5, Users: 40, HistoryDays: 10, Scenario: "lm-failing-rest-401"})
	if err != nil {
		t.Fatal(err)
	}
	site := simtest.ServeWith(t, s, reached.wrap(http.MethodPut))
	dir := t.TempDir()
	db := filepath.Join(dir, "audit.db")
	cfg := filepath.Join(dir, "licmon.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("db: %s\nsites:\n  - name: sim\n    server: %s\n    cert_dir: %s\n", db, site.URL, site.CertDir)), 0o600)
	seen := map[string]bool{}
	// How long a whole repair takes here (well under a second on an idle
	// machine, several under load), so the kills fall inside a run.
	start := time.Now()
	if killed, stderr := killAfter(t, cfg, 2*time.Minute, "repair", "connections", "--site", "sim", "--config", cfg,
		"--user", `CORP\svctiming`, "--backup", filepath.Join(dir, "backup-timing.json"), "--yes"); killed {
		t.Fatalf("a whole repair took 2 minutes:\n%s", stderr)
	}
	whole := time.Since(start)
	reached.take()
	auditSince(t, db, "sim", seen)
	kills := 0
	for i := range iterations {
		before := monitorConns(t, site)
		backup := filepath.Join(dir, fmt.Sprintf("backup%d.json", i))
		// A different user each time, so every run has all 13 to change.
		delay := killDelay(rng, i, whole)
		killed, stderr := killAfter(t, cfg, delay, "repair", "connections", "--site", "sim", "--config", cfg,
			"--user", fmt.Sprintf(`CORP\svc%d`, i), "--backup", backup, "--yes")
		if killed {
			kills++
		}
		ids := reached.take()
		after := monitorConns(t, site)
		t.Logf("iteration %d: killed after %v: %v", i, delay.Round(time.Millisecond), killed)
		byID := auditedRequests(t, i, db, "sim", seen, "PUT", ids, stderr)
		for id, dc := range after {
			b := before[id]
			changed := b.Username != dc.Username || b.ConnectionString != dc.ConnectionString
			a, audited := byID[strings.ToLower(id)]
			switch {
			case changed && !audited:
				t.Errorf("iteration %d: %s changed without an audit row", i, dc.Name)
			case changed && dc.Username != fmt.Sprintf(`CORP\svc%d`, i):
				t.Errorf("iteration %d: %s half changed: user %q", i, dc.Name, dc.Username)
			case audited && a.Result == "updated" && !changed:
				t.Errorf("iteration %d: %s recorded updated but unchanged on the site", i, dc.Name)
			case audited && a.Result == "pending" && !killed:
				t.Errorf("iteration %d: %s left pending by a run that ended", i, dc.Name)
			}
		}
		// A change was sent only after its backup was whole on disk.
		if len(ids) > 0 {
			if _, err := repair.ReadBackupFile(backup); err != nil {
				t.Errorf("iteration %d: PUTs were sent but the backup does not read: %v", i, err)
			}
		}
	}
	if kills == 0 {
		t.Error("no run was killed: the delays are longer than the runs")
	}
}

func TestLogsImportSurvivesRandomSIGKILL(t *testing.T) {
	rng, iterations := crashRand(t)
	logs := filepath.Join(t.TempDir(), "logs")
	if _, err := simlogs.Generate(simlogs.Options{Out: logs, Users: 200, Days: 30, Seed: 4, Scenario: "at-capacity"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "none.yaml") // logs import needs no configuration
	ref := filepath.Join(dir, "reference.db")
	if code, out, errOut := run(t, "logs", "import", logs, "--site", "sim", "--db", ref); code != 0 {
		t.Fatalf("reference import: exit %d\n%s\n%s", code, out, errOut)
	}
	// How long a whole import takes here, so the kills fall inside it.
	db := filepath.Join(dir, "h.db")
	start := time.Now()
	if killed, stderr := killAfter(t, cfg, 5*time.Minute, "logs", "import", logs, "--site", "sim", "--db", filepath.Join(dir, "timing.db")); killed {
		t.Fatalf("a whole import took 5 minutes:\n%s", stderr)
	}
	whole := time.Since(start)
	kills := 0
	for i := range iterations {
		delay := killDelay(rng, i, whole)
		killed, _ := killAfter(t, cfg, delay, "logs", "import", logs, "--site", "sim", "--db", db)
		if killed {
			kills++
		}
		st, err := store.Open(context.Background(), db, store.Options{})
		if os.IsNotExist(err) {
			continue
		}
		if err != nil && !strings.Contains(err.Error(), "no licmon database") {
			t.Fatalf("iteration %d: the store does not open after SIGKILL at %v: %v", i, delay, err)
		}
		if err == nil {
			st.Close()
		}
		t.Logf("iteration %d: killed after %v of %v: %v", i, delay.Round(time.Millisecond), whole.Round(time.Millisecond), killed)
	}
	if kills == 0 {
		t.Error("no import was killed")
	}
	if code, out, errOut := run(t, "logs", "import", logs, "--site", "sim", "--db", db); code != 0 {
		t.Fatalf("the import after the kills: exit %d\n%s\n%s", code, out, errOut)
	}
	want, got := logFigures(t, ref), logFigures(t, db)
	if got != want {
		t.Errorf("after %d kills and a last import the store holds\n%s\nwant (one clean import)\n%s", kills, got, want)
	}
}

// logFigures is what the logs gave a store: the summary and every daily
// figure, as text to compare.
func logFigures(t *testing.T, db string) string {
	t.Helper()
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	sum, err := st.LogSummary(ctx, "sim")
	if err != nil {
		t.Fatal(err)
	}
	act, err := st.LogActivity(ctx, "sim", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sessions %d, users %d, task runs %d (%d failed), reloads %d, denials %v\n",
		sum.Sessions, sum.Users, sum.TaskRuns, sum.FailedTaskRuns, sum.Reloads, sum.Denials)
	for _, a := range act {
		fmt.Fprintf(&b, "%s %s %d users %d sessions\n", a.Day.Format(time.DateOnly), a.Type, a.Users, a.Sessions)
	}
	return b.String()
}

// auditedRequests reads the audit rows site got since the last call and
// fails the test for every change request (method, to the targets ids)
// that reached the site without one: the audit record is written before
// the request is sent, so a kill at any moment leaves none unrecorded. It
// returns the new rows by lower-case target.
func auditedRequests(t *testing.T, iteration int, db, site string, seen map[string]bool, method string, ids []string, stderr string) map[string]store.AuditEntry {
	t.Helper()
	audit := auditSince(t, db, site, seen)
	t.Logf("iteration %d: %d %ss reached, %d audit rows", iteration, len(ids), method, len(audit))
	byID := map[string]store.AuditEntry{}
	for _, a := range audit {
		byID[strings.ToLower(a.TargetID)] = a
	}
	for _, id := range ids {
		if _, ok := byID[id]; !ok {
			t.Errorf("iteration %d: %s of %s reached the site without an audit row\n%s", iteration, method, id, stderr)
		}
	}
	return byID
}
