package cli_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// The fault suite: licmon's commands against a simulated site that fails
// in every way a Qlik site, its proxy or the network does. Each case says
// what the user must see: the exit code, the reason, and that the command
// ends. docs/RELIABILITY.md lists these cases.

// runBounded is run with a guard: a command that does not end is a
// failure of the test, not a hung CI job.
func runBounded(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		c, o, e := run(t, args...)
		done <- result{c, o, e}
	}()
	select {
	case r := <-done:
		return r.code, r.out, r.err
	case <-time.After(2 * time.Minute):
		t.Fatalf("licmon %s did not end", strings.Join(args, " "))
		return 0, "", ""
	}
}

func TestCheckUnderFaults(t *testing.T) {
	t.Parallel() // slow and independent: runs beside the other slow ones
	for _, tc := range []struct {
		name    string
		fault   sim.Fault
		timeout string
		code    int
		want    []string
	}{
		{"qrs-500", sim.Fault{Path: "/qrs/*", Kind: sim.FaultStatus, Status: 500}, "", 3,
			[]string{"UNKNOWN", "HTTP 500", "Repository Service"}},
		{"qrs-503-twice-then-up", sim.Fault{Path: "/qrs/reloadtask/full", Kind: sim.FaultStatus, Status: 503, Count: 2}, "", 0,
			[]string{"OK"}},
		{"401", sim.Fault{Path: "/qrs/*", Kind: sim.FaultStatus, Status: 401}, "", 3,
			[]string{"UNKNOWN", "HTTP 401", "not authenticated"}},
		{"403", sim.Fault{Path: "/qrs/*", Kind: sim.FaultStatus, Status: 403}, "", 3,
			[]string{"UNKNOWN", "HTTP 403", "RootAdmin"}},
		{"reset", sim.Fault{Path: "/qrs/reloadtask/full", Kind: sim.FaultReset}, "", 3,
			[]string{"UNKNOWN", "/qrs/reloadtask/full"}},
		{"truncated", sim.Fault{Path: "/qrs/reloadtask/full", Kind: sim.FaultTruncate}, "", 3,
			[]string{"UNKNOWN", "/qrs/reloadtask/full"}},
		{"invalid-json", sim.Fault{Path: "/qrs/reloadtask/full", Kind: sim.FaultInvalidJSON}, "", 3,
			[]string{"UNKNOWN", "expected JSON"}},
		{"html-login", sim.Fault{Path: "/qrs/*", Kind: sim.FaultHTML}, "", 3,
			[]string{"UNKNOWN", "text/html", "login form"}},
		{"latency", sim.Fault{Path: "/qrs/*", Kind: sim.FaultLatency, Delay: 150 * time.Millisecond}, "", 0,
			[]string{"OK"}},
		// Defect 4: one byte every 100ms never trips the 500ms idle timeout;
		// the check's deadline (4 x --timeout) ends it as UNKNOWN.
		{"slow-drip", sim.Fault{Path: "/qrs/reloadtask/full", Kind: sim.FaultDrip, Delay: 100 * time.Millisecond}, "500ms", 3,
			[]string{"UNKNOWN", "total deadline of 2s", "4 × --timeout 500ms"}},
		// Defect 4: an ignored filter answering megabytes stops at the limit.
		{"oversize", sim.Fault{Path: "/qrs/reloadtask/full", Kind: sim.FaultOversize, Size: 48 << 20}, "", 3,
			[]string{"UNKNOWN", "larger than 32 MiB", "query string"}},
		{"tls-wrong-ca", sim.Fault{Kind: sim.FaultTLSWrongCA}, "", 3,
			[]string{"UNKNOWN", "not signed by the CA", "another-site-CA"}},
		{"tls-expired", sim.Fault{Kind: sim.FaultTLSExpired}, "", 3,
			[]string{"UNKNOWN", "expired"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := simtest.Start(t, sim.Options{Seed: 9, Users: 40, HistoryDays: 10, Faults: []sim.Fault{tc.fault}})
			args := []string{"check", "--server", site.URL, "--cert-dir", site.CertDir}
			if tc.timeout != "" {
				args = append(args, "--timeout", tc.timeout)
			}
			// The text format carries the reasons and hints; the exit code
			// is the same in every format.
			code, out, errOut := runBounded(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if n := site.Faults().Applied(""); n == 0 && !strings.HasPrefix(tc.fault.Kind, "tls") {
				t.Errorf("the fault was never applied")
			}
			if tc.fault.Kind == sim.FaultStatus && tc.fault.Count == 0 {
				// Retries are bounded: 1 + 3 per call, for the few calls a check makes.
				if n := site.Faults().Applied(""); n > 4*16 {
					t.Errorf("%d requests for one check: retries are not bounded", n)
				}
			}
		})
	}
}

// TLS verification is on by default: an untrusted server certificate is
// refused, and only --insecure (with a warning) accepts it.
func TestCheckInsecureAcceptsUntrustedCertOnlyWhenAsked(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 9, Users: 40, HistoryDays: 10, Faults: []sim.Fault{{Kind: sim.FaultTLSWrongCA}}})
	code, out, _ := runBounded(t, "check", "--server", site.URL, "--cert-dir", site.CertDir)
	if code != 3 || !strings.Contains(out, "not signed by the CA") {
		t.Fatalf("untrusted certificate accepted by default: exit %d\n%s", code, out)
	}
	code, out, errOut := runBounded(t, "check", "--server", site.URL, "--cert-dir", site.CertDir, "--insecure", "--format", "nagios")
	if code != 0 || !strings.HasPrefix(out, "LICMON OK") || !strings.Contains(errOut, "TLS verification of the server is OFF") {
		t.Fatalf("--insecure: exit %d\n%s\n%s", code, out, errOut)
	}
}

// switchable serves faults only while on is set, so one site can fail a
// collection and serve the next.
func switchable(f *sim.Faults, on *atomic.Bool) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		faulty := f.Wrap(h)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if on.Load() {
				faulty.ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// A collection stopped by a fault leaves the previous state; the next
// one succeeds.
func TestCollectUnderFaultsKeepsPreviousState(t *testing.T) {
	t.Parallel() // slow and independent: runs beside the other slow ones
	for _, tc := range []struct {
		name    string
		fault   sim.Fault
		timeout string
		want    string
	}{
		// One byte every 100ms never trips the 400ms idle timeout; the
		// collection's deadline (20 x --timeout) ends it. First, so that
		// its wait overlaps the other cases.
		{"allocations-slow-drip", sim.Fault{Path: "/qrs/license/analyzeraccesstype/full", Kind: sim.FaultDrip, Delay: 100 * time.Millisecond}, "400ms",
			"total deadline of 8s (20 × --timeout 400ms)"},
		{"users-500", sim.Fault{Path: "/qrs/user/*", Kind: sim.FaultStatus, Status: 500}, "", "HTTP 500"},
		{"allocations-truncated", sim.Fault{Path: "/qrs/license/professionalaccesstype/full", Kind: sim.FaultTruncate}, "", "professional allocations"},
		{"overview-invalid-json", sim.Fault{Path: "/qrs/license/accesstypeoverview", Kind: sim.FaultInvalidJSON}, "", "expected JSON"},
		{"apps-reset", sim.Fault{Path: "/qrs/app/full", Kind: sim.FaultReset}, "", "/qrs/app/full"},
		{"license-html", sim.Fault{Path: "/qrs/license", Kind: sim.FaultHTML}, "", "login form"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each case has its own site and store; the slow drip waits beside the others
			s, err := sim.New(sim.Options{Seed: 2, Users: 50, HistoryDays: 60})
			if err != nil {
				t.Fatal(err)
			}
			f, err := sim.NewFaults(1, tc.fault)
			if err != nil {
				t.Fatal(err)
			}
			var on atomic.Bool
			site := simtest.ServeWith(t, s, switchable(f, &on))
			db := filepath.Join(t.TempDir(), "h.db")
			args := []string{"collect", "--server", site.URL, "--cert-dir", site.CertDir, "--site", "sim", "--db", db}
			if code, out, errOut := runBounded(t, args...); code != 0 {
				t.Fatalf("first collect: %d\n%s\n%s", code, out, errOut)
			}
			before := collections(t, db)
			waitNextSecond(time.Now()) // collections are to the second: the next must be later

			on.Store(true)
			faultArgs := args
			if tc.timeout != "" {
				faultArgs = append(append([]string{}, args...), "--timeout", tc.timeout)
			}
			code, out, errOut := runBounded(t, faultArgs...)
			failed := time.Now()
			if code != 1 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("collect under %s: exit %d, want 1 with %q\n%s\n%s", tc.name, code, tc.want, out, errOut)
			}
			if after := collections(t, db); after != before {
				t.Fatalf("a failed collection changed the store: %d collections, was %d", after, before)
			}
			waitNextSecond(failed)

			on.Store(false)
			if code, out, errOut := runBounded(t, args...); code != 0 {
				t.Fatalf("collect after the fault: %d\n%s\n%s", code, out, errOut)
			}
			if after := collections(t, db); after != before+1 {
				t.Fatalf("%d collections after a good one, want %d", after, before+1)
			}
		})
	}
}

// waitNextSecond waits until the clock is in a later second than t:
// collections are stored to the second, so a collection that starts after
// this is later than any that ended by t. It waits at most a second, and
// not at all when the second has already passed.
func waitNextSecond(t time.Time) {
	time.Sleep(time.Until(t.Truncate(time.Second).Add(time.Second)))
}

func collections(t *testing.T, db string) int {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cols, err := st.Collections(ctx, "sim", time.Time{}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return len(cols)
}

// report reads only the store: a damaged or foreign file is a clear
// error, never a panic or an empty report.
func TestReportOnBadStore(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.db")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 400)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runBounded(t, "report", "--db", notDB)
	if code == 0 || !strings.Contains(errOut, "notes.db") || !strings.Contains(errOut, "not a licmon database") {
		t.Fatalf("report on a non-database: exit %d\n%s\n%s", code, out, errOut)
	}
	empty := filepath.Join(dir, "empty.db") // never created: report does not create stores
	code, _, errOut = runBounded(t, "report", "--db", empty, "--site", "prod")
	if code == 0 || !strings.Contains(errOut, "no licmon database") || !strings.Contains(errOut, "licmon collect") {
		t.Fatalf("report on an empty store: exit %d\n%s", code, errOut)
	}
}
