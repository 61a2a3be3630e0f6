package rules

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/scriptlog"
)

var now = time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)

func failingReport() *check.Report {
	head := []string{"h1", "h2", "h3"}
	tail := []string{"t1", "t2", "t3", "t4"}
	return &check.Report{Site: "prod", Server: "https://qlik:4242", Status: check.Critical, Summary: "Reload fails at script line 697: REST auth",
		Task: &check.TaskInfo{Name: "Reload License Monitor", FailureStreak: 3, LastSuccess: now.Add(-26 * time.Hour),
			Last: &check.Execution{Status: "FinishedFail", Node: "central"}},
		Findings: []check.Finding{
			{Code: "task-failed", Severity: check.Critical, App: check.LicenseMonitorApp, Title: "The last run failed"},
			{Code: "script-rest-auth", Severity: check.Critical, App: check.LicenseMonitorApp, Title: "Reload fails at script line 697: REST auth", Hint: "Update the password."},
			{Code: "app-stale", Severity: check.Critical, App: check.LicenseMonitorApp, Title: "data is 26h old"},
			{Code: "task-failed", Severity: check.Critical, App: "Operations Monitor", Title: "other app"},
		},
		ScriptLog: &check.ScriptLog{Head: head, Tail: tail, Diagnosis: &scriptlog.Diagnosis{Code: "rest-auth", Error: "HTTP protocol error 401",
			Hint: "Update the password.", Statement: scriptlog.Statement{ScriptLine: 697, Text: "SQL SELECT ..."},
			Connection: scriptlog.Connection{Name: "monitor_apps_REST_license_user"}}},
	}
}

func keys(as []notify.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Key)
	}
	slices.Sort(out)
	return out
}

func TestEvaluateTaskFailed(t *testing.T) {
	cfg := Config{LogHead: 2, LogTail: 3}
	res := Evaluate(Input{Site: "prod", Now: now, Check: failingReport(), ExternalURL: "https://licmon.example.com/"}, cfg)
	if got := keys(res.Firing); strings.Join(got, ",") != "prod/lm-stale,prod/lm-task-failed" {
		t.Fatalf("firing = %v", got)
	}
	var a notify.Alert
	for _, x := range res.Firing {
		if x.Rule == TaskFailed {
			a = x
		}
	}
	if a.Severity != notify.SeverityCritical || !strings.Contains(a.Title, "line 697") {
		t.Errorf("alert = %+v", a)
	}
	d := a.Diagnosis
	if d == nil || d.Code != "rest-auth" || d.Line != 697 || d.Connection != "monitor_apps_REST_license_user" || d.Error == "" || d.Hint == "" || d.Statement == "" {
		t.Errorf("diagnosis = %+v", d)
	}
	if strings.Join(a.LogHead, ",") != "h1,h2" || strings.Join(a.LogTail, ",") != "t2,t3,t4" {
		t.Errorf("log head %v tail %v", a.LogHead, a.LogTail)
	}
	if a.DashboardURL != "https://licmon.example.com/sites/prod" {
		t.Errorf("dashboard url = %q", a.DashboardURL)
	}
	if !slices.Contains(res.Rules, QRSUnreachable) || slices.Contains(res.Rules, AvailableLow) {
		t.Errorf("rules evaluated = %v", res.Rules)
	}
}

func TestEvaluateRulesOffAndSeverity(t *testing.T) {
	off := false
	cfg := Config{Rules: Rules{Stale: Rule{Enabled: &off}, TaskFailed: Rule{Severity: "warning"}}}
	res := Evaluate(Input{Site: "prod", Now: now, Check: failingReport()}, cfg)
	if got := keys(res.Firing); strings.Join(got, ",") != "prod/lm-task-failed" || res.Firing[0].Severity != "warning" {
		t.Fatalf("firing = %v %+v", got, res.Firing)
	}
	if slices.Contains(res.Rules, Stale) {
		t.Error("a disabled rule counts as evaluated, so its alerts would resolve")
	}
}

func TestEvaluateUnreachable(t *testing.T) {
	r := &check.Report{Site: "prod", Server: "https://qlik:4242", Findings: []check.Finding{
		{Code: "qrs-unreachable", Severity: check.Unknown, Title: "Could not query the QRS", Evidence: []string{"connection refused"}, Hint: "check port 4242"}}}
	res := Evaluate(Input{Site: "prod", Now: now, Check: r}, Config{})
	if got := keys(res.Firing); strings.Join(got, ",") != "prod/qrs-unreachable" {
		t.Fatalf("firing = %v", got)
	}
	if !slices.Contains(res.Firing[0].Details, "connection refused") {
		t.Errorf("details = %v", res.Firing[0].Details)
	}
}

func TestEvaluateLicenses(t *testing.T) {
	counters := []license.Counters{
		{Type: license.Professional, Total: 100, Allocated: 97, Available: 3},
		{Type: license.Analyzer, Total: 1000, Allocated: 900, Available: 100},
		{Type: license.AnalyzerCapacity, Total: 0},
	}
	date := now.AddDate(0, 0, 20)
	runout := map[license.Type]forecast.Result{
		license.Professional: {Status: forecast.StatusAlreadyExceeded, Capacity: 100, Current: 100},
		license.Analyzer:     {Status: forecast.StatusRunsOut, DaysLeft: 20, Date: &date, Capacity: 1000, Current: 900},
	}
	cases := []struct {
		name  string
		rules Rules
		end   time.Time
		want  string
	}{
		{"defaults", Rules{}, now.AddDate(0, 0, 200), "prod/available-low/professional,prod/runout/analyzer,prod/runout/professional"},
		{"count and per type", Rules{AvailableBelow: Available{Count: 150, Types: map[string]Threshold{"professional": {Count: 2}}},
			RunOutWithin: Within{Days: 10}}, time.Time{}, "prod/available-low/analyzer,prod/runout/professional"},
		{"license end", Rules{LicenseEndWithin: Within{Days: 45}}, now.AddDate(0, 0, 30),
			"prod/available-low/professional,prod/license-end,prod/runout/analyzer,prod/runout/professional"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := Evaluate(Input{Site: "prod", Now: now, Counters: counters, RunOut: runout, LicenseEnd: tc.end}, Config{Rules: tc.rules})
			if got := strings.Join(keys(res.Firing), ","); got != tc.want {
				t.Errorf("firing = %s\nwant     %s", got, tc.want)
			}
		})
	}
	res := Evaluate(Input{Site: "prod", Now: now, LicenseEnd: now.AddDate(0, 0, -2)}, Config{})
	if len(res.Firing) != 1 || res.Firing[0].Severity != notify.SeverityCritical || !strings.Contains(res.Firing[0].Title, "ended") {
		t.Errorf("ended license: %+v", res.Firing)
	}
}
