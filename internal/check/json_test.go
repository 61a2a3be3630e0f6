package check

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestJSONTimesAreUTCSeconds: every time of a check's JSON (the check's
// own, the task's, its runs', the license's) is RFC 3339 UTC to the second,
// whatever zone and precision it came in, and the report itself, which
// serve shares between requests, is not changed.
func TestJSONTimesAreUTCSeconds(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	at := time.Date(2026, 11, 27, 16, 31, 2, 132_000_000, paris)
	run := Execution{Status: "FinishedFail", Start: at.Add(-time.Minute), Stop: at.Add(-10 * time.Second)}
	task := &TaskInfo{Name: "Reload License Monitor", NextExecution: at.Add(time.Hour), LastSuccess: at.Add(-time.Hour),
		AppLastReload: at.Add(-time.Hour), Last: &run, History: []Execution{run},
		Triggers: []Trigger{{Name: "hourly", Kind: "schema", Enabled: true, NextExecution: at.Add(time.Hour)}}}
	r := &Report{Site: "prod", CheckedAt: at, Task: task, Apps: []AppReport{{App: LicenseMonitorApp, Task: task}},
		License: &LicenseInfo{ValidTo: at.AddDate(1, 0, 0)}, Fix: &run}
	var b bytes.Buffer
	if err := WriteJSON(&b, []*Report{r}); err != nil {
		t.Fatal(err)
	}
	var times []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			if _, err := time.Parse(time.RFC3339Nano, v); err == nil {
				times = append(times, v)
			}
		}
	}
	var doc any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	walk(doc)
	if len(times) != 20 { // checkedAt; 8 in the task, twice (report and app); validTo; the fix run's 2
		t.Errorf("found %d times in the JSON, want 20:\n%s", len(times), b.String())
	}
	for _, s := range times {
		if len(s) != len("2026-11-27T15:31:02Z") || !strings.HasSuffix(s, "Z") {
			t.Errorf("time %q is not RFC 3339 UTC to the second", s)
		}
	}
	if !strings.Contains(b.String(), `"checkedAt": "2026-11-27T15:31:02Z"`) {
		t.Errorf("checkedAt not in UTC seconds:\n%s", b.String())
	}
	if r.CheckedAt != at || task.Last.Start != at.Add(-time.Minute) || task.History[0].Stop != at.Add(-10*time.Second) {
		t.Error("WriteJSON changed the report it was given")
	}
}

// TestRunDurationsSayWhichIsWhich: the task's run time and the script's
// are told apart in the text (issue #13: "ran for 2s" beside "took 51s").
func TestRunDurationsSayWhichIsWhich(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	f := &TaskFacts{AppName: LicenseMonitorApp, TaskName: "Reload License Monitor", AppFound: true, AppLastReload: now.Add(-time.Hour),
		Task: &TaskDef{ID: "t1", Name: "Reload License Monitor", Enabled: true},
		Last: &Execution{Status: "FinishedFail", Outcome: Failed, Start: now.Add(-time.Hour), Stop: now.Add(-time.Hour + 51*time.Second), Duration: 51 * time.Second}}
	_, fs := EvalTask(now, f, 0)
	var ev string
	for _, fd := range fs {
		if fd.Code == "task-failed" {
			ev = strings.Join(fd.Evidence, "\n")
		}
	}
	if !strings.Contains(ev, "the task took 51s from start to finish") {
		t.Errorf("task-failed evidence does not say the task took 51s from start to finish:\n%s", ev)
	}
}
