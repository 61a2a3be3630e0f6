package inspect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/check/inspect"
	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

// TestScenarios runs a check over mutual TLS against every simulator preset
// and asserts the documented status (exit code), the findings and the
// diagnosis code a user relies on.
func TestScenarios(t *testing.T) {
	cases := []struct {
		scenario  string
		status    check.Severity
		findings  []string // codes that must be present
		diagnosis string   // scriptLog.diagnosis.code, "" for none
	}{
		{"healthy", check.OK, []string{"task-succeeded", "app-fresh", "connections-present", "license-valid"}, ""},
		{"lm-failing-rest-401", check.Critical, []string{"task-failed", "script-rest-auth", "connection-ntlm-rejected"}, "rest-auth"},
		{"lm-failing-rest-403", check.Critical, []string{"task-failed", "script-rest-auth"}, "rest-auth"},
		{"lm-failing-rest-http-502", check.Critical, []string{"task-failed", "script-rest-http"}, "rest-http"},
		{"lm-failing-rest-connect", check.Critical, []string{"task-failed", "script-rest-connect"}, "rest-connect"},
		{"lm-failing-file-not-found", check.Critical, []string{"task-failed", "script-file-not-found"}, "file-not-found"},
		{"lm-failing-field-not-found", check.Critical, []string{"task-failed", "script-field-not-found"}, "field-not-found"},
		{"lm-failing-table-not-found", check.Critical, []string{"task-failed", "script-table-not-found"}, "table-not-found"},
		{"lm-failing-syntax-error", check.Critical, []string{"task-failed", "script-syntax-error"}, "syntax-error"},
		{"lm-failing-out-of-memory", check.Critical, []string{"task-failed", "script-out-of-memory"}, "out-of-memory"},
		{"lm-aborted", check.Critical, []string{"task-aborted"}, "aborted"},
		{"lm-timeout", check.Critical, []string{"task-failed", "script-timeout"}, "timeout"},
		{"lm-connection-missing", check.Critical, []string{"task-failed", "script-connection-missing", "connection-missing"}, "connection-missing"},
		{"lm-no-worker", check.Critical, []string{"task-failed", "scheduler-failure"}, ""},
		{"lm-disabled", check.Critical, []string{"task-disabled", "app-stale"}, ""},
		{"lm-missing", check.Critical, []string{"task-missing"}, ""},
		{"lm-stale", check.Critical, []string{"task-no-trigger", "app-stale"}, ""},
		{"lm-never-run", check.Critical, []string{"task-never-run", "task-no-trigger", "app-stale"}, ""},
		{"license-expired", check.Critical, []string{"license-expired", "task-succeeded"}, ""},
		{"license-expiring", check.Warning, []string{"license-expiring"}, ""},
		{"ntlm-kerberos", check.Critical, []string{"script-rest-auth", "connection-ntlm-rejected"}, "rest-auth"},
		{"old-version", check.OK, []string{"task-succeeded"}, ""},
		{"tokens", check.OK, []string{"task-succeeded"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			site := simtest.Start(t, sim.Options{Seed: 3, Users: 60, HistoryDays: 30, Scenario: tc.scenario})
			saveDir := t.TempDir()
			r := inspect.Run(context.Background(), site.Client(t), inspect.Options{Site: "sim", Server: site.URL, SaveLogs: saveDir,
				ScriptLog: qrs.ScriptLogOptions{Attempts: 3, Delay: 1}, Now: site.Now})
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.Code)
			}
			if r.Status != tc.status {
				t.Errorf("status = %s, want %s; findings %v", r.Status, tc.status, got)
			}
			for _, want := range tc.findings {
				if !slices.Contains(got, want) {
					t.Errorf("finding %s missing; got %v", want, got)
				}
			}
			var diag string
			if r.ScriptLog != nil && r.ScriptLog.Diagnosis != nil {
				diag = r.ScriptLog.Diagnosis.Code
				if r.ScriptLog.SavedTo == "" || filepath.Base(r.ScriptLog.SavedTo) != "Reload License Monitor.log" {
					t.Errorf("script log saved to %q, want the QMC name", r.ScriptLog.SavedTo)
				}
			}
			if diag != tc.diagnosis {
				t.Errorf("diagnosis = %q, want %q", diag, tc.diagnosis)
			}

			// The JSON schema documented in the README.
			var buf bytes.Buffer
			if err := check.WriteJSON(&buf, []*check.Report{r}); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Status   string `json:"status"`
				Findings []struct {
					Code, Severity, Title, Hint string
				} `json:"findings"`
				Task      json.RawMessage `json:"task"`
				ScriptLog *struct {
					Diagnosis *struct {
						Code, Connection, Statement, Error, Hint string
						Line                                     int
					} `json:"diagnosis"`
				} `json:"scriptLog"`
			}
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("JSON output does not parse: %v", err)
			}
			if doc.Status != tc.status.String() || len(doc.Findings) != len(r.Findings) {
				t.Errorf("JSON status %q findings %d", doc.Status, len(doc.Findings))
			}
			if tc.diagnosis != "" {
				if doc.ScriptLog == nil || doc.ScriptLog.Diagnosis == nil || doc.ScriptLog.Diagnosis.Code != tc.diagnosis || doc.ScriptLog.Diagnosis.Hint == "" || doc.ScriptLog.Diagnosis.Line == 0 {
					t.Errorf("JSON scriptLog.diagnosis incomplete: %s", buf.String())
				}
			}
			for _, f := range doc.Findings {
				if f.Severity != "ok" && f.Hint == "" {
					t.Errorf("finding %s (%s) has no fix hint", f.Code, f.Severity)
				}
			}
		})
	}
}

// TestUnreachable: a QRS that is down gives UNKNOWN with the reason.
func TestUnreachable(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 1, Users: 10, HistoryDays: 5})
	dead, err := qrs.New(qrs.Config{Server: "https://127.0.0.1:1", CertFile: filepath.Join(site.CertDir, "client.pem"),
		KeyFile: filepath.Join(site.CertDir, "client_key.pem"), CAFile: filepath.Join(site.CertDir, "root.pem"), Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := inspect.Run(context.Background(), dead, inspect.Options{Site: "down"})
	if r.Status != check.Unknown || r.Findings[0].Code != "qrs-unreachable" || !strings.Contains(strings.Join(r.Findings[0].Evidence, " "), "127.0.0.1:1") {
		t.Fatalf("status %s findings %+v", r.Status, r.Findings)
	}
	if r.Findings[0].Hint == "" {
		t.Error("no hint for an unreachable QRS")
	}
}

// TestFix starts the failing task after the cause is fixed: the text, the
// JSON and the Nagios line then describe the run that succeeded (failure
// streak 0, the app just reloaded), not the run before the fix.
// halfPast is a clock that starts at half past an hour and runs with the
// wall clock. The --fix tests use it because the simulated site's hourly
// trigger of this seed fires at five past: a fix at that minute finds the
// scheduled (failing) run going and waits for it before starting its own
// (TestFixWhileScheduledRunRuns), which this test is not about.
func halfPast() func() time.Time {
	start := time.Now()
	at := time.Date(2026, 11, 27, 18, 30, 0, 0, time.UTC)
	return func() time.Time { return at.Add(time.Since(start)) }
}

func TestFix(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 5, Users: 30, HistoryDays: 10, Scenario: "lm-failing-rest-401", Now: halfPast()})
	before := inspect.Run(context.Background(), site.Client(t), inspect.Options{Site: "sim", Now: site.Now})
	if before.Task == nil || before.Task.FailureStreak < 2 || before.Status != check.Critical {
		t.Fatalf("the scenario should fail repeatedly before the fix: %+v", before.Task)
	}
	if err := site.SetTaskOutcome("Reload License Monitor", sim.Outcome{}); err != nil {
		t.Fatal(err)
	}
	r := inspect.Run(context.Background(), site.Client(t), inspect.Options{Site: "sim", Fix: true, Now: site.Now})
	if r.Fix == nil || r.Fix.Status != "FinishedSuccess" {
		t.Fatalf("fix = %+v; findings %+v", r.Fix, r.Findings)
	}

	var nagios bytes.Buffer
	if err := check.WriteNagios(&nagios, []*check.Report{r}); err != nil {
		t.Fatal(err)
	}
	line := nagios.String()
	if !strings.HasPrefix(line, "LICMON OK - sim: ") || !strings.Contains(line, " failure_streak=0;1;1;0 ") {
		t.Errorf("nagios line after a successful fix = %q, want OK and failure_streak=0", line)
	}
	// The app was reloaded by the fixed run: its age is that of the run's
	// end (before the fix it was hours).
	var age float64
	if m := regexp.MustCompile(` app_age_seconds=([0-9]+)s;`).FindStringSubmatch(line); m == nil {
		t.Errorf("nagios line %q has no app age", line)
	} else if age, _ = strconv.ParseFloat(m[1], 64); age > 120 {
		t.Errorf("app age after the fix = %.0fs, want the fixed run's reload (before: %s ago)", age, before.CheckedAt.Sub(before.Task.AppLastReload))
	}
	if want := fmt.Sprintf(" last_duration_seconds=%.1fs;", r.Fix.DurationS); !strings.Contains(line, want) {
		t.Errorf("nagios line %q: want the fixed run's duration %q", line, want)
	}

	var js bytes.Buffer
	if err := check.WriteJSON(&js, []*check.Report{r}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Status   string `json:"status"`
		Findings []struct {
			Code, Severity string
			Evidence       []string
		} `json:"findings"`
		ScriptLog *json.RawMessage `json:"scriptLog"`
		Task      struct {
			FailureStreak int `json:"failureStreak"`
			LastExecution struct {
				ID string `json:"id"`
			} `json:"lastExecution"`
		} `json:"task"`
		Fix struct {
			ID string `json:"id"`
		} `json:"fix"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Status != "ok" || doc.Task.FailureStreak != 0 || doc.Task.LastExecution.ID != doc.Fix.ID || doc.ScriptLog != nil {
		t.Errorf("JSON after the fix: status %s, failureStreak %d, lastExecution %s (fix run %s), scriptLog %v",
			doc.Status, doc.Task.FailureStreak, doc.Task.LastExecution.ID, doc.Fix.ID, doc.ScriptLog != nil)
	}
	var fixEvidence string
	for _, f := range doc.Findings {
		if f.Severity != "ok" {
			t.Errorf("finding %s is %s after a successful fix", f.Code, f.Severity)
		}
		if f.Code == "fix-succeeded" {
			fixEvidence = strings.Join(f.Evidence, " ")
		}
	}
	if !strings.Contains(fixEvidence, "before --fix: CRITICAL: Reload fails at script line") {
		t.Errorf("the fix finding does not say what was wrong before: %q", fixEvidence)
	}

	var text bytes.Buffer
	if err := check.WriteText(&text, []*check.Report{r}); err != nil {
		t.Fatal(err)
	}
	if out := text.String(); !strings.HasPrefix(strings.TrimSpace(out), "OK") || !strings.Contains(out, "Last run succeeded") ||
		!strings.Contains(out, "--fix started the task: FinishedSuccess") || strings.Contains(out, "Script log (") {
		t.Errorf("text after a successful fix:\n%s", out)
	}
}

// TestFixFails: a fix whose run fails again reports that run: the streak
// grows by one and its script log is diagnosed.
func TestFixFails(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 5, Users: 30, HistoryDays: 10, Scenario: "lm-failing-rest-401", Now: halfPast()})
	before := inspect.Run(context.Background(), site.Client(t), inspect.Options{Site: "sim", Now: site.Now})
	r := inspect.Run(context.Background(), site.Client(t), inspect.Options{Site: "sim", Fix: true, Now: site.Now,
		ScriptLog: qrs.ScriptLogOptions{Attempts: 3, Delay: 1}})
	if r.Fix == nil || r.Fix.Status != "FinishedFail" || r.Status != check.Critical {
		t.Fatalf("fix = %+v, status %s", r.Fix, r.Status)
	}
	if r.Task == nil || r.Task.FailureStreak != before.Task.FailureStreak+1 || r.Task.Last == nil || r.Task.Last.ID != r.Fix.ID {
		t.Errorf("task after a failed fix: %+v, want streak %d and the fix run %s last", r.Task.FailureStreak, before.Task.FailureStreak+1, r.Fix.ID)
	}
	if r.ScriptLog == nil || r.ScriptLog.Diagnosis == nil || r.ScriptLog.Diagnosis.Code != "rest-auth" {
		t.Errorf("the failed fix run's log is not diagnosed: %+v", r.ScriptLog)
	}
	var codes []string
	for _, f := range r.Findings {
		codes = append(codes, f.Code)
	}
	if !slices.Contains(codes, "fix-failed") || !slices.Contains(codes, "task-failed") {
		t.Errorf("findings %v", codes)
	}
}

// TestAllMonitoringApps checks Operations Monitor too.
func TestAllMonitoringApps(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 2, Users: 30, HistoryDays: 10})
	r := inspect.Run(context.Background(), site.Client(t), inspect.Options{Site: "sim", AllMonitoringApps: true, Now: site.Now})
	var apps []string
	for _, a := range r.Apps {
		apps = append(apps, a.App)
		if a.Task == nil {
			t.Errorf("app %s has no task", a.App)
		}
	}
	if !slices.Contains(apps, "License Monitor") || !slices.Contains(apps, "Operations Monitor") {
		t.Fatalf("apps = %v", apps)
	}
	if r.Status != check.OK {
		t.Errorf("status %s: %+v", r.Status, r.Findings)
	}
}

// TestPartlyUnreadable: when the triggers cannot be read (a 403), the check
// still judges the task and says what it could not read.
func TestPartlyUnreadable(t *testing.T) {
	s, err := sim.New(sim.Options{Seed: 7, Users: 30, HistoryDays: 10, Scenario: "lm-failing-rest-401"})
	if err != nil {
		t.Fatal(err)
	}
	site := simtest.ServeWith(t, s, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(strings.ToLower(r.URL.Path), "/qrs/schemaevent") {
				http.Error(w, "Forbidden", http.StatusForbidden)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	r := inspect.Run(context.Background(), site.Client(t), inspect.Options{Site: "sim", Now: site.Now,
		ScriptLog: qrs.ScriptLogOptions{Attempts: 1}})
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Code+":"+f.Severity.String())
	}
	if r.Status != check.Critical || !slices.Contains(got, "task-details-unreadable:unknown") || !slices.Contains(got, "task-failed:critical") || !slices.Contains(got, "script-rest-auth:critical") {
		t.Fatalf("status %s findings %v", r.Status, got)
	}
}

// TestFixWhileScheduledRunRuns: a fix at the minute the hourly trigger
// fires finds the scheduled run (with the cause not yet fixed) still going;
// the scheduler (and the simulator, as it) refuses a second run of the task,
// so the fix waits for the scheduled run to end, then starts its own, and
// says so.
func TestFixWhileScheduledRunRuns(t *testing.T) {
	start := time.Now()
	at := time.Date(2026, 11, 27, 18, 5, 1, 0, time.UTC) // the trigger of this seed fires at five past
	// The site's clock runs 30 times faster than the wall clock, so the
	// scheduled run (about half a minute) ends within a second or two.
	site := simtest.Start(t, sim.Options{Seed: 5, Users: 30, HistoryDays: 10, Scenario: "lm-failing-rest-401",
		Now: func() time.Time { return at.Add(30 * time.Since(start)) }})
	if err := site.SetTaskOutcome("Reload License Monitor", sim.Outcome{}); err != nil {
		t.Fatal(err)
	}
	r := inspect.Run(context.Background(), site.Client(t), inspect.Options{Site: "sim", Fix: true, Now: site.Now})
	if r.Fix == nil || r.Fix.Status != "FinishedSuccess" {
		t.Fatalf("fix = %+v; findings %+v", r.Fix, r.Findings)
	}
	var waited bool
	for _, f := range r.Findings {
		if f.Code == "fix-succeeded" && strings.Contains(strings.Join(f.Evidence, " "), "was going; --fix waited for it to end") {
			waited = true
		}
	}
	if !waited {
		t.Errorf("the fix does not say it waited for the scheduled run: %+v", r.Findings)
	}
}

// TestCheckWhileScheduledRunRuns: a check in the seconds a failing task's
// scheduled run goes still finds the failure and diagnoses the script log
// of the last run that ended.
func TestCheckWhileScheduledRunRuns(t *testing.T) {
	at := time.Date(2026, 11, 27, 18, 5, 10, 0, time.UTC) // the trigger of this seed fires at five past
	site := simtest.Start(t, sim.Options{Seed: 5, Users: 30, HistoryDays: 10, Scenario: "lm-failing-rest-401", Now: func() time.Time { return at }})
	r := inspect.Run(context.Background(), site.Client(t), inspect.Options{Site: "sim", Now: site.Now})
	if r.Task == nil || r.Task.Last == nil || r.Task.Last.Status != "Started" {
		t.Fatalf("the task's last run should be going: %+v", r.Task)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Code+":"+f.Severity.String())
	}
	if r.Status != check.Critical || !slices.Contains(got, "task-failed:critical") || !slices.Contains(got, "script-rest-auth:critical") {
		t.Errorf("status %s findings %v: want the last completed run's failure and its diagnosis", r.Status, got)
	}
}
