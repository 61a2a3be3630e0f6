// Package inspect gathers what a check of a site looks at, from the QRS
// (through the small Client interface) and the script log it downloads
// (saved with --save-logs), hands those facts as plain values to package
// check's judging, and runs --fix: start the failed task, wait, check again.
package inspect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/qrs"
)

// MonitoringStream is the stream the monitoring apps are published to.
const MonitoringStream = "Monitoring apps"

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
// becomes a finding of severity check.Unknown that says why.
func Run(ctx context.Context, c Client, opts Options) *check.Report {
	opts.defaults()
	start := time.Now()
	r, lm := inspect(ctx, c, opts)
	if opts.Fix && lm != nil {
		r = fixAndRecheck(ctx, c, opts, r, lm)
	}
	r.Took = time.Since(start)
	r.TookMS = r.Took.Milliseconds()
	r.Finish()
	return r
}

// inspect gathers and evaluates one site once, at opts.Now(). The task facts
// are nil when the QRS could not be reached.
func inspect(ctx context.Context, c Client, opts Options) (*check.Report, *taskFacts) {
	now := opts.Now()
	r := &check.Report{Site: opts.Site, Server: qrs.RedactURL(opts.Server), CheckedAt: now.UTC()}
	defer r.Finish()

	// The License Monitor task comes first: if the QRS cannot be reached the
	// check stops there with UNKNOWN and the reason.
	lm, err := gatherTask(ctx, c, opts, check.LicenseMonitorApp, opts.Task, now)
	if err != nil {
		r.Add(unreachable(err))
		return r, nil
	}

	var (
		wg        sync.WaitGroup
		conns     []check.DataConnection
		connErr   error
		lic       check.LicenseFacts
		others    []*taskFacts
		othersErr error
	)
	wg.Add(3)
	go func() {
		defer wg.Done()
		conns, connErr = dataConnections(ctx, c)
	}()
	go func() {
		defer wg.Done()
		lic = gatherLicense(ctx, c)
	}()
	go func() {
		defer wg.Done()
		if opts.AllMonitoringApps {
			others, othersErr = gatherOtherApps(ctx, c, opts, lm, now)
		}
	}()
	wg.Wait()

	maxAge := opts.MaxAge
	info, findings := check.EvalTask(now, lm.facts(), maxAge)
	r.Task = info
	r.Findings = append(r.Findings, findings...)
	if lm.task != nil {
		r.ScriptLog = scriptLogFindings(ctx, c, opts, r, lm)
	}

	connections, cf := check.EvalConnections(conns, connErr, r.ScriptLog, opts.Site)
	r.Connections = connections
	r.Findings = append(r.Findings, cf...)

	li, lf := check.EvalLicense(now, lic, opts.LicenseWarnDays)
	r.License = li
	r.Findings = append(r.Findings, lf...)

	if opts.AllMonitoringApps {
		r.Apps = append(r.Apps, check.AppReport{App: check.LicenseMonitorApp, Task: r.Task, ScriptLog: r.ScriptLog, Status: check.WorstFor(r.Findings, check.LicenseMonitorApp)})
		if othersErr != nil {
			r.Add(check.Finding{Code: "apps-unreadable", Severity: check.Unknown, Title: "Could not list the other monitoring apps", Evidence: []string{othersErr.Error()}})
		}
		for _, f := range others {
			ti, tf := check.EvalTask(now, f.facts(), maxAge)
			r.Findings = append(r.Findings, tf...)
			ar := check.AppReport{App: f.appName, Task: ti}
			if f.task != nil {
				ar.ScriptLog = scriptLogFindings(ctx, c, opts, r, f)
			}
			ar.Status = check.WorstFor(r.Findings, f.appName)
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
func fixAndRecheck(ctx context.Context, c Client, opts Options, r *check.Report, lm *taskFacts) *check.Report {
	x, f := fix(ctx, c, opts, r, lm)
	if x == nil {
		r.Add(f)
		return r
	}
	f.Evidence = append(f.Evidence, fmt.Sprintf("before --fix: %s: %s", strings.ToUpper(r.Status.String()), r.Summary))
	after, _ := inspect(ctx, c, opts)
	after.Fix = x
	after.Add(f)
	return after
}

// unreachable turns the first QRS error into an UNKNOWN finding that says why.
func unreachable(err error) check.Finding {
	f := check.Finding{Code: "qrs-unreachable", Severity: check.Unknown, Title: "Could not query the Qlik Sense Repository Service",
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

// Failed is the report of a check that could not start, e.g. because the
// client certificate could not be loaded: status UNKNOWN with the reason.
func Failed(opts Options, err error) *check.Report {
	opts.defaults()
	r := &check.Report{Site: opts.Site, Server: qrs.RedactURL(opts.Server), CheckedAt: opts.Now().UTC()}
	f := unreachable(err)
	f.Title = "Could not connect to the Qlik Sense Repository Service"
	r.Add(f)
	r.Finish()
	return r
}
