package check_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/check"
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
			r := check.Run(context.Background(), site.Client(t), check.Options{Site: "sim", Server: site.URL, SaveLogs: saveDir,
				ScriptLog: qrs.ScriptLogOptions{Attempts: 3, Delay: 1}, Now: site.Now})
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.Code)
			}
			if r.Status != tc.status {
				t.Errorf("status = %s, want %s; findings %v", r.Status, tc.status, got)
			}
			for _, want := range tc.findings {
				if !contains(got, want) {
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

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestUnreachable: a QRS that is down gives UNKNOWN with the reason.
func TestUnreachable(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 1, Users: 10, HistoryDays: 5})
	dead, err := qrs.New(qrs.Config{Server: "https://127.0.0.1:1", CertFile: filepath.Join(site.CertDir, "client.pem"),
		KeyFile: filepath.Join(site.CertDir, "client_key.pem"), CAFile: filepath.Join(site.CertDir, "root.pem"), Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := check.Run(context.Background(), dead, check.Options{Site: "down"})
	if r.Status != check.Unknown || r.Findings[0].Code != "qrs-unreachable" || !strings.Contains(strings.Join(r.Findings[0].Evidence, " "), "127.0.0.1:1") {
		t.Fatalf("status %s findings %+v", r.Status, r.Findings)
	}
	if r.Findings[0].Hint == "" {
		t.Error("no hint for an unreachable QRS")
	}
}

// TestFix starts the failing task after the cause is fixed and reports success.
func TestFix(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 5, Users: 30, HistoryDays: 10, Scenario: "lm-failing-rest-401"})
	if err := site.SetTaskOutcome("Reload License Monitor", sim.Outcome{}); err != nil {
		t.Fatal(err)
	}
	r := check.Run(context.Background(), site.Client(t), check.Options{Site: "sim", Fix: true, Now: site.Now})
	if r.Fix == nil || r.Fix.Status != "FinishedSuccess" {
		t.Fatalf("fix = %+v; findings %+v", r.Fix, r.Findings)
	}
	for _, f := range r.Findings {
		if f.Code == "task-failed" && f.Severity != check.OK {
			t.Errorf("task-failed still %s after a successful --fix", f.Severity)
		}
	}
}

// TestAllMonitoringApps checks Operations Monitor too.
func TestAllMonitoringApps(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 2, Users: 30, HistoryDays: 10})
	r := check.Run(context.Background(), site.Client(t), check.Options{Site: "sim", AllMonitoringApps: true, Now: site.Now})
	var apps []string
	for _, a := range r.Apps {
		apps = append(apps, a.App)
		if a.Task == nil {
			t.Errorf("app %s has no task", a.App)
		}
	}
	if !contains(apps, "License Monitor") || !contains(apps, "Operations Monitor") {
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
	r := check.Run(context.Background(), site.Client(t), check.Options{Site: "sim", Now: site.Now,
		ScriptLog: qrs.ScriptLogOptions{Attempts: 1}})
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Code+":"+f.Severity.String())
	}
	if r.Status != check.Critical || !contains(got, "task-details-unreadable:unknown") || !contains(got, "task-failed:critical") || !contains(got, "script-rest-auth:critical") {
		t.Fatalf("status %s findings %v", r.Status, got)
	}
}
