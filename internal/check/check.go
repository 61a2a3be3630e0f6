// Package check decides whether a site's License Monitor (and the other
// monitoring apps) is working, and if not, why: the reload task and its
// triggers, the last executions, the script log of a failed run, the
// freshness of the app's data, the monitor_apps_REST_* data connections and
// the site license.
//
// This package is the judging: pure functions over plain values (the facts
// a check gathered: TaskFacts, LicenseFacts, DataConnection, a script-log
// diagnosis) that return the report's parts and findings, so every rule is
// tested without a server, and the renderers (text, JSON, Nagios; render.go).
// Gathering the facts from the QRS and the files, saving script logs and
// --fix are in the sub-package inspect.
package check

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/scriptlog"
)

// LicenseMonitorApp is the name of the License Monitor app.
const LicenseMonitorApp = "License Monitor"

// Severity of a finding and of a whole check. The values are the Nagios
// plugin exit codes, so a check's status is its exit code.
type Severity int

// Severities, ordered so that the worst finding decides a check's status
// (Unknown ranks between Warning and Critical: a critical fact outweighs
// something that could not be decided).
const (
	OK       Severity = 0
	Warning  Severity = 1
	Critical Severity = 2
	Unknown  Severity = 3
)

var severityNames = [...]string{"ok", "warning", "critical", "unknown"}

func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalJSON writes the severity as its name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a severity name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return err
	}
	for i, n := range severityNames {
		if n == name {
			*s = Severity(i)
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q", name)
}

// rank orders severities by how bad they are.
func (s Severity) rank() int {
	switch s {
	case OK:
		return 0
	case Warning:
		return 1
	case Unknown:
		return 2
	default:
		return 3
	}
}

// WorstFor is the worst severity of the findings about app.
func WorstFor(fs []Finding, app string) Severity {
	s := OK
	for _, f := range fs {
		if f.App == app {
			s = Worse(s, f.Severity)
		}
	}
	return s
}

// Worse returns the worse of two severities.
func Worse(a, b Severity) Severity {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Finding is one fact the check established.
type Finding struct {
	// Code is stable and documented in the README, e.g. "task-failed".
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	// App is the monitoring app the finding is about, empty for site-wide ones.
	App      string   `json:"app,omitempty"`
	Title    string   `json:"title"`
	Evidence []string `json:"evidence,omitempty"`
	// Hint says what to change to fix it; empty for OK findings.
	Hint string `json:"hint,omitempty"`
}

// Execution is one run of a task, as the QMC's task history shows it.
type Execution struct {
	ID        string        `json:"id"`
	Status    string        `json:"status"`
	StatusID  int           `json:"statusCode"`
	Start     time.Time     `json:"start,omitzero"`
	Stop      time.Time     `json:"stop,omitzero"`
	Duration  time.Duration `json:"-"`
	DurationS float64       `json:"durationSeconds"`
	Node      string        `json:"node,omitempty"`
	Details   []string      `json:"details,omitempty"`
	// Outcome groups Status for the judging.
	Outcome Outcome `json:"-"`
}

// Trigger is a schema or composite event that starts a task.
type Trigger struct {
	Name          string        `json:"name"`
	Kind          string        `json:"kind"` // "schema" or "composite"
	Enabled       bool          `json:"enabled"`
	Every         time.Duration `json:"-"`
	EveryText     string        `json:"every,omitempty"`
	NextExecution time.Time     `json:"nextExecution,omitzero"`
}

// TaskInfo is what the check learnt about a reload task.
type TaskInfo struct {
	ID            string      `json:"id"`
	Name          string      `json:"name"`
	App           string      `json:"app"`
	AppID         string      `json:"appId,omitempty"`
	Enabled       bool        `json:"enabled"`
	Triggers      []Trigger   `json:"triggers"`
	NextExecution time.Time   `json:"nextExecution,omitzero"`
	Last          *Execution  `json:"lastExecution,omitempty"`
	History       []Execution `json:"history,omitempty"`
	// FailureStreak counts the failed runs since the last success.
	FailureStreak int       `json:"failureStreak"`
	LastSuccess   time.Time `json:"lastSuccess,omitzero"`
	// AppLastReload is the app's lastReloadTime, the data freshness.
	AppLastReload time.Time `json:"appLastReload,omitzero"`
}

// ScriptLog is the downloaded script log of the last failed run.
type ScriptLog struct {
	// Source is the QRS call that served it ("scriptlogfile" or "scriptlog").
	Source    string               `json:"source,omitempty"`
	SavedTo   string               `json:"savedTo,omitempty"`
	Bytes     int64                `json:"bytes"`
	Diagnosis *scriptlog.Diagnosis `json:"diagnosis,omitempty"`
	// Head and Tail are the first and last lines of the log (as many as
	// Options.LogHeadLines / LogTailLines ask for), captured while the log
	// streams, so alerts can quote it without keeping the whole file.
	Head []string `json:"head,omitempty"`
	Tail []string `json:"tail,omitempty"`
	// Error says why no log could be had.
	Error string `json:"error,omitempty"`
}

// Connection is one monitor_apps_REST_* data connection.
type Connection struct {
	Name        string `json:"name"`
	URL         string `json:"url,omitempty"`
	Host        string `json:"host,omitempty"`
	Port        string `json:"port,omitempty"`
	Prefix      string `json:"prefix,omitempty"`
	Path        string `json:"path,omitempty"`
	Auth        string `json:"auth"`
	Certificate string `json:"certificate,omitempty"`
}

// LicenseInfo summarises the site license.
type LicenseInfo struct {
	Model         string    `json:"model"`
	Name          string    `json:"name,omitempty"`
	Organization  string    `json:"organization,omitempty"`
	ValidTo       time.Time `json:"validTo,omitzero"`
	Expired       bool      `json:"expired"`
	Invalid       bool      `json:"invalid"`
	Blacklisted   bool      `json:"blacklisted"`
	OverviewRead  bool      `json:"accessTypeOverviewReadable"`
	Professional  *Seats    `json:"professional,omitempty"`
	Analyzer      *Seats    `json:"analyzer,omitempty"`
	CapacityMins  *Seats    `json:"analyzerCapacityMinutes,omitempty"`
	TokensTotal   int64     `json:"tokensTotal,omitempty"`
	TokensAvail   int64     `json:"tokensAvailable,omitempty"`
	OverviewError string    `json:"accessTypeOverviewError,omitempty"`
}

// Seats are the counters of one license type.
type Seats struct {
	Total     int64 `json:"total"`
	Allocated int64 `json:"allocated"`
	Available int64 `json:"available"`
}

// AppReport is the part of a check about one monitoring app.
type AppReport struct {
	App       string     `json:"app"`
	Status    Severity   `json:"status"`
	Task      *TaskInfo  `json:"task,omitempty"`
	ScriptLog *ScriptLog `json:"scriptLog,omitempty"`
}

// Report is the result of checking one site.
type Report struct {
	Site      string    `json:"site"`
	Server    string    `json:"server"`
	CheckedAt time.Time `json:"checkedAt"`
	// Took is how long the check ran.
	Took time.Duration `json:"-"`
	// TookMS is Took in milliseconds for JSON and perfdata.
	TookMS int64 `json:"durationMs"`
	// Status is the worst severity of all findings.
	Status   Severity  `json:"status"`
	Summary  string    `json:"summary"`
	Findings []Finding `json:"findings"`
	// Task is the License Monitor task (also in Apps when all apps are checked).
	Task        *TaskInfo    `json:"task"`
	ScriptLog   *ScriptLog   `json:"scriptLog,omitempty"`
	Apps        []AppReport  `json:"apps,omitempty"`
	Connections []Connection `json:"connections,omitempty"`
	License     *LicenseInfo `json:"license,omitempty"`
	// Fix is the result of --fix: the run that was started and how it ended.
	Fix *Execution `json:"fix,omitempty"`
}

// Add appends a finding.
func (r *Report) Add(f Finding) { r.Findings = append(r.Findings, f) }

// Finish computes the status and the one-line summary from the findings.
func (r *Report) Finish() {
	r.Status = OK
	for _, f := range r.Findings {
		r.Status = Worse(r.Status, f.Severity)
	}
	r.Summary = r.summary()
}

func (r *Report) summary() string {
	// The diagnosis of the failure says the most, so it leads the summary.
	var worst, rest []string
	for _, f := range r.Findings {
		if f.Severity != r.Status || f.Severity == OK {
			continue
		}
		if strings.HasPrefix(f.Code, "script-") || f.Code == "scheduler-failure" || f.Code == "task-missing" || f.Code == "qrs-unreachable" {
			worst = append(worst, f.Title)
		} else {
			rest = append(rest, f.Title)
		}
	}
	worst = append(worst, rest...)
	if len(worst) == 0 {
		name := "License Monitor"
		if r.Task != nil && r.Task.Name != "" {
			name = r.Task.Name
		}
		return name + " is working"
	}
	if len(worst) > 2 {
		return fmt.Sprintf("%s (and %d more)", strings.Join(worst[:2], "; "), len(worst)-2)
	}
	return strings.Join(worst, "; ")
}
