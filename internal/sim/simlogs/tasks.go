package simlogs

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The generator reads the simulated site's task executions and script logs
// the way any QRS client does, through its API (in process), so the
// scheduler rows and script logs it writes are the ones the site serves.
const xrf = "simlogsgenerator"

func (g *generator) qrs(path string, v any) ([]byte, error) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	req := httptest.NewRequest(http.MethodGet, path+sep+"xrfkey="+xrf, nil)
	req.Header.Set("X-Qlik-Xrfkey", xrf)
	req.Header.Set("X-Qlik-User", "UserDirectory=INTERNAL; UserId=sa_api")
	rec := httptest.NewRecorder()
	g.site.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("simulated QRS %s: HTTP %d", path, rec.Code)
	}
	b, err := io.ReadAll(rec.Body)
	if err != nil || v == nil {
		return b, err
	}
	return b, json.Unmarshal(b, v)
}

type qrsTask struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	App  *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"app"`
}

type qrsResult struct {
	ID                string          `json:"id"`
	TaskID            string          `json:"taskID"`
	AppID             string          `json:"appID"`
	Status            json.RawMessage `json:"status"`
	StartTime         time.Time       `json:"startTime"`
	StopTime          time.Time       `json:"stopTime"`
	FileReferenceID   string          `json:"fileReferenceID"`
	ScriptLogLocation string          `json:"scriptLogLocation"`
}

var taskStates = []string{"NeverStarted", "Triggered", "Started", "Queued", "AbortInitiated", "Aborting", "Aborted",
	"FinishedSuccess", "FinishedFail", "Skipped", "Retry", "Error", "Reset"}

func statusName(raw json.RawMessage) string {
	var n int
	if json.Unmarshal(raw, &n) == nil && n >= 0 && n < len(taskStates) {
		return taskStates[n]
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// tasks writes the scheduler's audit rows of every finished reload the site
// reports in [from, to) and the script log of each run whose log it keeps,
// under ArchivedLogs\<node>\Script\ as task reloads are archived.
func (g *generator) tasks(from, to time.Time, truth *Truth) error {
	var tasks []qrsTask
	if _, err := g.qrs("/qrs/reloadtask/full", &tasks); err != nil {
		return err
	}
	byID := map[string]qrsTask{}
	for _, t := range tasks {
		byID[t.ID] = t
	}
	var results []qrsResult
	if _, err := g.qrs("/qrs/executionresult/full", &results); err != nil {
		return err
	}
	script := filepath.Join(g.opts.Out, "ArchivedLogs", g.nodeDir, "Script")
	for _, r := range results {
		t, ok := byID[r.TaskID]
		status := statusName(r.Status)
		if !ok || r.StartTime.Before(from) || !r.StopTime.After(r.StartTime) || !r.StopTime.Before(to) ||
			(status != "FinishedSuccess" && status != "FinishedFail" && status != "Aborted") {
			continue
		}
		app := ""
		if t.App != nil {
			app = t.App.Name
		}
		base := map[string]string{"ProxySessionId": "0", "ProxyPackageId": "0", "RequestSequenceId": "0",
			"UserDirectory": "INTERNAL", "UserId": "sa_scheduler", "ObjectId": t.ID + "|" + r.AppID, "ObjectName": t.Name + "|" + app,
			"Service": "Scheduler"}
		start := clone(base)
		start["Command"], start["Result"], start["Description"] = "Start task", "0", "Command=Start task;Result=0;ResultText=Success"
		start["Message"] = "Changing task state to Triggered"
		g.add(r.StartTime, g.sched, id("trigger", r.ID), start)
		end := clone(base)
		result, text := "0", "Success"
		if status != "FinishedSuccess" {
			result, text = "65", "Error: Failed"
			truth.FailedTaskRuns++
		}
		end["Command"], end["Result"] = "Finished task", result
		end["Description"] = "Command=Finished task;Result=" + result + ";ResultText=" + text
		end["Message"] = "Task finished with state " + status
		g.add(r.StopTime, g.sched, id("finish", r.ID), end)
		truth.TaskRuns++
		if r.ScriptLogLocation == "" || strings.Trim(r.FileReferenceID, "0-") == "" {
			continue
		}
		var tk struct {
			Value string `json:"value"`
		}
		if _, err := g.qrs("/qrs/reloadtask/"+t.ID+"/scriptlogfile?executionResultId="+url.QueryEscape(r.ID), &tk); err != nil {
			continue // the site no longer keeps this log, as real sites do with old ones
		}
		body, err := g.qrs("/qrs/download/reloadtask/"+tk.Value+"/scriptlog.txt", nil)
		if err != nil {
			continue
		}
		name := r.ScriptLogLocation[strings.LastIndexAny(r.ScriptLogLocation, `\/`)+1:]
		if err := os.MkdirAll(script, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(script, name), body, 0o644); err != nil {
			return err
		}
		g.files++
		g.bytes += int64(len(body))
		truth.ScriptLogs++
	}
	return nil
}
