package check

import (
	"fmt"

	"github.com/licmon/licmon/internal/scriptlog"
	"github.com/licmon/licmon/internal/termtext"
)

// SchedulerFailure is the finding about a failed run that has no script
// log: the scheduler failed it before the engine ran, and the run's detail
// messages say why.
func SchedulerFailure(app string, last *Execution) Finding {
	title, hint := schedulerCause(last.Details)
	return Finding{Code: "scheduler-failure", Severity: Critical, App: app,
		Title:    "No script log: " + title,
		Evidence: append([]string{"the QRS has no script log for this execution (fileReferenceID is the null GUID)"}, last.Details[max(len(last.Details)-4, 0):]...),
		Hint:     hint}
}

// DiagnosisFinding turns a script-log diagnosis into a finding.
func DiagnosisFinding(app string, d *scriptlog.Diagnosis, sl *ScriptLog) Finding {
	f := Finding{Code: "script-" + d.Code, Severity: Critical, App: app, Hint: d.Hint}
	switch d.Outcome {
	case scriptlog.OutcomeSuccess:
		f.Severity = Warning
		f.Code = "script-log-success"
		f.Title = "The task failed but its script log ends with success"
		f.Hint = "The failure happened after the script ran (saving the app, or the scheduler): read the task's execution details in the QMC."
		return f
	case scriptlog.OutcomeTruncated, scriptlog.OutcomeUnknown:
		f.Severity = Warning
	}
	where := ""
	if d.Statement.ScriptLine > 0 {
		where = fmt.Sprintf(" at script line %d", d.Statement.ScriptLine)
	}
	f.Title = "Reload fails" + where + ": " + d.Title
	if d.Connection.Name != "" {
		f.Evidence = append(f.Evidence, "connection "+d.Connection.Name)
	}
	if d.Error != "" {
		f.Evidence = append(f.Evidence, "error: "+termtext.FirstLine(d.Error))
	}
	if d.Statement.Text != "" {
		f.Evidence = append(f.Evidence, "statement: "+termtext.OneLine(d.Statement.Text, 160))
	}
	if sl.SavedTo != "" {
		f.Evidence = append(f.Evidence, "log saved to "+sl.SavedTo)
	}
	return f
}

// AbortedRun explains a log that just stops: when the QRS says the run was
// aborted, the engine was stopped mid-statement, which the log alone cannot
// tell from a file cut short.
func AbortedRun(d *scriptlog.Diagnosis, last *Execution) {
	if last.Outcome != Aborted || (d.Outcome != scriptlog.OutcomeTruncated && d.Outcome != scriptlog.OutcomeUnknown) {
		return
	}
	for _, rule := range scriptlog.Catalogue() {
		if rule.Code == "aborted" {
			d.Outcome, d.Code, d.Title, d.Hint = scriptlog.OutcomeAborted, rule.Code, rule.Title, rule.Hint
			if d.Error == "" {
				d.Error = "the log ends while the statement ran: the task was " + last.Status
			}
			return
		}
	}
}

// FixFinding says how the run --fix started ended.
func FixFinding(x *Execution) Finding {
	if x.Outcome == Succeeded {
		return Finding{Code: "fix-succeeded", Severity: OK, Title: fmt.Sprintf("--fix: the task was started and succeeded in %s", humanDuration(x.Duration))}
	}
	return Finding{Code: "fix-failed", Severity: Critical, Title: fmt.Sprintf("--fix: the task was started and ended as %s", x.Status),
		Evidence: x.Details[max(len(x.Details)-3, 0):], Hint: "The cause above is still there: fix it, then run the task again."}
}
