package check

import (
	"fmt"
	"strings"
	"time"
)

// historyKept is how many past runs a report lists.
const historyKept = 10

// Outcome is how a run of a task ended, or that it is still going: the
// QRS execution statuses grouped the way the judging needs them (the
// gatherer maps the status codes).
type Outcome int

// Outcomes of an Execution.
const (
	// NeverStarted: the task has not run yet.
	NeverStarted Outcome = iota
	// Running: triggered, started, queued or waiting to retry.
	Running
	// Succeeded: finished successfully.
	Succeeded
	// Failed: finished with a failure or an error.
	Failed
	// Aborted: aborted, or being aborted.
	Aborted
	// Unfinished: ended otherwise (skipped, reset, distribution states).
	Unfinished
)

// Judged reports whether a run with this outcome says whether the reload
// works: it succeeded, failed or was aborted.
func (o Outcome) Judged() bool { return o == Succeeded || o == Failed || o == Aborted }

// TaskFacts is what was gathered about one monitoring app's reload task,
// as plain values.
type TaskFacts struct {
	// AppName and TaskName are the app and the task looked for (the app's
	// name as the task names it, when the task was found).
	AppName, TaskName string
	// Task is the task found; nil when no task of that name exists.
	Task *TaskDef
	// Renamed are the names of the tasks that reload the same app under
	// other names (looked for when Task is nil).
	Renamed []string
	// AppFound tells whether the app exists; AppLastReload is its
	// lastReloadTime (zero: never reloaded).
	AppFound      bool
	AppLastReload time.Time
	// Triggers are the task's schema triggers (with Every) and composite ones.
	Triggers []Trigger
	// Last is the task's last execution (nil: none known).
	Last *Execution
	// History are the recent executions, newest first.
	History []Execution
	// PartErr says which parts (triggers, history, app) could not be read.
	PartErr error
}

// TaskDef is a reload task's definition.
type TaskDef struct {
	ID, Name      string
	AppID         string
	Enabled       bool
	NextExecution time.Time
	// SessionTimeout is the task session timeout (0: none).
	SessionTimeout time.Duration
}

// EvalTask turns the facts about a reload task into its TaskInfo and the
// findings about the task, its triggers, its history and the app's freshness.
func EvalTask(now time.Time, f *TaskFacts, maxAge time.Duration) (*TaskInfo, []Finding) {
	var out []Finding
	app := f.AppName
	if f.PartErr != nil {
		out = append(out, Finding{Code: "task-details-unreadable", Severity: Unknown, App: app,
			Title:    fmt.Sprintf("Could not read all details of %q (triggers, execution history or the app)", f.TaskName),
			Evidence: []string{f.PartErr.Error()},
			Hint:     "The identity needs read access to tasks, schema and composite events, execution results and apps (RootAdmin)."})
	}
	if f.Task == nil {
		fd := Finding{Code: "task-missing", Severity: Critical, App: app,
			Title: fmt.Sprintf("Task %q not found", f.TaskName),
			Hint:  fmt.Sprintf("It was renamed or deleted. In the QMC > Tasks, recreate a reload task for the app %q with an hourly trigger, or pass --task with its current name.", app)}
		for _, name := range f.Renamed {
			fd.Evidence = append(fd.Evidence, fmt.Sprintf("the app %q is reloaded by the task %q: pass --task %q", app, name, name))
		}
		if !f.AppFound {
			fd.Evidence = append(fd.Evidence, fmt.Sprintf("no app named %q exists either", app))
			fd.Hint = fmt.Sprintf("The %s app is missing: import it again from C:\\ProgramData\\Qlik\\Sense\\Repository\\DefaultApps (or reinstall the monitoring apps) and recreate its reload task.", app)
		}
		return nil, append(out, fd)
	}
	t := f.Task
	info := &TaskInfo{ID: t.ID, Name: t.Name, Enabled: t.Enabled, App: app, AppID: t.AppID,
		NextExecution: t.NextExecution, AppLastReload: f.AppLastReload}

	// Enabled and triggered.
	if !t.Enabled {
		out = append(out, Finding{Code: "task-disabled", Severity: Critical, App: app,
			Title: fmt.Sprintf("Task %q is disabled", t.Name),
			Hint:  "Enable it in the QMC > Tasks (select the task, Edit, tick Enabled), then start it once to refresh the data."})
	}
	var interval time.Duration
	enabledTriggers := 0
	for _, tr := range f.Triggers {
		if tr.Every > 0 && tr.EveryText == "" {
			tr.EveryText = humanDuration(tr.Every)
		}
		if tr.Enabled {
			enabledTriggers++
			if tr.Every > 0 && (interval == 0 || tr.Every < interval) {
				interval = tr.Every
			}
		}
		info.Triggers = append(info.Triggers, tr)
	}
	switch {
	case enabledTriggers == 0:
		fd := Finding{Code: "task-no-trigger", Severity: Warning, App: app,
			Title: fmt.Sprintf("Task %q has no enabled trigger", t.Name),
			Hint:  "Its data only changes when someone starts it by hand. Add a scheduled trigger in the QMC > Tasks > Triggers (the default is every hour)."}
		for _, tr := range info.Triggers {
			fd.Evidence = append(fd.Evidence, fmt.Sprintf("%s trigger %q is disabled", tr.Kind, tr.Name))
		}
		out = append(out, fd)
	case t.Enabled && info.NextExecution.IsZero() && !hasNext(info.Triggers):
		out = append(out, Finding{Code: "task-no-next-execution", Severity: Warning, App: app,
			Title: fmt.Sprintf("Task %q has no next execution scheduled", t.Name),
			Hint:  "Its triggers have expired or end before now: edit the trigger's start and end dates in the QMC."})
	}

	// Last execution and history (newest first).
	last := f.Last
	info.Last = last
	for i := range f.History {
		x := &f.History[i]
		if x.Outcome == Succeeded {
			info.LastSuccess = stopOr(x)
			break
		}
		if x.Outcome == Failed || x.Outcome == Aborted {
			info.FailureStreak++
		}
	}
	for i := 0; i < len(f.History) && i < historyKept; i++ {
		x := f.History[i]
		x.Details = nil
		info.History = append(info.History, x)
	}
	if last != nil && last.Outcome == Succeeded && info.LastSuccess.IsZero() {
		info.LastSuccess = stopOr(last)
	}
	if last != nil && (last.Outcome == Failed || last.Outcome == Aborted) && info.FailureStreak == 0 {
		info.FailureStreak = 1 // history not readable or older than the window
	}
	out = append(out, lastRunFinding(now, t, info))

	// Freshness of the app's data.
	out = append(out, freshness(now, info, interval, maxAge)...)
	return info, out
}

func hasNext(ts []Trigger) bool {
	for _, t := range ts {
		if t.Enabled && !t.NextExecution.IsZero() {
			return true
		}
	}
	return false
}

// stopOr is when a run ended, or started when its end is not known.
func stopOr(x *Execution) time.Time {
	if !x.Stop.IsZero() {
		return x.Stop
	}
	return x.Start
}

func lastRunFinding(now time.Time, t *TaskDef, info *TaskInfo) Finding {
	app := info.App
	if info.Last == nil || info.Last.Outcome == NeverStarted {
		return Finding{Code: "task-never-run", Severity: Warning, App: app,
			Title: fmt.Sprintf("Task %q has never run", t.Name),
			Hint:  "Start it once from the QMC > Tasks (or run licmon check --fix) and check that its trigger is enabled."}
	}
	x, label := info.Last, "Last run"
	var going []string
	if x.Outcome == Running {
		// The run going now says nothing yet about whether the reload works;
		// the last run that ended does. A failing site whose hourly run just
		// started must not look fine for the minute it runs.
		if done := lastEnded(info.History, x); done != nil && (done.Outcome == Failed || done.Outcome == Aborted) {
			going = []string{fmt.Sprintf("a run is going now: %s at %s, for %s so far", strings.ToLower(x.Status),
				x.Start.UTC().Format(time.RFC3339), humanDuration(now.Sub(x.Start)))}
			x, label = done, "Last completed run"
		}
	}
	when := x.Stop
	if when.IsZero() {
		when = x.Start
	}
	ev := []string{fmt.Sprintf("status %s (%d)", x.Status, x.StatusID)}
	switch {
	case x.Start.IsZero():
	case x.Outcome == Running:
		ev = append(ev, fmt.Sprintf("started %s, running for %s", x.Start.UTC().Format(time.RFC3339), humanDuration(now.Sub(x.Start))))
	default:
		ev = append(ev, fmt.Sprintf("started %s; the task took %s from start to finish", x.Start.UTC().Format(time.RFC3339), humanDuration(x.Duration)))
	}
	if x.Node != "" {
		ev = append(ev, "executed on "+x.Node)
	}
	ev = append(ev, going...)
	streak := func() {
		if info.FailureStreak > 1 {
			ev = append(ev, fmt.Sprintf("%d failed runs in a row", info.FailureStreak))
		}
		if info.LastSuccess.IsZero() {
			ev = append(ev, "no successful run in the execution history")
		} else {
			ev = append(ev, "last success "+info.LastSuccess.UTC().Format(time.RFC3339)+" ("+humanDuration(now.Sub(info.LastSuccess))+" ago)")
		}
	}
	switch x.Outcome {
	case Succeeded:
		return Finding{Code: "task-succeeded", Severity: OK, App: app,
			Title: fmt.Sprintf("Last run succeeded %s ago", humanDuration(now.Sub(when))), Evidence: ev}
	case Failed:
		streak()
		return Finding{Code: "task-failed", Severity: Critical, App: app,
			Title:    fmt.Sprintf("%s of %q failed %s ago", label, t.Name, humanDuration(now.Sub(when))),
			Evidence: ev,
			Hint:     "See the script-log diagnosis below; fix the cause, then start the task again (licmon check --fix)."}
	case Aborted:
		streak()
		fd := Finding{Code: "task-aborted", Severity: Critical, App: app,
			Title:    fmt.Sprintf("%s of %q was aborted", label, t.Name),
			Evidence: ev,
			Hint:     "Someone stopped it or it ran past the task session timeout. If it was the timeout, archive old logs so the reload reads less, or raise the timeout in the QMC > Tasks > Edit."}
		if t.SessionTimeout > 0 && x.Duration >= t.SessionTimeout {
			fd.Evidence = append(fd.Evidence, fmt.Sprintf("it ran %s, at or past the task session timeout of %d minutes", humanDuration(x.Duration), int(t.SessionTimeout.Minutes())))
		}
		return fd
	case Running:
		running := now.Sub(x.Start)
		fd := Finding{Code: "task-running", Severity: OK, App: app,
			Title: fmt.Sprintf("Task %q is %s (for %s)", t.Name, strings.ToLower(x.Status), humanDuration(running)), Evidence: ev}
		if t.SessionTimeout > 0 && !x.Start.IsZero() && running > t.SessionTimeout/2 {
			fd.Severity = Warning
			fd.Hint = fmt.Sprintf("It has used more than half of its %d-minute session timeout: check the engine and the log volume it reads.", int(t.SessionTimeout.Minutes()))
		}
		return fd
	default:
		return Finding{Code: "task-not-finished", Severity: Warning, App: app,
			Title:    fmt.Sprintf("Last run of %q ended as %s", t.Name, x.Status),
			Evidence: ev,
			Hint:     "The scheduler did not run the reload to the end. Start it again and check the scheduler logs if it repeats."}
	}
}

// lastEnded is the newest run of history (newest first) that ended,
// other than running.
func lastEnded(history []Execution, running *Execution) *Execution {
	for i := range history {
		x := &history[i]
		if x.ID != running.ID && x.Outcome.Judged() {
			return x
		}
	}
	return nil
}

// freshness compares the app's last reload with the trigger interval and
// --max-age: critical past two intervals (or past max-age), warning past one.
func freshness(now time.Time, info *TaskInfo, interval, maxAge time.Duration) []Finding {
	app, last := info.App, info.Last
	if info.AppLastReload.IsZero() {
		if last != nil && last.Outcome == Succeeded {
			return []Finding{{Code: "app-never-reloaded", Severity: Critical, App: app,
				Title: fmt.Sprintf("The task reports success but the app %q was never reloaded", app),
				Hint:  "The task may point at another app: check the app of the task in the QMC > Tasks."}}
		}
		return []Finding{{Code: "app-never-reloaded", Severity: Warning, App: app,
			Title: fmt.Sprintf("The app %q has never been reloaded: it holds no data", app),
			Hint:  "Fix the reload task above and run it once."}}
	}
	age := now.Sub(info.AppLastReload)
	limit, why := maxAge, "--max-age "+humanDuration(maxAge)
	if limit == 0 && interval > 0 {
		limit, why = 2*interval, "two trigger intervals of "+humanDuration(interval)
	}
	if limit == 0 {
		limit, why = 48*time.Hour, "48h (no scheduled trigger to derive it from)"
	}
	ev := []string{"last reload " + info.AppLastReload.UTC().Format(time.RFC3339) + " (" + humanDuration(age) + " ago)", "limit " + why}
	switch {
	case age > limit:
		fd := Finding{Code: "app-stale", Severity: Critical, App: app,
			Title:    fmt.Sprintf("%s data is %s old", app, humanDuration(age)),
			Evidence: ev,
			Hint:     "Its numbers no longer reflect the site. Fix the reload task findings above; if the task shows success, check that it reloads this app and that its trigger is enabled."}
		if last != nil && last.Outcome == Succeeded {
			fd.Title += " although the task reports success"
		}
		return []Finding{fd}
	case interval > 0 && maxAge == 0 && age > interval+interval/2:
		return []Finding{{Code: "app-late", Severity: Warning, App: app,
			Title:    fmt.Sprintf("%s data is %s old, more than one trigger interval", app, humanDuration(age)),
			Evidence: ev,
			Hint:     "A scheduled run was missed or is still running; it becomes critical past two intervals."}}
	}
	return []Finding{{Code: "app-fresh", Severity: OK, App: app,
		Title: fmt.Sprintf("%s data is fresh (reloaded %s ago)", app, humanDuration(age)), Evidence: ev}}
}

// schedulerCause explains a failure that happened before the engine ran,
// from the execution's detail messages (license-monitor-app.md §3 row 16).
func schedulerCause(details []string) (title, hint string) {
	all := strings.ToLower(strings.Join(details, "\n"))
	switch {
	case containsAny(all, "no slave-nodes found", "no slave nodes", "no worker", "no available", "could not reserve an executor", "no reload node"):
		return "no node was available to run the reload (scheduler result 40)",
			"In the QMC > Nodes, check that a node has the scheduler set to Slave or Master and slave (worker), that it is online and its Engine and Scheduler services run; on multi-node sites check the load balancing rules."
	case containsAny(all, "app not found", "could not find app"):
		return "the task's app no longer exists (scheduler result 75)",
			"The app was deleted or replaced: import the monitoring app again and point the task at it, or recreate the task."
	case containsAny(all, "already active session", "taskexecutionsession already exists", "already running"):
		return "another run of the task or app was still active (scheduler result 20/30)",
			"Runs overlap: lengthen the trigger interval or stagger the monitoring apps' schedules; if a run is stuck, stop it in the QMC."
	case containsAny(all, "task disabled"):
		return "the task was disabled when it was triggered (scheduler result 25)", "Enable the task in the QMC > Tasks."
	case containsAny(all, "license not found", "invalid license"):
		return "the scheduler found no valid license (scheduler result 10)", "Check the site license in the QMC > License management."
	case containsAny(all, "failed to start session", "engine"):
		return "the scheduler could not start an engine session", "Check that the Engine service runs on the reload node and the queue timeout (default 30 min) was not exceeded; stagger the schedules."
	}
	if len(details) > 0 {
		return "the run failed in the scheduler: " + details[len(details)-1], "Read the task's execution details in the QMC and the Scheduler logs (Log\\Scheduler\\Trace)."
	}
	return "the run failed before the engine ran", "Read the Scheduler logs (Log\\Scheduler\\Trace) on the central node."
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
