package check

import (
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/qrs"
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

func TestLicenseEnd(t *testing.T) {
	slk := &qrs.License{Key: "eyJ", KeyDetails: "Serial: 0000\nValid To: 2027-03-31T00:00:00Z\nOther: x"}
	if end, ok := slk.ValidTo(); !ok || end.Format("2006-01-02") != "2027-03-31" {
		t.Errorf("signed key end = %v %v", end, ok)
	}
	lef := &qrs.License{LEF: "XXX\r\nInternal Qlik License 2017;;;\r\nQlik Sense Enterprise;;;\r\nPRODUCTLEVEL;50;;2018-01-30\r\nTOKENS;XXX;;\r\nTIMELIMIT;;;XXX-01-30\r\nXXX"}
	if end, ok := lef.ValidTo(); !ok || end.Format("2006-01-02") != "2018-01-30" {
		t.Errorf("LEF end = %v %v", end, ok)
	}
	if _, ok := (&qrs.License{KeyDetails: "no dates"}).ValidTo(); ok {
		t.Error("found an end in a license without one")
	}
}

func ts(s string) qrs.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return qrs.Time{Time: t}
}

func never() qrs.Time { return ts("1753-01-01T00:00:00Z") }

func facts(status qrs.TaskExecutionStatus, lastReload string) *taskFacts {
	last := &qrs.ExecutionResultCondensed{ID: "e1", Status: status, StartTime: ts("2026-11-26T09:00:00Z"), StopTime: ts("2026-11-26T09:00:20Z"), Duration: 20000, ExecutingNodeName: "qs1"}
	task := &qrs.ReloadTask{Name: "Reload License Monitor", Enabled: true, TaskSessionTimeout: 1440,
		App:         &qrs.AppCondensed{Name: "License Monitor"},
		Operational: &qrs.TaskOperational{LastExecutionResult: last, NextExecution: ts("2026-11-26T11:00:00Z")}}
	task.ID = "t1"
	app := &qrs.App{Name: "License Monitor", LastReloadTime: ts(lastReload)}
	return &taskFacts{appName: "License Monitor", taskName: task.Name, task: task, app: app,
		schema: []qrs.SchemaEvent{{Name: "Reload License Monitor Schema", Enabled: true, IncrementOption: 1, IncrementDescription: "0 1 0 0"}}}
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
		f      func() *taskFacts
		maxAge time.Duration
		want   string
	}{
		{"healthy", func() *taskFacts { return facts(qrs.StatusFinishedSuccess, "2026-11-26T09:00:20Z") }, 0,
			"task-succeeded:ok app-fresh:ok"},
		{"failed and stale", func() *taskFacts {
			f := facts(qrs.StatusFinishedFail, "2026-11-25T09:00:00Z")
			f.history = []qrs.ExecutionResult{
				{ExecutionResultCondensed: qrs.ExecutionResultCondensed{Status: qrs.StatusFinishedFail, StartTime: ts("2026-11-26T09:00:00Z")}},
				{ExecutionResultCondensed: qrs.ExecutionResultCondensed{Status: qrs.StatusFinishedFail, StartTime: ts("2026-11-26T08:00:00Z")}},
				{ExecutionResultCondensed: qrs.ExecutionResultCondensed{Status: qrs.StatusFinishedSuccess, StartTime: ts("2026-11-25T09:00:00Z"), StopTime: ts("2026-11-25T09:00:20Z")}},
			}
			return f
		}, 0, "task-failed:critical app-stale:critical"},
		{"success but stale", func() *taskFacts { return facts(qrs.StatusFinishedSuccess, "2026-11-20T09:00:00Z") }, 0,
			"task-succeeded:ok app-stale:critical"},
		{"max age", func() *taskFacts { return facts(qrs.StatusFinishedSuccess, "2026-11-26T08:00:00Z") }, 30 * time.Minute,
			"task-succeeded:ok app-stale:critical"},
		{"late", func() *taskFacts { return facts(qrs.StatusFinishedSuccess, "2026-11-26T08:20:00Z") }, 0,
			"task-succeeded:ok app-late:warning"},
		{"disabled no trigger", func() *taskFacts {
			f := facts(qrs.StatusFinishedSuccess, "2026-11-26T09:00:20Z")
			f.task.Enabled = false
			f.schema[0].Enabled = false
			return f
		}, 0, "task-disabled:critical task-no-trigger:warning task-succeeded:ok app-fresh:ok"},
		{"never run", func() *taskFacts {
			f := facts(qrs.StatusNeverStarted, "1753-01-01T00:00:00Z")
			f.app.LastReloadTime = never()
			return f
		}, 0, "task-never-run:warning app-never-reloaded:warning"},
		{"aborted", func() *taskFacts { return facts(qrs.StatusAborted, "2026-11-26T09:00:20Z") }, 0,
			"task-aborted:critical app-fresh:ok"},
		{"missing renamed", func() *taskFacts {
			f := facts(qrs.StatusFinishedSuccess, "2026-11-26T09:00:20Z")
			f.renamed = []qrs.ReloadTask{*f.task}
			f.renamed[0].Name = "LM hourly"
			f.task = nil
			return f
		}, 0, "task-missing:critical"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f()
			info, fs := evalTask(now, f, tc.maxAge)
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
