package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

func TestRepairFixesTheLicenseMonitorAndUndoRestores(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 5, Users: 40, HistoryDays: 10, Scenario: "lm-failing-rest-401"})
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw.txt")
	os.WriteFile(pw, []byte(sim.DefaultServicePassword+"\n"), 0o600)
	db := filepath.Join(dir, "audit.db")
	backup := filepath.Join(dir, "backup.json")
	conn := []string{"--server", site.URL, "--cert-dir", site.CertDir, "--site", "sim", "--db", db}
	c := site.Client(t)
	before, err := c.DataConnections(context.Background(), qrs.ListOptions{Filter: "name sw 'monitor_apps_REST_'"})
	if err != nil {
		t.Fatal(err)
	}

	if code, out, _ := run(t, "check", "--server", site.URL, "--cert-dir", site.CertDir, "--site", "sim"); code != 2 ||
		!strings.Contains(out, "licmon repair connections --site sim --user DIR\\serviceaccount --password-file FILE") {
		t.Errorf("check does not point to the repair: exit %d\n%s", code, out)
	}

	// Without --yes and without a terminal nothing changes.
	code, out, errOut := run(t, append([]string{"repair", "connections", "--user", `CORP\qservice`, "--password-file", pw, "--backup", backup}, conn...)...)
	if code != 1 || !strings.Contains(errOut, "no terminal") || !strings.Contains(out, "monitor_apps_REST_license_user") {
		t.Fatalf("without --yes: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(backup); err == nil {
		t.Fatal("a backup was written although nothing was applied")
	}

	code, out, errOut = run(t, append([]string{"repair", "connections", "--user", `CORP\qservice`, "--password-file", pw, "--backup", backup, "--yes", "--then-reload"}, conn...)...)
	if code != 0 {
		t.Fatalf("repair --then-reload: exit %d, want 0 (OK)\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"password  → the new one (not shown)", "13 updated", "Undo with: licmon repair undo " + backup} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	raw, _ := os.ReadFile(backup)
	dbRaw, _ := os.ReadFile(db)
	for where, text := range map[string]string{"stdout": out, "stderr": errOut, "backup": string(raw), "store": string(dbRaw)} {
		if strings.Contains(text, sim.DefaultServicePassword) {
			t.Errorf("the password appears in the %s", where)
		}
	}
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	audit, _ := st.Audit(context.Background(), "sim", "", 0)
	st.Close()
	if len(audit) != 13 || audit[0].Result != "updated" || audit[0].Command != "repair connections" || !strings.Contains(audit[0].Detail, "new password (not recorded)") {
		t.Errorf("audit trail: %d entries, first %+v", len(audit), audit[0])
	}

	code, out, errOut = run(t, append([]string{"repair", "undo", backup, "--yes"}, conn...)...)
	if code != 0 || !strings.Contains(out, "old password cannot be restored") {
		t.Fatalf("undo: exit %d\n%s\n%s", code, out, errOut)
	}
	after, _ := c.DataConnections(context.Background(), qrs.ListOptions{Filter: "name sw 'monitor_apps_REST_'"})
	want := map[string]qrs.DataConnection{}
	for _, dc := range before {
		want[dc.ID] = dc
	}
	for _, dc := range after {
		if w := want[dc.ID]; w.ConnectionString != dc.ConnectionString || w.Username != dc.Username {
			t.Errorf("%s not restored exactly", dc.Name)
		}
	}
}

// TestRepairThenReloadWaitsForTheScheduledRun: the repair lands while the
// hourly run (started with the old password) goes; the scheduler refuses a
// second run, so --then-reload waits for that one to end, starts its own
// and checks: OK.
func TestRepairThenReloadWaitsForTheScheduledRun(t *testing.T) {
	t.Parallel()
	start := time.Now()
	at := time.Date(2026, 11, 27, 18, 5, 1, 0, time.UTC) // the trigger of this seed fires at five past
	// The site's clock runs ten times faster than the wall clock: the
	// scheduled run (about half a minute) ends within a few seconds.
	site := simtest.Start(t, sim.Options{Seed: 5, Users: 30, HistoryDays: 10, Scenario: "lm-failing-rest-401",
		Now: func() time.Time { return at.Add(10 * time.Since(start)) }})
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw.txt")
	os.WriteFile(pw, []byte(sim.DefaultServicePassword+"\n"), 0o600)
	code, out, errOut := run(t, "repair", "connections", "--server", site.URL, "--cert-dir", site.CertDir, "--site", "sim",
		"--user", `CORP\qservice`, "--password-file", pw, "--db", filepath.Join(dir, "a.db"), "--backup", filepath.Join(dir, "b.json"),
		"--yes", "--then-reload")
	// The check after the run judges the app's age by the wall clock, not
	// the site's (a day earlier), so its exit code says CRITICAL; the run
	// is what this test is about.
	if code == 3 || !strings.Contains(out, "(before the repair) is going; waiting for it to end, then starting it again") ||
		!strings.Contains(out, "\n  OK       Last run succeeded") {
		t.Fatalf("exit %d: want the repair's own run to succeed after the scheduled one\n%s\n%s", code, out, errOut)
	}
}

func TestRepairPrefixFixes404(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 5, Users: 40, HistoryDays: 10, Scenario: "lm-failing-rest-404"})
	dir := t.TempDir()
	code, out, errOut := run(t, "check", "--server", site.URL, "--cert-dir", site.CertDir)
	if code != 2 || !strings.Contains(out, "licmon repair connections") || !strings.Contains(out, "--prefix") {
		t.Errorf("check does not point to the repair: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run(t, "repair", "connections", "--server", site.URL, "--cert-dir", site.CertDir, "--prefix", "windows",
		"--db", filepath.Join(dir, "a.db"), "--backup", filepath.Join(dir, "b.json"), "--yes", "--then-reload")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "https://localhost/windows/qrs/license/useraccesstype/full") {
		t.Errorf("plan does not show the new URL:\n%s", out)
	}
}

func TestRepairAndReclaimHelp(t *testing.T) {
	for _, cmd := range []string{"repair", "reclaim"} {
		code, out, _ := run(t, cmd, "-h")
		if code != 0 || !strings.Contains(out, "Usage: licmon "+cmd) || !strings.Contains(out, "Examples:") {
			t.Errorf("%s -h: exit %d\n%s", cmd, code, out)
		}
	}
	if code, out, _ := run(t, "help"); code != 0 || !strings.Contains(out, "repair") || !strings.Contains(out, "reclaim") {
		t.Errorf("help does not list repair and reclaim:\n%s", out)
	}
}

func TestRepairUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"repair"},
		{"repair", "connections", "--server", "https://q:4242"},
		{"repair", "connections", "--switch-to", "certificate"},
		{"repair", "connections", "--user", "qservice"},
		{"repair", "undo"},
	} {
		if code, _, errOut := run(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d %q, want 2 with a message", args, code, errOut)
		}
	}
}

func TestRepairSwitchToCertificateFixesKerberos(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 5, Users: 40, HistoryDays: 10, Scenario: "ntlm-kerberos", Hostname: "qs1.corp.example"})
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw.txt")
	os.WriteFile(pw, []byte(sim.DefaultServicePassword), 0o600)
	conn := []string{"--server", site.URL, "--cert-dir", site.CertDir, "--db", filepath.Join(dir, "a.db"), "--backup", filepath.Join(dir, "b.json"), "--yes", "--then-reload"}
	// The right password does not help: the REST connector cannot do Kerberos.
	if code, out, _ := run(t, append([]string{"repair", "connections", "--password-file", pw}, conn...)...); code != 2 {
		t.Errorf("password repair under Kerberos: exit %d, want 2 (still failing)\n%s", code, out)
	}
	code, out, errOut := run(t, append([]string{"repair", "connections", "--switch-to", "certificate", "--host", "qs1.corp.example"}, conn...)...)
	if code != 0 || !strings.Contains(out, "https://qs1.corp.example:4242/qrs/") || !strings.Contains(out, "useCertificate No → FromFile") {
		t.Fatalf("certificate switch: exit %d\n%s\n%s", code, out, errOut)
	}
}
