package check

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/scriptlog"
	"github.com/licmon/licmon/internal/termtext"
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

// DefaultFixTimeout is how long Fix waits for the task's run.
const DefaultFixTimeout = 30 * time.Minute

// DeadlineFactor times the site's per-request timeout is the total time a
// check of one site may take. The timeout bounds each silence; a check
// makes about a dozen calls, most of them concurrently, so four silences
// in a row is already a QRS too slow to monitor, and a server dripping its
// answer byte by byte, which no idle timeout ends, ends here.
const DeadlineFactor = 4

// WithDeadline bounds a check of site whose QRS requests time out after
// timeout (0: qrs.DefaultTimeout) to DeadlineFactor × timeout, plus
// DefaultFixTimeout with fix. A deadline of ctx itself (a daemon's job
// timeout) is kept 10% ahead of, so that the check ends first and Run
// returns a report whose UNKNOWN findings say why, instead of being cut off.
func WithDeadline(ctx context.Context, site string, timeout time.Duration, fix bool) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		timeout = qrs.DefaultTimeout
	}
	d := DeadlineFactor * timeout
	why := fmt.Sprintf("%d × --timeout %s", DeadlineFactor, timeout)
	if fix {
		d += DefaultFixTimeout
		why += fmt.Sprintf(" + %s for --fix", DefaultFixTimeout)
	}
	if end, ok := ctx.Deadline(); ok {
		if left := time.Until(end) * 9 / 10; left < d {
			d, why = left, "the job's timeout"
		}
	}
	return qrs.WithDeadline(ctx, d.Round(time.Millisecond), "licmon check of "+site, why)
}

// MonitoringStream is the stream the monitoring apps are published to.
const MonitoringStream = "Monitoring apps"

// LicenseMonitorApp is the name of the License Monitor app.
const LicenseMonitorApp = "License Monitor"

// Options tune a check.
type Options struct {
	Site, Server string
	// Task is the License Monitor's reload task ("Reload License Monitor").
	Task string
	// AllMonitoringApps also checks Operations Monitor and the other apps
	// in the "Monitoring apps" stream.
	AllMonitoringApps bool
	// MaxAge overrides the freshness limit derived from the trigger.
	MaxAge time.Duration
	// SaveLogs is a folder where downloaded script logs are written.
	SaveLogs string
	// SaveLogsPerSite writes them to a sub-folder named after the site, for
	// runs that check several sites into one folder.
	SaveLogsPerSite bool
	// LicenseWarnDays warns when the license ends sooner (0: 30 days).
	LicenseWarnDays int
	// HistoryDays bounds the execution history read (0: 30 days).
	HistoryDays int
	// Fix starts the task when it failed and waits for the result.
	Fix bool
	// FixTimeout bounds the wait of Fix (0: 30 minutes).
	FixTimeout time.Duration
	// ScriptLog tunes the download (retries when it 404s right after a failure).
	ScriptLog qrs.ScriptLogOptions
	// LogHeadLines and LogTailLines capture that many first and last lines
	// of a downloaded script log into ScriptLog.Head and Tail (0: none).
	LogHeadLines, LogTailLines int
	// Now is the clock (tests).
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Task == "" {
		o.Task = "Reload License Monitor"
	}
	if o.LicenseWarnDays == 0 {
		o.LicenseWarnDays = 30
	}
	if o.HistoryDays == 0 {
		o.HistoryDays = 30
	}
	if o.FixTimeout == 0 {
		o.FixTimeout = DefaultFixTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// quote escapes a value for a QRS filter string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Run checks one site. It never returns an error: what could not be decided
// becomes a finding of severity Unknown that says why.
func Run(ctx context.Context, c Client, opts Options) *Report {
	opts.defaults()
	start := time.Now()
	r, lm := inspect(ctx, c, opts)
	if opts.Fix && lm != nil {
		r = fixAndRecheck(ctx, c, opts, r, lm)
	}
	r.Took = time.Since(start)
	r.TookMS = r.Took.Milliseconds()
	r.finish()
	return r
}

// inspect gathers and evaluates one site once, at opts.Now(). The task facts
// are nil when the QRS could not be reached.
func inspect(ctx context.Context, c Client, opts Options) (*Report, *taskFacts) {
	now := opts.Now()
	r := &Report{Site: opts.Site, Server: qrs.RedactURL(opts.Server), CheckedAt: now.UTC()}
	defer r.finish()

	// The License Monitor task comes first: if the QRS cannot be reached the
	// check stops there with UNKNOWN and the reason.
	lm, err := gatherTask(ctx, c, opts, LicenseMonitorApp, opts.Task, now)
	if err != nil {
		r.add(unreachable(err))
		return r, nil
	}

	var (
		wg        sync.WaitGroup
		conns     []qrs.DataConnection
		connErr   error
		lic       *qrs.License
		licErr    error
		overview  *qrs.AccessTypeOverview
		ovErr     error
		others    []*taskFacts
		othersErr error
	)
	wg.Add(3)
	go func() {
		defer wg.Done()
		conns, connErr = c.DataConnections(ctx, qrs.ListOptions{Filter: "name sw 'monitor_apps_REST_'"})
	}()
	go func() {
		defer wg.Done()
		lic, licErr = c.License(ctx)
		overview, ovErr = c.AccessTypeOverview(ctx)
	}()
	go func() {
		defer wg.Done()
		if opts.AllMonitoringApps {
			others, othersErr = gatherOtherApps(ctx, c, opts, lm, now)
		}
	}()
	wg.Wait()

	maxAge := opts.MaxAge
	info, findings := evalTask(now, lm, maxAge)
	r.Task = info
	r.Findings = append(r.Findings, findings...)
	if lm.task != nil {
		r.ScriptLog = scriptLogFindings(ctx, c, opts, r, lm)
	}

	connections, cf := evalConnections(conns, connErr, r.ScriptLog, opts.Site)
	r.Connections = connections
	r.Findings = append(r.Findings, cf...)

	li, lf := evalLicense(now, lic, licErr, overview, ovErr, opts.LicenseWarnDays)
	r.License = li
	r.Findings = append(r.Findings, lf...)

	if opts.AllMonitoringApps {
		r.Apps = append(r.Apps, AppReport{App: LicenseMonitorApp, Task: r.Task, ScriptLog: r.ScriptLog, Status: worstOf(r.Findings, LicenseMonitorApp)})
		if othersErr != nil {
			r.add(Finding{Code: "apps-unreadable", Severity: Unknown, Title: "Could not list the other monitoring apps", Evidence: []string{othersErr.Error()}})
		}
		for _, f := range others {
			ti, tf := evalTask(now, f, maxAge)
			r.Findings = append(r.Findings, tf...)
			ar := AppReport{App: f.appName, Task: ti}
			if f.task != nil {
				ar.ScriptLog = scriptLogFindings(ctx, c, opts, r, f)
			}
			ar.Status = worstOf(r.Findings, f.appName)
			r.Apps = append(r.Apps, ar)
		}
	}
	return r, lm
}

// fixAndRecheck runs --fix and, when the started run ended, checks the site
// again: that run is now the task's last one, so the findings, the JSON and
// the Nagios perfdata (failure streak, app age) must describe it, not the
// run before the fix. What the check said before the fix stays as evidence
// of the fix finding.
func fixAndRecheck(ctx context.Context, c Client, opts Options, r *Report, lm *taskFacts) *Report {
	x, f := fix(ctx, c, opts, r, lm)
	if x == nil {
		r.add(f)
		return r
	}
	f.Evidence = append(f.Evidence, fmt.Sprintf("before --fix: %s: %s", strings.ToUpper(r.Status.String()), r.Summary))
	after, _ := inspect(ctx, c, opts)
	after.Fix = x
	after.add(f)
	return after
}

func worstOf(fs []Finding, app string) Severity {
	s := OK
	for _, f := range fs {
		if f.App == app {
			s = Worse(s, f.Severity)
		}
	}
	return s
}

// unreachable turns the first QRS error into an UNKNOWN finding that says why.
func unreachable(err error) Finding {
	f := Finding{Code: "qrs-unreachable", Severity: Unknown, Title: "Could not query the Qlik Sense Repository Service",
		Evidence: []string{err.Error()}}
	var qe *qrs.Error
	var ce *qrs.CertError
	switch {
	case errors.As(err, &qe) && qe.Hint != "":
		f.Hint = qe.Hint
	case errors.As(err, &ce) && ce.Hint != "":
		f.Hint = ce.Hint
	default:
		f.Hint = "Check --server, that port 4242 is reachable from here, and the certificates (licmon config check)."
	}
	return f
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
		if strings.EqualFold(a.Name, LicenseMonitorApp) || (lm.app != nil && a.ID == lm.app.ID) {
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

// scriptLogFindings downloads and diagnoses the script log of a failed last
// run, or explains a failure that happened before the engine ran.
func scriptLogFindings(ctx context.Context, c Client, opts Options, r *Report, f *taskFacts) *ScriptLog {
	last := f.task.LastExecution()
	if last == nil || !(last.Status.IsFailure() || last.Status.IsAbort()) {
		return nil
	}
	app := f.appName
	sl := &ScriptLog{}
	rc, source, err := c.FetchScriptLog(ctx, f.task.ID, last, opts.ScriptLog)
	if err != nil {
		if qrs.IsNoScriptLog(err) {
			x := execution(last)
			title, hint := schedulerCause(x.Details)
			sl.Error = "no script log: the run failed in the scheduler before the engine ran"
			r.add(Finding{Code: "scheduler-failure", Severity: Critical, App: app,
				Title:    "No script log: " + title,
				Evidence: append([]string{"the QRS has no script log for this execution (fileReferenceID is the null GUID)"}, x.Details[max(len(x.Details)-4, 0):]...),
				Hint:     hint})
			return sl
		}
		sl.Error = err.Error()
		r.add(Finding{Code: "script-log-unavailable", Severity: Unknown, App: app,
			Title:    "Could not download the script log of the failed run",
			Evidence: []string{err.Error()},
			Hint:     "Download it in the QMC (Tasks > the task > Download script log) and run licmon diagnose on it; the identity needs read access to the task."})
		return sl
	}
	defer rc.Close()
	sl.Source = source
	var src io.Reader = rc
	var lc *lineCapture
	if opts.LogHeadLines > 0 || opts.LogTailLines > 0 {
		lc = newLineCapture(opts.LogHeadLines, opts.LogTailLines)
		src = io.TeeReader(rc, lc)
		defer func() { sl.Head, sl.Tail = lc.Lines() }()
	}
	d, n, saved, err := diagnoseAndSave(src, opts.SaveLogs, opts.Site, f.task.Name, opts.SaveLogsPerSite)
	sl.Bytes, sl.SavedTo = n, saved
	if err != nil {
		sl.Error = err.Error()
		r.add(Finding{Code: "script-log-unreadable", Severity: Unknown, App: app, Title: "Could not read the script log", Evidence: []string{err.Error()}})
		return sl
	}
	abortedRun(d, last)
	sl.Diagnosis = d
	r.add(diagnosisFinding(app, d, sl))
	return sl
}

// diagnosisFinding turns a script-log diagnosis into a finding.
func diagnosisFinding(app string, d *scriptlog.Diagnosis, sl *ScriptLog) Finding {
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

// diagnoseAndSave streams the log through the diagnosis and, when dir is
// set, into a file named as the QMC's "Download script log" names it
// (<Task name>.log). A different log under the same name is kept as
// "<Task name> (2).log" the way a browser does, an identical one is not
// written twice.
func diagnoseAndSave(r io.Reader, dir, site, taskName string, perSite bool) (*scriptlog.Diagnosis, int64, string, error) {
	counter := &countingReader{r: r}
	if dir == "" {
		d, err := scriptlog.Diagnose(counter, scriptlog.Options{})
		return d, counter.n, "", err
	}
	if perSite && site != "" {
		dir = filepath.Join(dir, termtext.FileName(site))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil { // logs hold connection strings and user names
		return nil, 0, "", fmt.Errorf("create --save-logs folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".licmon-scriptlog-*")
	if err != nil {
		return nil, 0, "", fmt.Errorf("save script log: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	d, err := scriptlog.Diagnose(io.TeeReader(counter, io.MultiWriter(tmp, h)), scriptlog.Options{})
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("save script log: %w", cerr)
	}
	if err != nil {
		return nil, counter.n, "", err
	}
	sum := h.Sum(nil)
	base := termtext.FileName(taskName)
	for i := 1; ; i++ {
		name := base + ".log"
		if i > 1 {
			name = fmt.Sprintf("%s (%d).log", base, i)
		}
		path := filepath.Join(dir, name)
		existing, err := fileSum(path)
		if errors.Is(err, os.ErrNotExist) {
			if err := os.Rename(tmp.Name(), path); err != nil {
				return d, counter.n, "", fmt.Errorf("save script log: %w", err)
			}
			return d, counter.n, path, nil
		}
		if err == nil && string(existing) == string(sum) {
			return d, counter.n, path, nil
		}
		if i > 999 {
			return d, counter.n, "", fmt.Errorf("save script log: too many files named %s in %s", base, dir)
		}
	}
}

func fileSum(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// safeName keeps a task or site name usable as a Windows file name.

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// evalConnections lists the monitor_apps_REST_* connections and flags the
// missing ones and the known breakages.
func evalConnections(conns []qrs.DataConnection, err error, sl *ScriptLog, site string) ([]Connection, []Finding) {
	if err != nil {
		return nil, []Finding{{Code: "connections-unreadable", Severity: Unknown, Title: "Could not read the data connections",
			Evidence: []string{err.Error()}, Hint: "The identity needs read access to data connections (RootAdmin)."}}
	}
	var out []Connection
	have := map[string]Connection{}
	for _, dc := range conns {
		if !isMonitorConnection(dc.Name) {
			continue
		}
		c := ParseConnection(dc.Name, dc.ConnectionString)
		out = append(out, c)
		have[strings.ToLower(dc.Name)] = c
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	var fs []Finding
	var missing, missingNew []string
	for _, n := range requiredConnections {
		if _, ok := have[strings.ToLower(n)]; !ok {
			missing = append(missing, n)
		}
	}
	for _, n := range newerConnections {
		if _, ok := have[strings.ToLower(n)]; !ok {
			missingNew = append(missingNew, n)
		}
	}
	var d *scriptlog.Diagnosis
	if sl != nil {
		d = sl.Diagnosis
	}
	if d != nil && d.Connection.Name != "" {
		if _, ok := have[strings.ToLower(d.Connection.Name)]; !ok && isMonitorConnection(d.Connection.Name) && !containsFold(missing, d.Connection.Name) && !containsFold(missingNew, d.Connection.Name) {
			missing = append(missing, d.Connection.Name)
		}
	}
	if len(missing) > 0 {
		fs = append(fs, Finding{Code: "connection-missing", Severity: Critical, App: LicenseMonitorApp,
			Title:    fmt.Sprintf("%d monitor_apps_REST connection(s) the License Monitor needs are missing", len(missing)),
			Evidence: missing,
			Hint:     "Recreate them in the QMC > Data connections, or re-import the License Monitor app, which recreates the connections it ships with (after an upgrade, update them as the release notes say)."})
	}
	if len(missingNew) > 0 {
		fs = append(fs, Finding{Code: "connection-missing-718", Severity: Warning, App: LicenseMonitorApp,
			Title:    "Connections used by License Monitor 7.18 and later are missing",
			Evidence: missingNew,
			Hint:     "If the site runs License Monitor 7.18 or later, create them (QMC > Data connections) or re-import the app; older License Monitors do not need them."})
	}
	if d != nil && d.Code == "rest-auth" {
		if c, ok := have[strings.ToLower(d.Connection.Name)]; ok && c.Auth == "ntlm" {
			fs = append(fs, Finding{Code: "connection-ntlm-rejected", Severity: Critical, App: LicenseMonitorApp,
				Title: fmt.Sprintf("%s authenticates with Windows (NTLM) through the proxy and is refused", c.Name),
				Evidence: []string{fmt.Sprintf("url %s (host %s, port %s, prefix %q), auth %s", c.URL, c.Host, c.Port, c.Prefix, c.Auth),
					fmt.Sprintf("HTTP %d in the script log", d.HTTPStatus)},
				Hint: "Either the user and password stored on the monitor_apps_REST_* connections are wrong (update them all, e.g. after a service-account password change), or the virtual proxy no longer accepts Windows authentication (Kerberos, SAML, header or a prefix change): then switch the connections to certificate or JWT authentication (Qlik support article 000104165). " + repairCommand(site, "401")})
		}
	}
	if d != nil && d.Code == "rest-http" && d.HTTPStatus == 404 && isMonitorConnection(d.Connection.Name) {
		fs = append(fs, Finding{Code: "connection-url-not-found", Severity: Critical, App: LicenseMonitorApp,
			Title:    fmt.Sprintf("%s calls a URL the proxy does not serve (HTTP 404)", d.Connection.Name),
			Evidence: connectionEvidence(have, d.Connection.Name),
			Hint:     "The default virtual proxy probably got a prefix (or the host changed) after the connections were made. " + repairCommand(site, "404")})
	}
	if len(fs) == 0 && len(out) > 0 {
		fs = append(fs, Finding{Code: "connections-present", Severity: OK, App: LicenseMonitorApp,
			Title: fmt.Sprintf("All %d monitor_apps_REST connections are present", len(out))})
	}
	return out, fs
}

// containsFold reports whether s holds v, ignoring case: QRS names are
// case-insensitive.
func containsFold(s []string, v string) bool {
	return slices.ContainsFunc(s, func(x string) bool { return strings.EqualFold(x, v) })
}

// fix starts the task when its last run did not succeed and waits for the
// run. It returns that run (nil when none was started or its end could not
// be read) and the finding that says what --fix did.
func fix(ctx context.Context, c Client, opts Options, r *Report, f *taskFacts) (*Execution, Finding) {
	if f.task == nil {
		return nil, Finding{Code: "fix-skipped", Severity: r.Status, Title: "--fix: there is no task to start"}
	}
	if last := f.task.LastExecution(); last != nil && last.Status.IsSuccess() {
		return nil, Finding{Code: "fix-skipped", Severity: OK, Title: "--fix: the last run succeeded, nothing to start"}
	}
	ctx, cancel := context.WithTimeout(ctx, opts.FixTimeout)
	defer cancel()
	session, err := c.StartTaskSynchronous(ctx, f.task.ID)
	if err != nil {
		return nil, Finding{Code: "fix-failed", Severity: Critical, Title: "--fix: could not start the task", Evidence: []string{err.Error()},
			Hint: "Starting tasks needs the right to update the task (RootAdmin or ContentAdmin)."}
	}
	results, err := c.WaitExecution(ctx, session, 2*time.Second)
	if err != nil || len(results) == 0 {
		msg := "no execution result"
		if err != nil {
			msg = err.Error()
		}
		return nil, Finding{Code: "fix-failed", Severity: Unknown, Title: "--fix: started the task but could not read how it ended", Evidence: []string{msg}}
	}
	sort.SliceStable(results, func(i, j int) bool { return startOf(&results[i]).After(startOf(&results[j])) })
	x := execution(&results[0].ExecutionResultCondensed)
	if results[0].Status.IsSuccess() {
		return x, Finding{Code: "fix-succeeded", Severity: OK, Title: fmt.Sprintf("--fix: the task was started and succeeded in %s", humanDuration(x.Duration))}
	}
	return x, Finding{Code: "fix-failed", Severity: Critical, Title: fmt.Sprintf("--fix: the task was started and ended as %s", x.Status),
		Evidence: x.Details[max(len(x.Details)-3, 0):], Hint: "The cause above is still there: fix it, then run the task again."}
}

// Failed is the report of a check that could not start, e.g. because the
// client certificate could not be loaded: status UNKNOWN with the reason.
func Failed(opts Options, err error) *Report {
	opts.defaults()
	r := &Report{Site: opts.Site, Server: qrs.RedactURL(opts.Server), CheckedAt: opts.Now().UTC()}
	f := unreachable(err)
	f.Title = "Could not connect to the Qlik Sense Repository Service"
	r.add(f)
	r.finish()
	return r
}

// abortedRun explains a log that just stops: when the QRS says the run was
// aborted, the engine was stopped mid-statement, which the log alone cannot
// tell from a file cut short.
func abortedRun(d *scriptlog.Diagnosis, last *qrs.ExecutionResultCondensed) {
	if !last.Status.IsAbort() || (d.Outcome != scriptlog.OutcomeTruncated && d.Outcome != scriptlog.OutcomeUnknown) {
		return
	}
	for _, rule := range scriptlog.Catalogue() {
		if rule.Code == "aborted" {
			d.Outcome, d.Code, d.Title, d.Hint = scriptlog.OutcomeAborted, rule.Code, rule.Title, rule.Hint
			if d.Error == "" {
				d.Error = "the log ends while the statement ran: the task was " + last.Status.String()
			}
			return
		}
	}
}
