package check

import (
	"strings"
	"testing"
	"time"
)

func TestParseConnection(t *testing.T) {
	cases := []struct {
		name, conn                     string
		host, port, prefix, path, auth string
	}{
		{"ntlm default", `CUSTOM CONNECT TO "provider=QvRestConnector.exe;url=https://localhost/qrs/app/full;timeout=900;method=GET;autoDetectResponseType=true;keyGenerationStrategy=0;authSchema=ntlm;skipServerCertificateValidation=true;useCertificate=No;certificateStoreLocation=LocalMachine;certificateStoreName=My;trustedLocations=qrs-proxy%2https://localhost:4244;queryParameters=xrfkey%20000000000000000;addMissingQueryParametersToFinalRequest=false;queryHeaders=X-Qlik-XrfKey%20000000000000000%1User-Agent%2Windows;PaginationType=None;"`,
			"localhost", "443", "", "/qrs/app/full", "ntlm"},
		{"certificate", `CUSTOM CONNECT TO 'provider=QvRestConnector.exe;url=https://qs1.corp.local:4242/qrs/license/useraccesstype/full;timeout=999;method=GET;authSchema=anonymous;useCertificate=FromFile;certificateFilePath=qs1.corp.local\client.pfx;queryHeaders=X-Qlik-XrfKey%20000000000000000%1X-Qlik-User%2UserDirectory%%2INTERNAL%%1 %%userid%%2sa_api;'`,
			"qs1.corp.local", "4242", "", "/qrs/license/useraccesstype/full", "certificate"},
		{"jwt prefix", `CUSTOM CONNECT TO "provider=QvRestConnector.exe;url=https://qs.corp/jwt/qrs/user/full;authSchema=anonymous;useCertificate=No;queryHeaders=X-Qlik-XrfKey%20000000000000000%1Authorization%2Bearer eyJhbGciOi;"`,
			"qs.corp", "443", "jwt", "/qrs/user/full", "jwt"},
		{"old windows flag", `CUSTOM CONNECT TO "provider=QvRestConnector.exe;url=https://localhost/qrs/task/full;timeout=180;useWindowsAuthentication=true;useCertificate=No;`,
			"localhost", "443", "", "/qrs/task/full", "ntlm"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ParseConnection("x", tc.conn)
			if c.Host != tc.host || c.Port != tc.port || c.Prefix != tc.prefix || c.Path != tc.path || c.Auth != tc.auth {
				t.Fatalf("got host=%q port=%q prefix=%q path=%q auth=%q", c.Host, c.Port, c.Prefix, c.Path, c.Auth)
			}
		})
	}
}

func TestTriggerInterval(t *testing.T) {
	for _, tc := range []struct {
		opt  int
		desc string
		want time.Duration
	}{
		{1, "0 1 0 0", time.Hour}, {1, "", time.Hour}, {5, "30 0 0 0", 30 * time.Minute},
		{2, "0 0 1 0", 24 * time.Hour}, {3, "0 0 0 1", 7 * 24 * time.Hour}, {0, "0 0 0 0", 0},
		{5, "0 2 1 0", 26 * time.Hour},
	} {
		if got := TriggerInterval(tc.opt, tc.desc); got != tc.want {
			t.Errorf("TriggerInterval(%d, %q) = %v, want %v", tc.opt, tc.desc, got, tc.want)
		}
	}
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func run(o Outcome, status string, start, stop string) Execution {
	x := Execution{Outcome: o, Status: status}
	if start != "" {
		x.Start = ts(start)
	}
	if stop != "" {
		x.Stop = ts(stop)
	}
	return x
}

// facts is a healthy hourly task whose last run ended with o.
func facts(o Outcome, status, lastReload string) *TaskFacts {
	last := &Execution{ID: "e1", Status: status, Outcome: o, Start: ts("2026-11-26T09:00:00Z"), Stop: ts("2026-11-26T09:00:20Z"),
		Duration: 20 * time.Second, Node: "qs1"}
	f := &TaskFacts{AppName: "License Monitor", TaskName: "Reload License Monitor", AppFound: true, Last: last,
		Task: &TaskDef{ID: "t1", Name: "Reload License Monitor", Enabled: true, SessionTimeout: 1440 * time.Minute,
			NextExecution: ts("2026-11-26T11:00:00Z")},
		Triggers: []Trigger{{Name: "Reload License Monitor Schema", Kind: "schema", Enabled: true, Every: TriggerInterval(1, "0 1 0 0")}}}
	if lastReload != "" {
		f.AppLastReload = ts(lastReload)
	}
	return f
}

func codes(fs []Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.Code+":"+f.Severity.String())
	}
	return strings.Join(s, " ")
}

func TestEvalTask(t *testing.T) {
	now, _ := time.Parse(time.RFC3339, "2026-11-26T10:00:00Z")
	cases := []struct {
		name   string
		f      func() *TaskFacts
		maxAge time.Duration
		want   string
	}{
		{"healthy", func() *TaskFacts { return facts(Succeeded, "FinishedSuccess", "2026-11-26T09:00:20Z") }, 0,
			"task-succeeded:ok app-fresh:ok"},
		{"failed and stale", func() *TaskFacts {
			f := facts(Failed, "FinishedFail", "2026-11-25T09:00:00Z")
			f.History = []Execution{ // newest first, as gathered
				run(Failed, "FinishedFail", "2026-11-26T09:00:00Z", ""),
				run(Failed, "FinishedFail", "2026-11-26T08:00:00Z", ""),
				run(Succeeded, "FinishedSuccess", "2026-11-25T09:00:00Z", "2026-11-25T09:00:20Z"),
			}
			return f
		}, 0, "task-failed:critical app-stale:critical"},
		{"success but stale", func() *TaskFacts { return facts(Succeeded, "FinishedSuccess", "2026-11-20T09:00:00Z") }, 0,
			"task-succeeded:ok app-stale:critical"},
		{"max age", func() *TaskFacts { return facts(Succeeded, "FinishedSuccess", "2026-11-26T08:00:00Z") }, 30 * time.Minute,
			"task-succeeded:ok app-stale:critical"},
		{"late", func() *TaskFacts { return facts(Succeeded, "FinishedSuccess", "2026-11-26T08:20:00Z") }, 0,
			"task-succeeded:ok app-late:warning"},
		{"disabled no trigger", func() *TaskFacts {
			f := facts(Succeeded, "FinishedSuccess", "2026-11-26T09:00:20Z")
			f.Task.Enabled = false
			f.Triggers[0].Enabled = false
			return f
		}, 0, "task-disabled:critical task-no-trigger:warning task-succeeded:ok app-fresh:ok"},
		{"never run", func() *TaskFacts {
			f := facts(NeverStarted, "NeverStarted", "")
			f.Last.Start, f.Last.Stop = time.Time{}, time.Time{}
			return f
		}, 0, "task-never-run:warning app-never-reloaded:warning"},
		{"aborted", func() *TaskFacts { return facts(Aborted, "Aborted", "2026-11-26T09:00:20Z") }, 0,
			"task-aborted:critical app-fresh:ok"},
		{"missing renamed", func() *TaskFacts {
			f := facts(Succeeded, "FinishedSuccess", "2026-11-26T09:00:20Z")
			f.Renamed = []string{"LM hourly"}
			f.Task, f.Triggers, f.Last = nil, nil, nil
			return f
		}, 0, "task-missing:critical"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f()
			info, fs := EvalTask(now, f, tc.maxAge)
			if got := codes(fs); got != tc.want {
				t.Fatalf("findings = %s\nwant       %s", got, tc.want)
			}
			if tc.name == "failed and stale" {
				if info.FailureStreak != 2 || info.LastSuccess.Format(time.RFC3339) != "2026-11-25T09:00:20Z" {
					t.Errorf("streak %d last success %v", info.FailureStreak, info.LastSuccess)
				}
			}
			if tc.name == "missing renamed" && !strings.Contains(strings.Join(fs[0].Evidence, " "), `--task "LM hourly"`) {
				t.Errorf("renamed task not suggested: %v", fs[0].Evidence)
			}
		})
	}
}

func TestSchedulerCause(t *testing.T) {
	title, _ := schedulerCause([]string{"Changing task state to Triggered", "No slave-nodes found. Task cannot be started"})
	if !strings.Contains(title, "no node") {
		t.Errorf("title = %q", title)
	}
	title, _ = schedulerCause([]string{"App not found"})
	if !strings.Contains(title, "app no longer exists") {
		t.Errorf("title = %q", title)
	}
}

func TestWorse(t *testing.T) {
	if Worse(OK, Unknown) != Unknown || Worse(Critical, Unknown) != Critical || Worse(Warning, OK) != Warning {
		t.Error("severity order wrong")
	}
}

// TestEvalTaskWhileARunGoes: a failing task whose next run just started is
// judged by the last run that ended, not by the one that says nothing yet.
func TestEvalTaskWhileARunGoes(t *testing.T) {
	now := time.Date(2026, 11, 27, 18, 5, 10, 0, time.UTC)
	going := Execution{ID: "r3", Status: "Started", StatusID: 2, Outcome: Running, Start: now.Add(-10 * time.Second)}
	failed := func(id string, h int) Execution {
		start := now.Add(-time.Duration(h)*time.Hour - 5*time.Second)
		return Execution{ID: id, Status: "FinishedFail", StatusID: 8, Outcome: Failed, Start: start, Stop: start.Add(23 * time.Second), Duration: 23 * time.Second}
	}
	f := &TaskFacts{AppName: "License Monitor", TaskName: "Reload License Monitor", AppFound: true, AppLastReload: now.Add(-3 * time.Hour),
		Task:     &TaskDef{ID: "t", Name: "Reload License Monitor", Enabled: true},
		Triggers: []Trigger{{Name: "hourly", Kind: "schema", Enabled: true, Every: time.Hour, NextExecution: now.Add(time.Hour)}},
		Last:     &going, History: []Execution{going, failed("r2", 1), failed("r1", 2)}}
	_, out := EvalTask(now, f, 0)
	var got *Finding
	for i := range out {
		if out[i].Code == "task-failed" {
			got = &out[i]
		}
	}
	if got == nil || got.Severity != Critical || !strings.HasPrefix(got.Title, `Last completed run of "Reload License Monitor" failed 59m`) {
		t.Fatalf("findings %+v: want the last completed run's failure", out)
	}
	ev := strings.Join(got.Evidence, "; ")
	for _, want := range []string{"a run is going now: started at 2026-11-27T18:05:00Z, for 10s so far", "2 failed runs in a row"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence %q lacks %q", ev, want)
		}
	}

	// A run going after a success is fine, and says it runs.
	ok := failed("r2", 1)
	ok.Status, ok.StatusID, ok.Outcome = "FinishedSuccess", 7, Succeeded
	f.History = []Execution{going, ok}
	_, out = EvalTask(now, f, 0)
	for _, fd := range out {
		if fd.Code == "task-running" && (fd.Severity != OK || !strings.Contains(strings.Join(fd.Evidence, " "), "running for 10s")) {
			t.Errorf("running after a success: %+v", fd)
		}
		if fd.Code == "task-failed" {
			t.Errorf("a failure reported after a success: %+v", fd)
		}
	}
}
