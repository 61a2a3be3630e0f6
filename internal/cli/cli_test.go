package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/cli"
	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/report"
	samplesreq "github.com/licmon/licmon/internal/samples"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

const samples = "../../../shared/samples/script-logs"

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpAndVersion(t *testing.T) {
	code, out, _ := run(t, "help")
	if code != 0 || !strings.Contains(out, "licmon demo") || !strings.Contains(out, "check") {
		t.Fatalf("help: %d %q", code, out)
	}
	for _, cmd := range []string{"check", "diagnose", "collect", "db", "logs", "report", "history", "serve", "alert", "sim", "demo", "config", "version"} {
		code, out, _ := run(t, cmd, "-h")
		if code != 0 || !strings.Contains(out, "Usage: licmon "+cmd) {
			t.Errorf("%s -h: exit %d, output %q", cmd, code, out)
		}
		if cmd != "version" && cmd != "db" && !strings.Contains(out, "Example") {
			t.Errorf("%s -h has no examples", cmd)
		}
	}
	code, out, _ = run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "licmon ") {
		t.Fatalf("version: %d %q", code, out)
	}
	code, _, errOut := run(t, "chek")
	if code != 2 || !strings.Contains(errOut, `Did you mean "check"`) {
		t.Fatalf("typo: %d %q", code, errOut)
	}
}

// TestDiagnoseSamples: every real successful log exits 0.
func TestDiagnoseSamples(t *testing.T) {
	samplesreq.Require(t, samples)
	logs, _ := filepath.Glob(filepath.Join(samples, "*.log"))
	if len(logs) == 0 {
		t.Fatalf("no .log samples in %s", samples)
	}
	code, out, errOut := run(t, append([]string{"diagnose"}, logs...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Count(out, "outcome    success") != len(logs) {
		t.Fatalf("not every sample succeeded:\n%s", out)
	}
}

func TestDiagnoseExitCodes(t *testing.T) {
	failing := "../scriptlog/testdata/lm-401-new-format.log"
	code, out, _ := run(t, "diagnose", "--format", "json", failing)
	if code != 2 {
		t.Fatalf("failing log: exit %d", code)
	}
	var res []struct {
		File      string
		Diagnosis struct {
			Code       string `json:"code"`
			Connection string `json:"connection"`
			Line       int    `json:"line"`
		} `json:"diagnosis"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if res[0].Diagnosis.Code != "rest-auth" || res[0].Diagnosis.Connection != "monitor_apps_REST_license_user" || res[0].Diagnosis.Line == 0 {
		t.Fatalf("diagnosis = %+v", res[0].Diagnosis)
	}
	code, _, _ = run(t, "diagnose", filepath.Join(t.TempDir(), "missing.log"), failing)
	if code != 3 {
		t.Fatalf("unreadable file: exit %d, want 3", code)
	}
	code, _, errOut := run(t, "diagnose")
	if code != 3 || !strings.Contains(errOut, "at least one") {
		t.Fatalf("no args: %d %q", code, errOut)
	}
}

// TestCheckAgainstSimulator runs the command as a user would, with flags.
func TestCheckAgainstSimulator(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		code     int
		want     string
	}{
		{"healthy", 0, "LICMON OK"},
		{"lm-failing-rest-401", 2, "LICMON CRITICAL"},
		{"license-expiring", 1, "LICMON WARNING"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			site := simtest.Start(t, sim.Options{Seed: 9, Users: 40, HistoryDays: 10, Scenario: tc.scenario})
			code, out, errOut := run(t, "check", "--server", site.URL, "--cert-dir", site.CertDir, "--format", "nagios")
			if code != tc.code || !strings.HasPrefix(out, tc.want) {
				t.Fatalf("exit %d output %q stderr %q", code, out, errOut)
			}
		})
	}
}

func TestCheckUnreachableIsUnknown(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 9, Users: 10, HistoryDays: 5})
	code, out, _ := run(t, "check", "--server", "https://127.0.0.1:1", "--cert-dir", site.CertDir, "--timeout", "2s")
	if code != 3 || !strings.Contains(out, "UNKNOWN") || !strings.Contains(out, "fix:") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	code, _, errOut := run(t, "check", "--server", site.URL, "--cert-dir", filepath.Join(t.TempDir(), "nocerts"))
	if code != 3 {
		t.Fatalf("missing certificates: exit %d %s", code, errOut)
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "licmon.yaml")
	os.WriteFile(cfg, []byte("sites:\n  - name: prod\n    server: https://q:4242\n    cert_dir: c\n    auth: jwt\n    jwt: secret-token-value\n"), 0o600)
	code, out, errOut := run(t, "config", "check", "--config", cfg)
	if code != 0 || strings.Contains(out, "secret-token-value") || !strings.Contains(out, "*****") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	os.WriteFile(cfg, []byte("sites:\n  - name: prod\n    servr: https://q:4242\n"), 0o600)
	code, _, errOut = run(t, "config", "check", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, `line 3: unknown key "servr"`) {
		t.Fatalf("exit %d %q", code, errOut)
	}
}

// TestCollectAndStats collects a simulated site twice and reads the store.
func TestCollectAndStats(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 2, Users: 50, HistoryDays: 60})
	db := filepath.Join(t.TempDir(), "h.db")
	args := []string{"collect", "--server", site.URL, "--cert-dir", site.CertDir, "--site", "sim", "--db", db}
	code, out, errOut := run(t, args...)
	if code != 0 || !strings.Contains(out, "first collection of sim") || !strings.Contains(out, "reconstructed") {
		t.Fatalf("first collect: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, args...)
	if code != 0 || !strings.Contains(out, "no change since the last collection") {
		t.Fatalf("second collect: %d\n%s", code, out)
	}
	code, out, _ = run(t, "db", "stats", "--db", db)
	if code != 0 || !strings.Contains(out, "allocation") || !strings.Contains(out, "sim") {
		t.Fatalf("db stats: %d\n%s", code, out)
	}
}

// TestDemoNoServe runs the demo's story end to end: the License Monitor
// is repaired, the site's logs are imported, and the report it prints has
// Professional full with its refusals measured from the logs, a
// Professional forecast fitted to demand, and an Analyzer run-out date,
// which the step titles say in words.
func TestDemoNoServe(t *testing.T) {
	t.Parallel() // slow and independent: runs beside the other slow ones
	dir := t.TempDir()
	code, out, errOut := run(t, "demo", "--no-serve", "--dir", dir, "--users", "1000", "--days", "30")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"rest-auth", "monitor_apps_REST_license_user", "13 updated", "\nOK       prod", "first collection of prod",
		"$ licmon logs import --config " + filepath.Join(dir, "licmon.yaml") + " " + filepath.Join(dir, "logs"),
		"The logs measure it: the license turned away", "Where to look next"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "scriptlogs", "Reload License Monitor.log")); err != nil {
		t.Errorf("demo did not save the script log: %v", err)
	}

	// The report the demo printed, as the JSON it wrote next to it.
	b, err := os.ReadFile(filepath.Join(dir, "license-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var pro, ana *report.TypeReport
	for i := range r.Types {
		switch r.Types[i].Type {
		case license.Professional:
			pro = &r.Types[i]
		case license.Analyzer:
			ana = &r.Types[i]
		}
	}
	if pro == nil || ana == nil {
		t.Fatalf("report types %+v", r.Types)
	}
	var unmet *report.UnmetType
	for i := range r.UnmetDemand.Types {
		if r.UnmetDemand.Types[i].Type == license.Professional {
			unmet = &r.UnmetDemand.Types[i]
		}
	}
	if unmet == nil || !unmet.AtCapacity || unmet.Source == nil || *unmet.Source != license.DenialsFromLogs || unmet.Denials == nil || *unmet.Denials == 0 {
		t.Fatalf("Professional unmet demand %+v; want it full with refusals from the logs", unmet)
	}
	f := pro.Forecast
	if f.Status == string(forecast.StatusNotEnoughHistory) || f.Series != report.SeriesDemand || f.Demand == nil {
		t.Errorf("Professional forecast %s on %q (%s), demand %v; want a forecast of demand", f.Status, f.Series, f.Reason, f.Demand)
	}
	for _, l := range r.Plan.Lines {
		if l.Type == license.Professional && (l.Basis == report.BasisCurrent || !strings.Contains(l.RestsOn, "logs")) {
			t.Errorf("Professional plan %+v; want it to rest on the forecast of demand from the logs", l)
		}
	}
	if a := ana.Forecast; a.Status != string(forecast.StatusRunsOut) || a.Date == nil {
		t.Fatalf("Analyzer forecast %s (%s); want a run-out date", a.Status, a.Reason)
	}
	title := fmt.Sprintf("Professional is full and turned away %d requests in 30 days (source logs); Analyzer runs out about %s",
		*unmet.Denials, ana.Forecast.Date.Format(time.DateOnly))
	if !strings.Contains(out, title) {
		t.Errorf("the report step's title does not tell the story %q:\n%s", title, out)
	}
	if !strings.Contains(out, fmt.Sprintf("%d refusals, source logs", *unmet.Denials)) {
		t.Errorf("the printed report does not show the %d refusals from the logs", *unmet.Denials)
	}
}
