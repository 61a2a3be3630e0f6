package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/service"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

// qlikMachine lays out %ProgramData% as on a Qlik Sense node: the QMC's
// certificate export for the simulated site and a Log folder.
func qlikMachine(t *testing.T, site *simtest.Site, exportName string) string {
	t.Helper()
	pd := t.TempDir()
	dst := filepath.Join(service.QlikCertRoot(pd), exportName)
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range service.CertFiles {
		b, err := os.ReadFile(filepath.Join(site.CertDir, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, f), b, 0o600)
	}
	os.MkdirAll(service.QlikLogDir(pd), 0o700)
	t.Setenv("ProgramData", pd)
	return pd
}

// TestInitOnAQlikServer: init finds the exported certificates and the log
// folder, writes a configuration that works, and checks the site with it.
func TestInitOnAQlikServer(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 9, Users: 40, HistoryDays: 10})
	pd := qlikMachine(t, site, ".Local Certificates")
	cfg := filepath.Join(t.TempDir(), "conf", "licmon.yaml")
	code, out, errOut := run(t, "init", "--config", cfg, "--server", site.URL)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	certDir := filepath.Join(service.QlikCertRoot(pd), ".Local Certificates")
	for _, want := range []string{"certificates found in " + certDir, "log folder found", "wrote " + cfg, ": valid", "== licmon check", "OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cert_dir: '" + certDir + "'", "server: '" + site.URL + "'", "- '" + service.QlikLogDir(pd) + "'", "# "} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config lacks %q:\n%s", want, b)
		}
	}
	if st, _ := os.Stat(cfg); st.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want owner only", st.Mode().Perm())
	}

	// A second init loses nothing: refused without --force, kept as .bak with it.
	code, _, errOut = run(t, "init", "--config", cfg, "--server", site.URL, "--no-check")
	if code != 1 || !strings.Contains(errOut, "--force") {
		t.Fatalf("second init: exit %d %q", code, errOut)
	}
	code, _, errOut = run(t, "init", "--config", cfg, "--server", site.URL, "--no-check", "--force")
	if code != 0 {
		t.Fatalf("--force: exit %d %q", code, errOut)
	}
	if bak, err := os.ReadFile(cfg + ".bak"); err != nil || string(bak) != string(b) {
		t.Fatalf("old config not kept: %v", err)
	}
}

// TestInitReportsAFailingLicenseMonitor: the check init runs is the real
// one, with its exit code.
func TestInitReportsAFailingLicenseMonitor(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 9, Users: 40, HistoryDays: 10, Scenario: "lm-failing-rest-401"})
	t.Setenv("ProgramData", "")
	cfg := filepath.Join(t.TempDir(), "licmon.yaml")
	code, out, errOut := run(t, "init", "--config", cfg, "--server", site.URL, "--cert-dir", site.CertDir)
	if code != 2 || !strings.Contains(out, "CRITICAL") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestInitWithoutQlikAsksNothing: without a terminal and with nothing found,
// init writes the site commented out and says what to do next.
func TestInitWithoutQlikAsksNothing(t *testing.T) {
	t.Setenv("ProgramData", "")
	cfg := filepath.Join(t.TempDir(), "licmon.yaml")
	code, out, errOut := run(t, "init", "--config", cfg)
	if code != 0 || !strings.Contains(out, "No QRS was found") || !strings.Contains(out, "Next: edit "+cfg) {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	b, _ := os.ReadFile(cfg)
	if !strings.Contains(string(b), "#  - name: '") {
		t.Fatalf("config:\n%s", b)
	}
	code, _, errOut = run(t, "init", "--service", "--config", cfg)
	if code != 2 || !strings.Contains(errOut, "either --service or --config") {
		t.Fatalf("--service with --config: %d %q", code, errOut)
	}
}
