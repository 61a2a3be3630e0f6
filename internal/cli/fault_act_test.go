package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// The fault suite of the commands that change a site, repair connections
// and reclaim apply (docs/RELIABILITY.md): faults on the reads they plan
// from, on the changes they send and on the reload repair starts. Each
// case says the exit code, the reason, that the retries are bounded, what
// the site holds afterwards and that the audit trail has one finished row
// per change sent (none left pending, none missing).

func auditOf(t *testing.T, db, site string) []store.AuditEntry {
	t.Helper()
	if _, err := os.Stat(db); err != nil {
		return nil
	}
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatalf("the store does not open after the run: %v", err)
	}
	defer st.Close()
	a, err := st.Audit(context.Background(), site, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func monitorConns(t *testing.T, site *simtest.Site) map[string]qrs.DataConnection {
	t.Helper()
	c := site.Client(t)
	list, err := c.DataConnections(context.Background(), qrs.ListOptions{Filter: "name sw 'monitor_apps_REST_'"})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]qrs.DataConnection{}
	for _, dc := range list {
		m[dc.ID] = dc
	}
	return m
}

func TestRepairUnderFaults(t *testing.T) {
	t.Parallel()     // slow and independent: runs beside the other slow ones
	const conns = 13 // monitor_apps_REST_* connections of the simulated site
	for _, tc := range []struct {
		name   string
		fault  sim.Fault
		reload bool
		code   int
		want   []string // in stdout+stderr
		// results is the audit trail by result; nil: no audit row at all.
		results map[string]int
		// changed is how many connections the site holds changed afterwards.
		changed int
		// maxFaults bounds the requests the fault got: the retries are bounded.
		maxFaults int
	}{
		{"get-connections-500", sim.Fault{Path: "/qrs/dataconnection/full", Kind: sim.FaultStatus, Status: 500}, false, 1,
			[]string{"read the data connections", "HTTP 500"}, nil, 0, 4},
		{"get-connections-truncated", sim.Fault{Path: "/qrs/dataconnection/full", Kind: sim.FaultTruncate}, false, 1,
			[]string{"read the data connections"}, nil, 0, 4},
		{"put-500", sim.Fault{Path: "/qrs/dataconnection/*", Method: "PUT", Kind: sim.FaultStatus, Status: 500}, false, 1,
			[]string{"HTTP 500", "0 updated", "13 failed"}, map[string]int{"failed": conns}, 0, conns},
		{"put-409", sim.Fault{Path: "/qrs/dataconnection/*", Method: "PUT", Kind: sim.FaultStatus, Status: 409}, false, 1,
			[]string{"changed in the QMC or by another tool", "13 left alone"}, map[string]int{"conflict": conns}, 0, conns},
		{"put-reset-once", sim.Fault{Path: "/qrs/dataconnection/*", Method: "PUT", Kind: sim.FaultReset, Count: 1}, false, 1,
			[]string{"12 updated", "1 failed"}, map[string]int{"updated": conns - 1, "failed": 1}, conns - 1, 1},
		{"task-start-500", sim.Fault{Path: "/qrs/task/*", Method: "POST", Kind: sim.FaultStatus, Status: 500}, true, 3,
			[]string{"13 updated", "--then-reload", "HTTP 500"}, map[string]int{"updated": conns}, conns, 1},
		{"wait-execution-500", sim.Fault{Path: "/qrs/executionsession/*", Kind: sim.FaultStatus, Status: 500}, true, 3,
			[]string{"13 updated", "--then-reload", "HTTP 500"}, map[string]int{"updated": conns}, conns, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sim.New(sim.Options{Seed: 5, Users: 40, HistoryDays: 10, Scenario: "lm-failing-rest-401"})
			if err != nil {
				t.Fatal(err)
			}
			f, err := sim.NewFaults(1, tc.fault)
			if err != nil {
				t.Fatal(err)
			}
			var on atomic.Bool
			site := simtest.ServeWith(t, s, switchable(f, &on))
			before := monitorConns(t, site)
			if len(before) != conns {
				t.Fatalf("the simulated site has %d monitoring connections, the test expects %d", len(before), conns)
			}
			dir := t.TempDir()
			pw := filepath.Join(dir, "pw.txt")
			os.WriteFile(pw, []byte(sim.DefaultServicePassword+"\n"), 0o600)
			db := filepath.Join(dir, "audit.db")
			backup := filepath.Join(dir, "backup.json")
			args := []string{"repair", "connections", "--server", site.URL, "--cert-dir", site.CertDir, "--site", "sim", "--db", db,
				// Another user than the site's, so an applied change shows on the site.
				"--user", `CORP\svcfault`, "--password-file", pw, "--backup", backup, "--yes"}
			if tc.reload {
				args = append(args, "--then-reload")
			}
			on.Store(true)
			code, out, errOut := runBounded(t, args...)
			on.Store(false)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s\n%s", w, out, errOut)
				}
			}
			if n := f.Applied(""); n == 0 || n > tc.maxFaults {
				t.Errorf("the fault was applied %d times, want 1 to %d (bounded retries)", n, tc.maxFaults)
			}
			if strings.Contains(out+errOut, sim.DefaultServicePassword) {
				t.Error("the password was printed")
			}

			after := monitorConns(t, site)
			changed := 0
			for id, dc := range after {
				if b := before[id]; b.ConnectionString != dc.ConnectionString || b.Username != dc.Username {
					changed++
				}
			}
			if changed != tc.changed {
				t.Errorf("%d connections changed on the site, want %d", changed, tc.changed)
			}

			audit := auditOf(t, db, "sim")
			if tc.results == nil {
				if len(audit) != 0 {
					t.Errorf("%d audit rows although nothing was sent", len(audit))
				}
				if _, err := os.Stat(backup); err == nil {
					t.Error("a backup was written although nothing was planned")
				}
				return
			}
			got := map[string]int{}
			for _, a := range audit {
				got[a.Result]++
				if a.Finished.IsZero() || a.Command != "repair connections" || a.TargetID == "" {
					t.Errorf("incomplete audit row %+v", a)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.results) {
				t.Errorf("audit trail by result %v, want %v", got, tc.results)
			}
			// Every connection changed on the site has its audit row.
			updated := map[string]bool{}
			for _, a := range audit {
				if a.Result == "updated" {
					updated[strings.ToLower(a.TargetID)] = true
				}
			}
			for id, dc := range after {
				if b := before[id]; (b.ConnectionString != dc.ConnectionString) && !updated[strings.ToLower(id)] {
					t.Errorf("%s changed on the site without an audit row saying so", dc.Name)
				}
			}
			if _, err := os.Stat(backup); err != nil {
				t.Errorf("no backup before the change: %v", err)
			}
		})
	}
}

func TestReclaimUnderFaults(t *testing.T) {
	t.Parallel() // slow and independent: runs beside the other slow ones
	const max = 5
	for _, tc := range []struct {
		name string
		// planFault fails the plan; applyFault the apply of a good plan.
		planFault, applyFault *sim.Fault
		code                  int
		want                  string
		results               map[string]int // audit rows of apply by result (nil: none)
		released              int            // allocations gone from the site
		faults                int            // faulted requests: exact for the changes, at most for the reads
	}{
		{name: "plan-bulk-read-500", planFault: &sim.Fault{Path: "/qrs/license/professionalaccesstype/full", Kind: sim.FaultStatus, Status: 500},
			code: 1, want: "HTTP 500", faults: 8},
		// A reset on a reused keep-alive connection is retried once more by
		// net/http itself (the request is idempotent and nothing was
		// answered), so each of licmon's attempts may reach the site twice.
		{name: "plan-users-reset", planFault: &sim.Fault{Path: "/qrs/user/full", Kind: sim.FaultReset},
			code: 1, want: "/qrs/user/full", faults: 16},
		{name: "apply-reread-truncated", applyFault: &sim.Fault{Path: "/qrs/license/professionalaccesstype/full", Kind: sim.FaultTruncate},
			code: 1, want: "nothing was changed", faults: 4},
		// Every DELETE fails: 1 + 2 retries each, all recorded as failed.
		{name: "delete-500", applyFault: &sim.Fault{Path: "/qrs/license/*", Method: "DELETE", Kind: sim.FaultStatus, Status: 500},
			code: 1, want: "after 3 attempt(s)", results: map[string]int{"failed": max}, faults: 3 * max},
		// A 503 then a reset, then the retries get through.
		{name: "delete-transient", applyFault: &sim.Fault{Path: "/qrs/license/*", Method: "DELETE", Kind: sim.FaultReset, Count: 2},
			code: 0, want: "5 released", results: map[string]int{"released": max}, released: max, faults: 2},
		// A refusal is not retried.
		{name: "delete-403", applyFault: &sim.Fault{Path: "/qrs/license/*", Method: "DELETE", Kind: sim.FaultStatus, Status: 403},
			code: 1, want: "HTTP 403", results: map[string]int{"failed": max}, faults: max},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sim.New(sim.Options{Seed: 8, Users: 300, HistoryDays: 300})
			if err != nil {
				t.Fatal(err)
			}
			fault := tc.planFault
			if fault == nil {
				fault = tc.applyFault
			}
			f, err := sim.NewFaults(1, *fault)
			if err != nil {
				t.Fatal(err)
			}
			var on atomic.Bool
			site := simtest.ServeWith(t, s, switchable(f, &on))
			dir := t.TempDir()
			db := filepath.Join(dir, "h.db")
			cfg := filepath.Join(dir, "licmon.yaml")
			os.WriteFile(cfg, []byte(fmt.Sprintf("db: %s\nsites:\n  - name: prod\n    server: %s\n    cert_dir: %s\nreclaim:\n  max_releases: %d\n  rate: 1000\n",
				db, site.URL, site.CertDir, max)), 0o600)
			allocs := func() int {
				n := 0
				for _, kind := range []string{"professional", "analyzer"} {
					k, err := site.Client(t).Count(context.Background(), "license/"+kind+"accesstype", "")
					if err != nil {
						t.Fatal(err)
					}
					n += k
				}
				return n
			}
			before := allocs()

			on.Store(tc.planFault != nil)
			code, out, errOut := runBounded(t, "reclaim", "plan", "--config", cfg, "--format", "json")
			if tc.planFault != nil {
				on.Store(false)
				if code != tc.code || !strings.Contains(errOut, tc.want) {
					t.Fatalf("plan under %s: exit %d, want %d with %q\n%s\n%s", tc.name, code, tc.code, tc.want, out, errOut)
				}
				if n := f.Applied(""); n == 0 || n > tc.faults {
					t.Errorf("the fault got %d requests, want 1 to %d (1 + 3 retries of each read)", n, tc.faults)
				}
				if a := auditOf(t, db, "prod"); len(a) != 0 {
					t.Errorf("a failed plan left %d audit rows", len(a))
				}
				// The next plan, with the site back, succeeds.
				if code, out, errOut := runBounded(t, "reclaim", "plan", "--config", cfg, "--format", "json"); code != 0 {
					t.Fatalf("plan after the fault: exit %d\n%s\n%s", code, out, errOut)
				}
				return
			}
			if code != 0 {
				t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
			}
			var pl struct{ ID int64 }
			json.Unmarshal([]byte(out), &pl)

			on.Store(true)
			code, out, errOut = runBounded(t, "reclaim", "apply", fmt.Sprint(pl.ID), "--config", cfg, "--yes")
			on.Store(false)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Fatalf("apply under %s: exit %d, want %d with %q\n%s\n%s", tc.name, code, tc.code, tc.want, out, errOut)
			}
			if n := f.Applied(""); (tc.results != nil && n != tc.faults) || n == 0 || n > tc.faults {
				t.Errorf("the fault got %d requests, want %d: the retries are not bounded as documented", n, tc.faults)
			}
			if got := before - allocs(); got != tc.released {
				t.Errorf("%d allocations released on the site, want %d", got, tc.released)
			}
			audit := auditOf(t, db, "prod")
			got := map[string]int{}
			for _, a := range audit {
				got[a.Result]++
				if a.Finished.IsZero() || a.PlanID != pl.ID || a.Actor == "" {
					t.Errorf("incomplete audit row %+v", a)
				}
			}
			if tc.results == nil && len(audit) != 0 {
				t.Errorf("%d audit rows although nothing was sent", len(audit))
			} else if tc.results != nil && fmt.Sprint(got) != fmt.Sprint(tc.results) {
				t.Errorf("audit trail by result %v, want %v", got, tc.results)
			}
		})
	}
}
