package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/golden"
)

const lmApp = "5b1c2a7e-1d2f-4e6a-9c3b-0a1b2c3d4e5f"

// addReloadLogs adds what a node with a failing License Monitor writes:
// the scheduler's audit rows of the run and its script log.
func addReloadLogs(t *testing.T, root string) {
	t.Helper()
	sched := filepath.Join(root, "ArchivedLogs", "qlikserver1.corp.example", "Scheduler", "Audit")
	script := filepath.Join(root, "ArchivedLogs", "qlikserver1.corp.example", "Script")
	for _, d := range []string{sched, script} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	hdr := "Sequence#\tProductVersion\tTimestamp\tHostname\tId\tDescription\tProxySessionId\tProxyPackageId\tRequestSequenceId\tUserDirectory\tUserId\tObjectId\tObjectName\tService\tOrigin\tContext\tCommand\tResult\tMessage\tId2\r\n"
	row := func(seq, at, id, desc, cmd, result, msg string) string {
		return strings.Join([]string{seq, "34.41.3", at, "QLIKSERVER1", id, desc, "0", "0", "0", "INTERNAL", "sa_scheduler",
			"7a1b0f3e-1111-4222-a333-444455556666|" + lmApp, "Reload License Monitor|License Monitor", "Scheduler", "", "", cmd, result, msg, "z"}, "\t") + "\r\n"
	}
	body := hdr + row("1", "20200330T161459.000+0000", "r1", "Command=Start task;Result=0;ResultText=Success", "Start task", "0", "Changing task state to Triggered") +
		row("2", "20200330T161550.000+0000", "r2", "Command=Finished task;Result=65;ResultText=Error: Failed", "Finished task", "65", "Task finished with state FinishedFail")
	if err := os.WriteFile(filepath.Join(sched, "QLIKSERVER1_AuditActivity_Scheduler_2020-03-30T23.00.00Z.log"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../scriptlog/testdata/lm-401-new-format.log")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(script, lmApp+".2020_03_30_16_15_00.0A1B2C3D4E5F60718293.log"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// licmon sim logs, logs import and logs summary end to end: the summary of
// a generated site at capacity with a failing License Monitor, plus a
// hand-written scheduler log and a real-format failing script log.
func TestLogsCommands(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	db := filepath.Join(dir, "licmon.db")
	code, out, errOut := run(t, "sim", "logs", "--out", logs, "--users", "80", "--days", "10", "--seed", "5", "--scenario", "lm-failing-rest-401+at-capacity")
	if code != 0 || !strings.Contains(out, "Wrote ") {
		t.Fatalf("sim logs: %d %s %s", code, out, errOut)
	}
	addReloadLogs(t, logs)
	// Flags after the folder work too.
	code, out, errOut = run(t, "logs", "import", logs, "--site", "sim", "--db", db)
	if code != 0 || !strings.Contains(out, "0 already imported") || strings.Contains(out, "Warnings") {
		t.Fatalf("logs import: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, "logs", "import", "--site", "sim", "--db", db, logs)
	if code != 0 || !strings.Contains(out, ", 0 read,") {
		t.Fatalf("second import read files again: %d\n%s", code, out)
	}
	code, out, errOut = run(t, "logs", "summary", "--site", "sim", "--db", db)
	if code != 0 {
		t.Fatalf("logs summary: %d %s", code, errOut)
	}
	golden.Assert(t, "logs-summary.txt", []byte(out))
	code, out, _ = run(t, "logs", "summary", "--site", "sim", "--db", db, "--format", "json")
	var s struct {
		Denials            map[string]int64 `json:"denials"`
		LicenseMonitorRuns []struct {
			Status    string `json:"status"`
			Diagnosis *struct {
				Code string `json:"code"`
			} `json:"diagnosis"`
		} `json:"license_monitor_runs"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil || code != 0 {
		t.Fatalf("json: %v %d\n%s", err, code, out)
	}
	if s.Denials["professional"] == 0 || len(s.LicenseMonitorRuns) != 10 || s.LicenseMonitorRuns[0].Diagnosis == nil ||
		s.LicenseMonitorRuns[0].Diagnosis.Code != "rest-auth" || s.LicenseMonitorRuns[0].Status != "FinishedFail" {
		t.Fatalf("summary json: %+v\n%s", s, out)
	}
}

func TestLogsErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "licmon.db")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"logs"}, 2, "say import or summary"},
		{[]string{"logs", "import", "--db", db, "--site", "x"}, 2, "give at least one folder"},
		{[]string{"logs", "import", "--db", db, "--site", "x", filepath.Join(t.TempDir(), "missing")}, 1, "give a folder, a .zip or a log file"},
		{[]string{"logs", "summary", "--db", db, "--site", "nowhere"}, 1, "no logs imported for site"},
		{[]string{"logs", "summary", "--db", db, "--site", "x", "--format", "xml"}, 2, "unknown --format"},
		{[]string{"sim", "logs"}, 2, "no output folder"},
	} {
		code, _, errOut := run(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, errOut, c.code, c.want)
		}
	}
}
