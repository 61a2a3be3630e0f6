package inspect

import (
	"context"
	"errors"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/qrs"
)

// Client is the part of the QRS client a check uses; *qrs.Client implements
// it. Keeping it small documents that a check fetches only what it needs: no
// user or allocation lists, so it stays fast on a 100k-user site.
type Client interface {
	ReloadTasks(ctx context.Context, opts qrs.ListOptions) ([]qrs.ReloadTask, error)
	ExecutionResults(ctx context.Context, opts qrs.ListOptions) ([]qrs.ExecutionResult, error)
	SchemaEvents(ctx context.Context, opts qrs.ListOptions) ([]qrs.SchemaEvent, error)
	CompositeEvents(ctx context.Context, opts qrs.ListOptions) ([]qrs.CompositeEvent, error)
	Apps(ctx context.Context, opts qrs.ListOptions) ([]qrs.App, error)
	DataConnections(ctx context.Context, opts qrs.ListOptions) ([]qrs.DataConnection, error)
	License(ctx context.Context) (*qrs.License, error)
	AccessTypeOverview(ctx context.Context) (*qrs.AccessTypeOverview, error)
	FetchScriptLog(ctx context.Context, taskID string, last *qrs.ExecutionResultCondensed, opts qrs.ScriptLogOptions) (io.ReadCloser, string, error)
	StartTaskSynchronous(ctx context.Context, id string) (string, error)
	WaitExecution(ctx context.Context, sessionID string, poll time.Duration) ([]qrs.ExecutionResult, error)
}

// taskFacts is what was gathered about one monitoring app's reload task,
// in the QRS's types: the task's ID and last execution are what --fix and
// the script-log download need; facts gives the judging its plain values.
type taskFacts struct {
	appName   string
	taskName  string
	task      *qrs.ReloadTask
	renamed   []qrs.ReloadTask // tasks of the same app under other names
	app       *qrs.App
	schema    []qrs.SchemaEvent
	composite []qrs.CompositeEvent
	history   []qrs.ExecutionResult
	// partErr says which parts (triggers, history, app) could not be read.
	partErr error
}

// facts are the gathered facts as the judging takes them.
func (f *taskFacts) facts() *check.TaskFacts {
	out := &check.TaskFacts{AppName: f.appName, TaskName: f.taskName, PartErr: f.partErr}
	for _, t := range f.renamed {
		out.Renamed = append(out.Renamed, t.Name)
	}
	if f.app != nil {
		out.AppFound = true
		if !f.app.LastReloadTime.IsNever() {
			out.AppLastReload = f.app.LastReloadTime.Time
		}
	}
	t := f.task
	if t == nil {
		return out
	}
	def := &check.TaskDef{ID: t.ID, Name: t.Name, Enabled: t.Enabled,
		SessionTimeout: time.Duration(t.TaskSessionTimeout) * time.Minute}
	if t.App != nil {
		def.AppID = t.App.ID
	}
	if t.Operational != nil && !t.Operational.NextExecution.IsNever() {
		def.NextExecution = t.Operational.NextExecution.Time
	}
	out.Task = def
	for _, e := range f.schema {
		tr := check.Trigger{Name: e.Name, Kind: "schema", Enabled: e.Enabled,
			Every: check.TriggerInterval(int(e.IncrementOption), e.IncrementDescription)}
		if e.Operational != nil && !e.Operational.NextExecution.IsNever() {
			tr.NextExecution = e.Operational.NextExecution.Time
		}
		out.Triggers = append(out.Triggers, tr)
	}
	for _, e := range f.composite {
		out.Triggers = append(out.Triggers, check.Trigger{Name: e.Name, Kind: "composite", Enabled: e.Enabled})
	}
	out.Last = execution(t.LastExecution())
	hist := append([]qrs.ExecutionResult(nil), f.history...)
	sort.SliceStable(hist, func(i, j int) bool { return startOf(&hist[i]).After(startOf(&hist[j])) })
	for i := range hist {
		out.History = append(out.History, *execution(&hist[i].ExecutionResultCondensed))
	}
	return out
}

// execution is a QRS execution result as a check reports it.
func execution(e *qrs.ExecutionResultCondensed) *check.Execution {
	if e == nil {
		return nil
	}
	x := &check.Execution{ID: e.ID, Status: e.Status.String(), StatusID: int(e.Status), Node: e.ExecutingNodeName,
		Duration: time.Duration(e.Duration) * time.Millisecond, Outcome: outcome(e.Status)}
	x.DurationS = x.Duration.Seconds()
	if !e.StartTime.IsNever() {
		x.Start = e.StartTime.Time
	}
	if !e.StopTime.IsNever() {
		x.Stop = e.StopTime.Time
	}
	details := append([]qrs.ExecutionResultDetail(nil), e.Details...)
	sort.SliceStable(details, func(i, j int) bool { return details[i].DetailCreatedDate.Before(details[j].DetailCreatedDate.Time) })
	for _, d := range details {
		x.Details = append(x.Details, d.Message)
	}
	return x
}

// outcome groups a QRS execution status the way the judging needs it.
func outcome(s qrs.TaskExecutionStatus) check.Outcome {
	switch {
	case s == qrs.StatusNeverStarted:
		return check.NeverStarted
	case s.IsSuccess():
		return check.Succeeded
	case s.IsFailure():
		return check.Failed
	case s.IsAbort():
		return check.Aborted
	case s == qrs.StatusTriggered || s == qrs.StatusStarted || s == qrs.StatusQueued || s == qrs.StatusRetry:
		return check.Running
	}
	return check.Unfinished
}

// startOf orders executions: by start, by creation when never started.
func startOf(e *qrs.ExecutionResult) time.Time {
	if e.StartTime.IsNever() {
		return e.CreatedDate.Time
	}
	return e.StartTime.Time
}

// dataConnections reads the monitor_apps_REST_* data connections.
func dataConnections(ctx context.Context, c Client) ([]check.DataConnection, error) {
	conns, err := c.DataConnections(ctx, qrs.ListOptions{Filter: "name sw 'monitor_apps_REST_'"})
	if err != nil {
		return nil, err
	}
	out := make([]check.DataConnection, 0, len(conns))
	for _, dc := range conns {
		out = append(out, check.DataConnection{Name: dc.Name, ConnectionString: dc.ConnectionString})
	}
	return out, nil
}

// gatherLicense reads the site license and the access-type overview.
func gatherLicense(ctx context.Context, c Client) check.LicenseFacts {
	l, err := c.License(ctx)
	o, oerr := c.AccessTypeOverview(ctx)
	if err == nil && l == nil {
		err = errors.New("the QRS returned no license")
	}
	f := check.LicenseFacts{Err: err, OverviewErr: oerr}
	if err != nil {
		return f
	}
	info := &check.LicenseInfo{Model: licenseModel(l), Name: l.Name, Organization: l.Organization,
		Expired: l.IsExpired, Invalid: l.IsInvalid, Blacklisted: l.IsBlacklisted}
	if end, ok := l.ValidTo(); ok {
		info.ValidTo = end
	}
	f.Info, f.ExpiredReason = info, l.ExpiredReason
	if oerr != nil || o == nil {
		return f
	}
	if o.ProfessionalAccess.Enabled || o.ProfessionalAccess.Total > 0 {
		info.Professional = &check.Seats{Total: int64(o.ProfessionalAccess.Total), Allocated: int64(o.ProfessionalAccess.Allocated), Available: int64(o.ProfessionalAccess.Available)}
	}
	if o.AnalyzerAccess.Enabled || o.AnalyzerAccess.Total > 0 {
		info.Analyzer = &check.Seats{Total: int64(o.AnalyzerAccess.Total), Allocated: int64(o.AnalyzerAccess.Allocated), Available: int64(o.AnalyzerAccess.Available)}
	}
	if a := o.AnalyzerTimeAccess; a != nil && (a.Enabled || a.AllocatedMinutes > 0) {
		info.CapacityMins = &check.Seats{Total: int64(a.AllocatedMinutes), Allocated: int64(a.UsedMinutes), Available: int64(a.AllocatedMinutes - a.UsedMinutes)}
	}
	if o.TokensEnabled {
		info.TokensTotal, info.TokensAvail = int64(o.TotalTokens), int64(o.AvailableTokens)
	}
	return f
}

// licenseModel names the license form from the fields QRS returns.
func licenseModel(l *qrs.License) string {
	switch {
	case l.Key != "":
		return "signed-key"
	case l.LEF != "":
		return "serial-lef"
	}
	return "unknown"
}

// gatherTask reads a monitoring app's reload task, its triggers, its recent
// executions and the app, concurrently.
func gatherTask(ctx context.Context, c Client, opts Options, appName, taskName string, now time.Time) (*taskFacts, error) {
	f := &taskFacts{appName: appName, taskName: taskName}
	tasks, err := c.ReloadTasks(ctx, qrs.ListOptions{Filter: "name eq " + quote(taskName)})
	if err != nil {
		return nil, err
	}
	if len(tasks) > 0 {
		f.task = &tasks[0]
		if f.task.App != nil && f.task.App.Name != "" {
			f.appName = f.task.App.Name
		}
	}
	// A part that cannot be read (the triggers, the history, the app)
	// becomes an UNKNOWN finding; only the task itself decides reachability.
	f.partErr = completeTask(ctx, c, opts, f, now)
	return f, nil
}

// completeTask fills the facts of a task that was found (or, when it was
// not, looks for the app and tasks reloading it under other names).
func completeTask(ctx context.Context, c Client, opts Options, f *taskFacts, now time.Time) error {
	var wg sync.WaitGroup
	var errs [4]error
	appFilter := "name eq " + quote(f.appName)
	if f.task != nil && f.task.App != nil && f.task.App.ID != "" {
		appFilter = "id eq " + f.task.App.ID
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		apps, err := c.Apps(ctx, qrs.ListOptions{Filter: appFilter})
		if err != nil {
			errs[0] = err
			return
		}
		if len(apps) > 0 {
			f.app = &apps[0]
			if f.task == nil {
				f.renamed, errs[0] = c.ReloadTasks(ctx, qrs.ListOptions{Filter: "app.id eq " + apps[0].ID})
			}
		}
	}()
	if f.task != nil {
		id := f.task.ID
		wg.Add(3)
		go func() {
			defer wg.Done()
			f.schema, errs[1] = c.SchemaEvents(ctx, qrs.ListOptions{Filter: "reloadTask.id eq " + id})
		}()
		go func() {
			defer wg.Done()
			f.composite, errs[2] = c.CompositeEvents(ctx, qrs.ListOptions{Filter: "reloadTask.id eq " + id})
		}()
		go func() {
			defer wg.Done()
			since := now.Add(-time.Duration(opts.HistoryDays) * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
			f.history, errs[3] = c.ExecutionResults(ctx, qrs.ListOptions{
				Filter: "taskID eq " + id + " and startTime ge " + quote(since), OrderBy: "startTime desc"})
		}()
	}
	wg.Wait()
	return errors.Join(errs[:]...)
}

// gatherOtherApps finds the other monitoring apps (the apps of the
// "Monitoring apps" stream, and Operations Monitor wherever it is) and their
// reload tasks.
func gatherOtherApps(ctx context.Context, c Client, opts Options, lm *taskFacts, now time.Time) ([]*taskFacts, error) {
	apps, err := c.Apps(ctx, qrs.ListOptions{Filter: "stream.name eq " + quote(MonitoringStream) + " or name eq 'Operations Monitor'", OrderBy: "name asc"})
	if err != nil {
		return nil, err
	}
	var out []*taskFacts
	var errs []error
	for i := range apps {
		a := &apps[i]
		if strings.EqualFold(a.Name, check.LicenseMonitorApp) || (lm.app != nil && a.ID == lm.app.ID) {
			continue
		}
		f := &taskFacts{appName: a.Name, taskName: "Reload " + a.Name, app: a}
		tasks, err := c.ReloadTasks(ctx, qrs.ListOptions{Filter: "app.id eq " + a.ID})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sort.SliceStable(tasks, func(i, j int) bool { return tasks[i].Name == f.taskName && tasks[j].Name != f.taskName })
		if len(tasks) > 0 {
			f.task = &tasks[0]
			f.taskName = tasks[0].Name
		} else if !strings.EqualFold(a.Name, "Operations Monitor") {
			// Apps shipped without a task (Log, Reloads, Sessions Monitor) are
			// only checked when someone made a task for them.
			continue
		}
		f.partErr = completeTask(ctx, c, opts, f, now)
		out = append(out, f)
	}
	return out, errors.Join(errs...)
}
