package web

import (
	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/scriptlog"
	"time"
)

// diagnosisView is a failing script log as the site page shows it: the same
// facts, in the same order, as check.WriteDiagnosis prints.
type diagnosisView struct {
	App        string
	Source     string
	Bytes      int64
	Outcome    string
	Code       string
	Title      string
	Connection string
	Line       int
	Error      string
	Hint       string
	// Start is the script log's first time as the log writes it; StartAt
	// the same instant when the log carries its UTC offset (zero when it
	// does not: the time is the Qlik server's local time, offset unknown).
	Start      string
	StartAt    time.Time
	Duration   string
	ExecutedBy string
	Lines      []logLine
	// LogError says why no script log could be read.
	LogError string
}

// logLine is one line of the failing lines' context.
type logLine struct {
	N          int
	ScriptLine int
	Kind       string
	Text       string
	Failing    bool
}

// diagnoses lists the failing script logs of a check: the License Monitor's
// first, then those of the other monitoring apps.
func diagnoses(r *check.Report) []diagnosisView {
	if r == nil {
		return nil
	}
	var out []diagnosisView
	if v, ok := newDiagnosisView(check.LicenseMonitorApp, r.ScriptLog); ok {
		out = append(out, v)
	}
	for _, a := range r.Apps {
		if a.App == check.LicenseMonitorApp {
			continue
		}
		if v, ok := newDiagnosisView(a.App, a.ScriptLog); ok {
			out = append(out, v)
		}
	}
	return out
}

func newDiagnosisView(app string, sl *check.ScriptLog) (diagnosisView, bool) {
	if sl == nil {
		return diagnosisView{}, false
	}
	v := diagnosisView{App: app, Source: sl.Source, Bytes: sl.Bytes}
	d := sl.Diagnosis
	if d == nil {
		if sl.Error == "" {
			return diagnosisView{}, false
		}
		v.LogError = sl.Error
		return v, true
	}
	if d.Code == "ok" && d.Outcome == scriptlog.OutcomeSuccess {
		return diagnosisView{}, false
	}
	v.Outcome = string(d.Outcome)
	if d.Code != "ok" {
		v.Code, v.Title = d.Code, d.Title
	}
	v.Connection = d.Connection.Name
	v.Line = d.Statement.ScriptLine
	v.Error = d.Error
	v.Hint = d.Hint
	if !d.Start.IsZero() {
		v.Start = scriptlog.FormatTime(d.Start, d.HasZone)
		if d.HasZone {
			v.StartAt = d.Start
		}
		v.Duration = d.Duration.Round(1e9).String()
	}
	v.ExecutedBy = d.Header.ExecutedBy
	failing := check.FailingLines(d)
	for _, l := range d.Context {
		v.Lines = append(v.Lines, logLine{N: l.N, ScriptLine: l.ScriptLine, Kind: l.Kind.String(), Text: l.Text, Failing: failing[l.N]})
	}
	return v, true
}
