package sim_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

func sessionValue(t *testing.T, body []byte) string {
	t.Helper()
	var v struct{ Value string }
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("start response %s: %v", body, err)
	}
	return v.Value
}

func TestTaskStart(t *testing.T) {
	s := newSite(t, sim.Options{Users: 40})
	h := s.Handler()
	lm := lmTask(t, h)
	id := lm["id"].(string)

	w := call(t, h, "POST", "/qrs/task/"+id+"/start/synchronous", "")
	if w.Code != 201 {
		t.Fatalf("start/synchronous: %d", w.Code)
	}
	sess := sessionValue(t, w.Body.Bytes())
	if sess == sim.NullGUID || len(sess) != 36 {
		t.Fatalf("session id %q", sess)
	}
	if w := call(t, h, "GET", "/qrs/executionsession/"+sess, ""); w.Code != 404 {
		t.Errorf("instant run: session still there (%d)", w.Code)
	}
	res := list(t, h, "/qrs/executionresult/full?filter="+q("executionID eq "+sess))
	if len(res) != 1 || res[0]["status"].(float64) != 7 || res[0]["taskID"] != id {
		t.Fatalf("execution result: %v", res)
	}
	var msgs []string
	for _, d := range res[0]["details"].([]any) {
		msgs = append(msgs, d.(map[string]any)["message"].(string))
	}
	want := []string{"Changing task state to Triggered", "Trying to start task. Sending task to slave-node qlikserver1.corp.example",
		"Changing task state from Triggered to Started", "Reference to scriptlog added", "Changing task state from Started to FinishedSuccess"}
	if strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Errorf("details %q", msgs)
	}
	if lastResult(lmTask(t, h))["id"] != res[0]["id"] {
		t.Error("operational.lastExecutionResult not updated")
	}
	loc := res[0]["scriptLogLocation"].(string)
	if !regexp.MustCompile(`^qlikserver1\.corp\.example\\Script\\[0-9a-f-]{36}\.\d{8}T\d{6}\.\d{3}\+0000\.[0-9A-F]{20}\.log$`).MatchString(loc) {
		t.Errorf("scriptLogLocation %q", loc)
	}
	if res[0]["scriptLogSize"].(float64) <= 0 || res[0]["duration"].(float64) <= 0 {
		t.Errorf("size %v duration %v", res[0]["scriptLogSize"], res[0]["duration"])
	}

	if w := call(t, h, "POST", "/qrs/task/"+id+"/start", ""); w.Code != 204 {
		t.Errorf("async start: %d", w.Code)
	}
	if w := call(t, h, "POST", "/qrs/task/start?name="+q("Reload License Monitor"), ""); w.Code != 204 {
		t.Errorf("start by name: %d", w.Code)
	}
	if w := call(t, h, "POST", "/qrs/task/00000000-0000-0000-0000-000000000009/start", ""); w.Code != 404 {
		t.Errorf("unknown task: %d", w.Code)
	}
	// a disabled task does not start: empty GUID
	d := newSite(t, sim.Options{Users: 20, Scenario: "lm-disabled"}).Handler()
	w = call(t, d, "POST", "/qrs/task/"+lmTask(t, d)["id"].(string)+"/start/synchronous", "")
	if w.Code != 201 || sessionValue(t, w.Body.Bytes()) != sim.NullGUID {
		t.Errorf("disabled task: %d %s", w.Code, w.Body.String())
	}
}

func TestRunningSession(t *testing.T) {
	s := newSite(t, sim.Options{Users: 40, TaskRunTime: 2 * time.Minute})
	h := s.Handler()
	id := lmTask(t, h)["id"].(string)
	sess := sessionValue(t, call(t, h, "POST", "/qrs/task/"+id+"/start/synchronous", "").Body.Bytes())
	running := object(t, h, "/qrs/executionsession/"+sess)
	if running["executionResult"].(map[string]any)["status"].(float64) != 2 {
		t.Errorf("running session status %v", running["executionResult"])
	}
	if st := lastResult(lmTask(t, h))["status"].(float64); st != 2 {
		t.Errorf("task status while running %v, want 2 (Started)", st)
	}
	// One run at a time, as Qlik's scheduler: a start while it runs is
	// refused (the synchronous start answers the null session) and adds
	// no run.
	if again := sessionValue(t, call(t, h, "POST", "/qrs/task/"+id+"/start/synchronous", "").Body.Bytes()); again != sim.NullGUID {
		t.Errorf("a second start while the task runs got session %s, want the null GUID", again)
	}
	if w := call(t, h, "POST", "/qrs/task/start/many", `["`+id+`"]`); w.Code != http.StatusNoContent {
		t.Errorf("start/many: %d", w.Code)
	}
	if last := lastResult(lmTask(t, h)); last["executionID"] != running["executionResult"].(map[string]any)["executionID"] {
		t.Errorf("a refused start replaced the running one: %v", last)
	}
	s.Advance(3 * time.Minute)
	if w := call(t, h, "GET", "/qrs/executionsession/"+sess, ""); w.Code != 404 {
		t.Errorf("finished session: %d, want 404", w.Code)
	}
	last := lastResult(lmTask(t, h))
	if last["status"].(float64) != 7 || last["stopTime"].(string) == "1753-01-01T00:00:00.000Z" {
		t.Errorf("after the run: %v", last)
	}
	if again := sessionValue(t, call(t, h, "POST", "/qrs/task/"+id+"/start/synchronous", "").Body.Bytes()); again == sim.NullGUID {
		t.Error("a start after the run ended was refused")
	}
}

var lineRE = regexp.MustCompile(`^ *(\d{8}T\d{6}\.\d{3}[+-]\d{4}|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})( \d{4} |      )`)

func checkLogFormat(t *testing.T, body string, old bool) {
	t.Helper()
	if !strings.HasPrefix(body, "\uFEFF") {
		t.Error("script log lacks the UTF-8 BOM")
	}
	if !strings.HasSuffix(body, "\r\n") || strings.Contains(strings.ReplaceAll(body, "\r\n", ""), "\n") {
		t.Error("script log lines must end in CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(body, "\uFEFF"), "\r\n"), "\r\n")
	for i, l := range lines {
		m := lineRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %d not in script-log format: %q", i+1, l)
		}
		if isOld := strings.Contains(m[1], "-") && !strings.Contains(m[1], "T"); isOld != old {
			t.Fatalf("line %d timestamp style %q, old=%v", i+1, m[1], old)
		}
	}
	if !strings.Contains(lines[0], "Execution started.") {
		t.Errorf("first line %q", lines[0])
	}
}

func TestScriptLogTickets(t *testing.T) {
	s := newSite(t, sim.Options{Users: 40, Scenario: "lm-failing-rest-401"})
	h := s.Handler()
	lm := lmTask(t, h)
	last := lastResult(lm)
	if last["status"].(float64) != 8 {
		t.Fatalf("status %v", last["status"])
	}
	// new API
	w := call(t, h, "GET", "/qrs/ReloadTask/"+lm["id"].(string)+"/scriptlogfile?executionResultId="+last["id"].(string), "")
	tk := sessionValue(t, w.Body.Bytes())
	d := call(t, h, "GET", "/qrs/download/reloadtask/"+tk+"/scriptlog.txt", "")
	if d.Code != 200 || d.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("download: %d %q", d.Code, d.Header().Get("Content-Type"))
	}
	body := d.Body.String()
	checkLogFormat(t, body, false)
	for _, want := range []string{"LIB CONNECT TO 'monitor_apps_REST_license_user'", "      Connected.\r\n",
		"HTTP protocol error 401 (Unauthorized):\r\n", "Requested resource requires authentication.",
		"Error: HTTP protocol error 401 (Unauthorized):", "      Execution Failed\r\n", "UserDirectory=INTERNAL; UserId=sa_scheduler"} {
		if !strings.Contains(body, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if int(last["scriptLogSize"].(float64)) != len(body) {
		t.Errorf("scriptLogSize %v, body %d bytes", last["scriptLogSize"], len(body))
	}
	// single use
	if d := call(t, h, "GET", "/qrs/download/reloadtask/"+tk+"/scriptlog.txt", ""); d.Code != 404 {
		t.Errorf("ticket reused: %d", d.Code)
	}
	// old API via fileReferenceID
	w = call(t, h, "GET", "/qrs/reloadtask/"+lm["id"].(string)+"/scriptlog?fileReferenceId="+last["fileReferenceID"].(string), "")
	d = call(t, h, "GET", "/qrs/download/reloadtask/"+sessionValue(t, w.Body.Bytes())+"/x.log", "")
	if d.Code != 200 || d.Body.String() != body {
		t.Errorf("old API download: %d, same body %v", d.Code, d.Body.String() == body)
	}
	if w := call(t, h, "GET", "/qrs/reloadtask/"+lm["id"].(string)+"/scriptlog?fileReferenceId="+sim.NullGUID, ""); w.Code != 404 {
		t.Errorf("null fileReferenceId: %d", w.Code)
	}
	// the healthy OM log succeeded in the same site
	om := list(t, h, "/qrs/reloadtask/full?filter="+q("name eq 'Reload Operations Monitor'"))[0]
	if code, log := downloadLog(t, h, om); code != 200 || !strings.HasSuffix(log, "Execution finished.\r\n") {
		t.Errorf("OM log %d: %q", code, log[max(0, len(log)-60):])
	}
}

func TestPresets(t *testing.T) {
	cases := map[string]struct {
		status float64 // -1: task absent
		logHas []string
		noLog  bool
		extra  func(t *testing.T, h http.Handler, lm map[string]any)
	}{
		"healthy":                    {status: 7, logHas: []string{"Execution finished.\r\n", "lines fetched"}},
		"lm-failing-rest-401":        {status: 8, logHas: []string{"HTTP protocol error 401 (Unauthorized):"}},
		"lm-failing-rest-404":        {status: 8, logHas: []string{"HTTP protocol error 404 (Not Found):"}},
		"lm-failing-rest-403":        {status: 8, logHas: []string{"HTTP protocol error 403 (Forbidden):"}},
		"lm-failing-rest-http-502":   {status: 8, logHas: []string{"HTTP protocol error 502 (Bad Gateway):"}},
		"lm-failing-rest-connect":    {status: 8, logHas: []string{"Error: QVX_UNEXPECTED_END_OF_DATA:", "SSL/TLS"}},
		"lm-failing-file-not-found":  {status: 8, logHas: []string{"Error: Cannot open file: 'lib://ArchivedLogsFolder\\", "(Native Path: \\\\"}},
		"lm-failing-field-not-found": {status: 8, logHas: []string{"Error: Field 'SessionId' not found"}},
		"lm-failing-table-not-found": {status: 8, logHas: []string{"Error: Table 'FileListTemp' not found"}},
		"lm-failing-syntax-error":    {status: 8, logHas: []string{"Error: Unexpected token:"}},
		"lm-failing-out-of-memory":   {status: 8, logHas: []string{"Error: Out of memory"}},
		"lm-aborted":                 {status: 6},
		"lm-timeout":                 {status: 8, logHas: []string{"The operation has timed out."}},
		"lm-connection-missing":      {status: 8, logHas: []string{"LIB CONNECT TO 'monitor_apps_REST_license_overview'\r\n", "Error: Connection 'monitor_apps_REST_license_overview' not found"}},
		"lm-no-worker":               {status: 8, noLog: true},
		"lm-disabled":                {status: 7},
		"lm-missing":                 {status: -1},
		"lm-stale":                   {status: 7},
		"lm-never-run":               {status: 0, noLog: true},
		"license-expired":            {status: 7},
		"license-expiring":           {status: 7},
		"ntlm-kerberos":              {status: 8, logHas: []string{"HTTP protocol error 401 (Unauthorized):"}},
		"old-version":                {status: 7},
		"tokens":                     {status: 7},
		"at-capacity":                {status: 7},
		"license-reduced":            {status: 7},
		"capacity-exhausted":         {status: 7},
		"capacity-overage":           {status: 7},
		"idle-allocations":           {status: 7},
	}
	if len(cases) != len(sim.Scenarios()) {
		t.Errorf("%d presets tested, %d exist", len(cases), len(sim.Scenarios()))
	}
	for _, sc := range sim.Scenarios() {
		c, ok := cases[sc.Name]
		if !ok {
			t.Errorf("preset %s untested", sc.Name)
			continue
		}
		if sc.Description == "" {
			t.Errorf("preset %s has no description", sc.Name)
		}
		t.Run(sc.Name, func(t *testing.T) {
			s := newSite(t, sim.Options{Users: 60, HistoryDays: 30, Scenario: sc.Name})
			h := s.Handler()
			ts := list(t, h, "/qrs/reloadtask/full?filter="+q("name eq 'Reload License Monitor'"))
			if c.status < 0 {
				if len(ts) != 0 {
					t.Fatalf("task present")
				}
				return
			}
			if len(ts) != 1 {
				t.Fatalf("%d LM tasks", len(ts))
			}
			lm := ts[0]
			last := lastResult(lm)
			if last["status"].(float64) != c.status {
				t.Fatalf("status %v, want %v", last["status"], c.status)
			}
			code, body := downloadLog(t, h, lm)
			if c.noLog {
				if code != 404 || last["fileReferenceID"] != sim.NullGUID {
					t.Errorf("want no script log, got %d fileReferenceID %v", code, last["fileReferenceID"])
				}
			} else {
				if code != 200 {
					t.Fatalf("log download %d", code)
				}
				checkLogFormat(t, body, sc.Name == "old-version")
				for _, w := range c.logHas {
					if !strings.Contains(body, w) {
						t.Errorf("log lacks %q; tail: %q", w, body[max(0, len(body)-400):])
					}
				}
				if c.status == 8 && !strings.HasSuffix(strings.TrimSuffix(body, "\r\n"), "Execution Failed") {
					t.Errorf("failed log must end with Execution Failed")
				}
			}
			presetChecks(t, sc.Name, h, lm, last)
		})
	}
}

func presetChecks(t *testing.T, name string, h http.Handler, lm, last map[string]any) {
	var msgs string
	for _, d := range last["details"].([]any) {
		msgs += d.(map[string]any)["message"].(string) + "\n"
	}
	next := lm["operational"].(map[string]any)["nextExecution"].(string)
	start, _ := time.Parse(time.RFC3339, last["startTime"].(string))
	switch {
	case strings.HasPrefix(name, "lm-failing") || name == "lm-timeout" || name == "lm-connection-missing":
		if !strings.Contains(msgs, "Message from ReloadProvider: Reload failed in Engine. Check engine or script logs.") ||
			!strings.Contains(msgs, "Changing task state from Started to FinishedFail") {
			t.Errorf("details %q", msgs)
		}
		fails := list(t, h, "/qrs/executionresult?filter="+q("taskID eq "+lm["id"].(string)+" and status eq FinishedFail"))
		if len(fails) < 2 {
			t.Errorf("failure streak: %d failed runs", len(fails))
		}
	}
	ov := object(t, h, "/qrs/license/accesstypeoverview")
	pro, ana := ov["professionalAccess"].(map[string]any), ov["analyzerAccess"].(map[string]any)
	num := func(m map[string]any, k string) int { return int(m[k].(float64)) }
	for _, d := range []map[string]any{pro, ana} {
		if name != "license-reduced" && num(d, "excess") != 0 {
			t.Errorf("excess %d without a license reduction", num(d, "excess"))
		}
		if name != "license-reduced" && num(d, "allocated")+num(d, "quarantined") > num(d, "total") {
			t.Errorf("allocated %d + quarantined %d beyond the total %d", num(d, "allocated"), num(d, "quarantined"), num(d, "total"))
		}
	}
	switch name {
	case "at-capacity":
		if num(pro, "allocated") != num(pro, "total") || num(pro, "available") != 0 || num(ana, "available") == 0 {
			t.Errorf("at-capacity: professional %v, analyzer %v", pro, ana)
		}
	case "license-reduced":
		if num(pro, "excess") == 0 || num(pro, "excess") != num(pro, "allocated")-num(pro, "total") {
			t.Errorf("license-reduced: professional %v", pro)
		}
		ex := list(t, h, "/qrs/license/professionalaccesstype/full?filter="+q("excess eq true"))
		if len(ex) != num(pro, "excess") {
			t.Errorf("%d rows flagged excess, overview says %d", len(ex), num(pro, "excess"))
		}
	case "capacity-overage":
		if l := object(t, h, "/qrs/license"); !strings.Contains(l["keyDetails"].(string), "Analyzer Capacity Overage: allowed") {
			t.Errorf("keyDetails %q does not say overage is allowed", l["keyDetails"])
		}
	case "capacity-exhausted":
		tm := ov["analyzerTimeAccess"].(map[string]any)
		if num(tm, "usedMinutes") > num(tm, "allocatedMinutes") {
			t.Errorf("capacity used %d of %d without overage", num(tm, "usedMinutes"), num(tm, "allocatedMinutes"))
		}
	case "lm-connection-missing":
		if n := list(t, h, "/qrs/dataconnection?filter="+q("name eq 'monitor_apps_REST_license_overview'")); len(n) != 0 {
			t.Error("connection still present")
		}
	case "lm-no-worker":
		if !strings.Contains(msgs, "No slave-nodes found") || last["scriptLogLocation"] != "" {
			t.Errorf("no-worker details %q, location %q", msgs, last["scriptLogLocation"])
		}
	case "lm-aborted":
		if !strings.Contains(msgs, "Changing task state from Aborting to Aborted") || last["duration"].(float64) < 1440*60*1000 {
			t.Errorf("aborted: %q duration %v", msgs, last["duration"])
		}
	case "lm-disabled":
		if lm["enabled"] != false || next != "1753-01-01T00:00:00.000Z" {
			t.Errorf("enabled %v next %v", lm["enabled"], next)
		}
	case "lm-stale":
		ev := list(t, h, "/qrs/schemaevent/full?filter="+q("reloadTask.id eq "+lm["id"].(string)))
		app := object(t, h, "/qrs/app/"+lm["app"].(map[string]any)["id"].(string))
		lr, _ := time.Parse(time.RFC3339, app["lastReloadTime"].(string))
		if len(ev) != 1 || ev[0]["enabled"] != false || fixedNow.Sub(start) < 19*24*time.Hour || fixedNow.Sub(lr) < 19*24*time.Hour {
			t.Errorf("stale: trigger %v, last start %v, app reload %v", ev, start, lr)
		}
	case "lm-never-run":
		if last["startTime"] != "1753-01-01T00:00:00.000Z" || len(last["details"].([]any)) != 0 {
			t.Errorf("never run: %v", last)
		}
	case "license-expired", "license-expiring":
		lic := object(t, h, "/qrs/license")
		m := regexp.MustCompile(`Valid To: (\d{4}-\d{2}-\d{2})`).FindStringSubmatch(lic["keyDetails"].(string))
		if m == nil {
			t.Fatalf("keyDetails %q", lic["keyDetails"])
		}
		vt, _ := time.Parse("2006-01-02", m[1])
		expired := name == "license-expired"
		if lic["isExpired"] != expired || vt.Before(fixedNow) != expired || (!expired && vt.Sub(fixedNow) > 30*24*time.Hour) {
			t.Errorf("%s: isExpired %v, valid to %v", name, lic["isExpired"], vt)
		}
	case "ntlm-kerberos":
		ps := list(t, h, "/qrs/proxyservice/full")
		if ps[0]["settings"].(map[string]any)["kerberosAuthentication"] != true {
			t.Error("proxy Kerberos not enabled")
		}
		c := list(t, h, "/qrs/dataconnection/full?filter="+q("name sw 'monitor_apps_REST_'"))
		if len(c) < 10 || !strings.Contains(c[0]["connectionstring"].(string), "authSchema=ntlm") {
			t.Errorf("REST connections: %d", len(c))
		}
	case "tokens":
		ov := object(t, h, "/qrs/license/accesstypeoverview")
		if ov["tokensEnabled"] != true || ov["professionalAccess"].(map[string]any)["enabled"] != false {
			t.Errorf("tokens overview %v", ov)
		}
		if !strings.Contains(object(t, h, "/qrs/license")["lef"].(string), "TOKENS;") {
			t.Error("LEF lacks TOKENS")
		}
	case "healthy":
		if fixedNow.Sub(start) > time.Hour || next <= fixedNow.Format(time.RFC3339) {
			t.Errorf("healthy: last start %v next %v", start, next)
		}
		cs := list(t, h, "/qrs/dataconnection/full?filter="+q("(name sw 'monitor_apps_REST_')"))
		if len(cs) != 13 {
			t.Errorf("%d monitor_apps_REST_ connections", len(cs))
		}
		for _, n := range []string{"ServerLogFolder", "ArchivedLogsFolder"} {
			if len(list(t, h, "/qrs/dataconnection?filter="+q("name eq '"+n+"'"))) != 1 {
				t.Errorf("%s missing", n)
			}
		}
		apps := list(t, h, "/qrs/app?filter="+q("stream.name eq 'Monitoring apps'"))
		if len(apps) < 2 {
			t.Errorf("monitoring apps: %d", len(apps))
		}
	}
}

func TestScenarioYAML(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "lm.log")
	os.WriteFile(logFile, []byte("\uFEFF20260310T110000.000+0100      Execution started.\r\n"), 0o644)
	yml := filepath.Join(dir, "site.yaml")
	os.WriteFile(yml, []byte(`name: custom
users: 25
download404: 2
quarantineModel: lef
license:
  professional: 5
tasks:
  - name: Reload License Monitor
    failure: rest-403
    failureStreak: 3
    scriptLog: lm.log
`), 0o644)
	s, err := sim.New(sim.Options{Scenario: yml, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	lm := lmTask(t, h)
	if lastResult(lm)["status"].(float64) != 8 {
		t.Fatal("yaml failure not applied")
	}
	for i := 0; i < 2; i++ {
		if code, _ := downloadLog(t, h, lm); code != 404 {
			t.Fatalf("download %d: %d, want early 404", i+1, code)
		}
	}
	code, body := downloadLog(t, h, lm)
	if code != 200 || body != "\uFEFF20260310T110000.000+0100      Execution started.\r\n" {
		t.Errorf("scenario script log: %d %q", code, body)
	}
	ov := object(t, h, "/qrs/license/accesstypeoverview")["professionalAccess"].(map[string]any)
	if ov["total"].(float64) != 5 || ov["excess"].(float64) != ov["allocated"].(float64)-5 {
		t.Errorf("license size / excess: %v", ov)
	}

	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(bad, []byte("userz: 3\n"), 0o644)
	if _, err := sim.New(sim.Options{Scenario: bad}); err == nil || !strings.Contains(err.Error(), "userz") {
		t.Errorf("unknown key: %v", err)
	}
	os.WriteFile(bad, []byte("tasks:\n  - failure: nope\n"), 0o644)
	if _, err := sim.New(sim.Options{Scenario: bad}); err == nil || !strings.Contains(err.Error(), "rest-401") {
		t.Errorf("bad failure kind: %v", err)
	}
	if _, err := sim.New(sim.Options{Scenario: "no-such-preset"}); err == nil || !strings.Contains(err.Error(), "healthy") {
		t.Errorf("unknown preset: %v", err)
	}
}

func TestSetTaskOutcome(t *testing.T) {
	s := newSite(t, sim.Options{Users: 30})
	h := s.Handler()
	if err := s.SetTaskOutcome("Reload License Monitor", sim.Outcome{Failure: sim.FailRest401, Runs: 1}); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Hour)
	if st := lastResult(lmTask(t, h))["status"].(float64); st != 8 {
		t.Fatalf("next scheduled run status %v, want 8", st)
	}
	s.Advance(time.Hour)
	if st := lastResult(lmTask(t, h))["status"].(float64); st != 7 {
		t.Fatalf("run after the one-shot failure: %v, want 7", st)
	}
	if err := s.SetTaskOutcome("nope", sim.Outcome{}); err == nil {
		t.Error("unknown task accepted")
	}
}

// TestScheduledRunRuns: a scheduled run is going from its trigger until its
// end, as on a real site: the task shows it Started with no stop time, it
// has an execution session, the app keeps its last reload, and a start of
// the task meanwhile is refused; once it ended, it shows its outcome and
// the task starts again.
func TestScheduledRunRuns(t *testing.T) {
	now := fixedNow
	s := newSite(t, sim.Options{Users: 40, Now: func() time.Time { return now }})
	h := s.Handler()
	lm := lmTask(t, h)
	id := lm["id"].(string)
	next, err := time.Parse(time.RFC3339, lm["operational"].(map[string]any)["nextExecution"].(string))
	if err != nil {
		t.Fatal(err)
	}
	appReload := object(t, h, "/qrs/app/"+lm["app"].(map[string]any)["id"].(string))["lastReloadTime"]

	now = next.Add(2 * time.Second)
	last := lastResult(lmTask(t, h))
	if last["status"].(float64) != 2 || last["stopTime"] != "1753-01-01T00:00:00.000Z" {
		t.Fatalf("the scheduled run 2s after its trigger: status %v, stop %v; want Started with no stop", last["status"], last["stopTime"])
	}
	if got := object(t, h, "/qrs/app/"+lm["app"].(map[string]any)["id"].(string))["lastReloadTime"]; got != appReload {
		t.Errorf("the app's last reload moved to %v while its reload runs (was %v)", got, appReload)
	}
	lmSessions := func() (n int) {
		for _, ss := range list(t, h, "/qrs/executionsession/full") {
			if ss["reloadTask"].(map[string]any)["id"] == id {
				n++
			}
		}
		return n
	}
	if n := lmSessions(); n != 1 {
		t.Errorf("%d execution sessions of the task while its scheduled run goes, want 1", n)
	}
	if again := sessionValue(t, call(t, h, "POST", "/qrs/task/"+id+"/start/synchronous", "").Body.Bytes()); again != sim.NullGUID {
		t.Errorf("a start beside the scheduled run got session %s, want the null GUID", again)
	}

	now = next.Add(10 * time.Minute)
	end := lastResult(lmTask(t, h))
	stop, err := time.Parse(time.RFC3339, end["stopTime"].(string))
	if end["id"] != last["id"] || (end["status"].(float64) != 7 && end["status"].(float64) != 8) || err != nil || !stop.After(next) || stop.After(now) {
		t.Fatalf("the scheduled run after its end: %v", end)
	}
	if n := lmSessions(); n != 0 {
		t.Errorf("%d execution sessions of the task after its run", n)
	}
	if end["status"].(float64) == 7 {
		if got := object(t, h, "/qrs/app/"+lm["app"].(map[string]any)["id"].(string))["lastReloadTime"]; got != end["stopTime"] {
			t.Errorf("app last reload %v, want the run's stop %v", got, end["stopTime"])
		}
	}
	if again := sessionValue(t, call(t, h, "POST", "/qrs/task/"+id+"/start/synchronous", "").Body.Bytes()); again == sim.NullGUID {
		t.Error("a start after the scheduled run ended was refused")
	}
}

// TestWallClockSiteIsNotInARun: a site on the wall clock (the demo, licmon
// sim, tests without a clock) is not built in the middle of its hourly run:
// the triggers fire about half an hour away, so what a check or a start sees
// right after does not depend on the minute it was built.
func TestWallClockSiteIsNotInARun(t *testing.T) {
	s, err := sim.New(sim.Options{Seed: 5, Users: 30, HistoryDays: 5})
	if err != nil {
		t.Fatal(err)
	}
	lm := lmTask(t, s.Handler())
	next, err := time.Parse(time.RFC3339, lm["operational"].(map[string]any)["nextExecution"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if until := time.Until(next); until < 20*time.Minute || until > 40*time.Minute {
		t.Errorf("next hourly run in %s, want about half an hour", until)
	}
	if st := lastResult(lm)["status"].(float64); st != 7 {
		t.Errorf("last run status %v right after the build, want 7 (FinishedSuccess)", st)
	}
}
