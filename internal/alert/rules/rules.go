// Package rules decides which alerts fire for a site, from what `licmon
// serve` learnt about it (the latest check, the collected license counters,
// the run-out forecasts) and the rules of the configuration (alerts.rules,
// whose types are defined here). It is pure: plain values in, alerts out;
// package alert deduplicates and delivers them.
package rules

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/notify"
)

// Rule identifiers: the second part of an alert key ("prod/lm-task-failed",
// "prod/available-low/professional").
const (
	TaskFailed     = "lm-task-failed"
	Stale          = "lm-stale"
	QRSUnreachable = "qrs-unreachable"
	AvailableLow   = "available-low"
	RunOut         = "runout"
	LicenseEnd     = "license-end"
)

// Config tunes Evaluate.
type Config struct {
	Rules Rules
	// LogHead and LogTail are how many first and last lines of a failing
	// script log the task-failed alert quotes.
	LogHead, LogTail int
}

// Input is what the rules look at for one site. Nil parts were not
// observed yet; the rules that need them are then not evaluated, so their
// alerts neither fire nor resolve.
type Input struct {
	Site string
	Now  time.Time
	// Check is the latest check of the site.
	Check *check.Report
	// Counters are the latest collected license counters.
	Counters []license.Counters
	// RunOut is the run-out forecast per license type.
	RunOut map[license.Type]forecast.Result
	// LicenseEnd is when the site license ends (zero: unknown or perpetual).
	LicenseEnd time.Time
	// ExternalURL is serve.external_url; alerts link to ExternalURL/sites/{site}.
	ExternalURL string
}

// Result is the outcome of Evaluate.
type Result struct {
	// Firing are the alerts whose condition holds now.
	Firing []notify.Alert
	// Rules are the rule ids that were evaluated: an active alert of one of
	// these rules that is not firing any more is resolved.
	Rules []string
}

// taskFailureCodes are the check findings that mean the License Monitor's
// reload failed.
func isTaskFailure(code string) bool {
	switch code {
	case "task-failed", "task-aborted", "scheduler-failure":
		return true
	}
	return strings.HasPrefix(code, "script-") && code != "script-log-success"
}

// Evaluate applies the alert rules of cfg to one site.
func Evaluate(in Input, cfg Config) Result {
	var res Result
	r := cfg.Rules
	link := dashboardURL(in.ExternalURL, in.Site)
	base := func(rule, sub, severity string) notify.Alert {
		key := in.Site + "/" + rule
		if sub != "" {
			key += "/" + sub
		}
		a := notify.Alert{Key: key, Site: in.Site, Rule: rule, Severity: severity, Status: notify.StatusFiring,
			DashboardURL: link, StartsAt: in.Now.UTC(), Labels: map[string]string{"site": in.Site, "rule": rule}}
		if sub != "" {
			a.Labels["type"] = sub
		}
		return a
	}
	if c := in.Check; c != nil {
		if r.TaskFailed.IsEnabled() {
			res.Rules = append(res.Rules, TaskFailed)
			if a, ok := taskFailed(c, cfg, base(TaskFailed, "", r.TaskFailed.SeverityOr(notify.SeverityCritical))); ok {
				res.Firing = append(res.Firing, a)
			}
		}
		if r.Stale.IsEnabled() {
			res.Rules = append(res.Rules, Stale)
			if f := finding(c, "app-stale"); f != nil {
				a := base(Stale, "", r.Stale.SeverityOr(notify.SeverityWarning))
				a.Title = "License Monitor data is stale: " + f.Title
				a.Summary = c.Summary
				a.Details = findingDetails(f)
				res.Firing = append(res.Firing, a)
			}
		}
		if r.QRSUnreachable.IsEnabled() {
			res.Rules = append(res.Rules, QRSUnreachable)
			if f := finding(c, "qrs-unreachable"); f != nil {
				a := base(QRSUnreachable, "", r.QRSUnreachable.SeverityOr(notify.SeverityCritical))
				a.Title = "Qlik Sense Repository Service unreachable at " + c.Server
				a.Summary = f.Title
				a.Details = findingDetails(f)
				res.Firing = append(res.Firing, a)
			}
		}
	}
	if in.Counters != nil && r.AvailableBelow.IsEnabled() {
		res.Rules = append(res.Rules, AvailableLow)
		for _, ct := range in.Counters {
			if ct.Total <= 0 || ct.Type == license.UserAccess {
				continue // token passes share the token pool: no per-type total
			}
			th := r.AvailableBelow.For(string(ct.Type))
			avail := ct.Available
			pct := 100 * float64(avail) / float64(ct.Total)
			if !(avail < th.Count || pct < th.Percent) {
				continue
			}
			a := base(AvailableLow, string(ct.Type), r.AvailableBelow.SeverityOr(notify.SeverityWarning))
			a.Title = fmt.Sprintf("%s: only %d of %d available (%.1f%%)", ct.Type.Label(), avail, ct.Total, pct)
			a.Summary = fmt.Sprintf("%s of %s: %d allocated, %d quarantined, %d available; threshold %s.",
				ct.Type.Label(), in.Site, ct.Allocated, ct.Quarantined, avail, thresholdText(th))
			a.Details = []string{fmt.Sprintf("total %d, allocated %d, used %d, quarantined %d, excess %d", ct.Total, ct.Allocated, ct.Used, ct.Quarantined, ct.Excess)}
			res.Firing = append(res.Firing, a)
		}
	}
	if in.RunOut != nil && r.RunOutWithin.IsEnabled() {
		res.Rules = append(res.Rules, RunOut)
		days := r.RunOutWithin.DaysOr(60)
		for _, typ := range license.Types() {
			fc, ok := in.RunOut[typ]
			if !ok {
				continue
			}
			if !(fc.Status == forecast.StatusAlreadyExceeded || (fc.Status == forecast.StatusRunsOut && fc.DaysLeft <= days)) {
				continue
			}
			a := base(RunOut, string(typ), r.RunOutWithin.SeverityOr(notify.SeverityWarning))
			if fc.Status == forecast.StatusAlreadyExceeded {
				a.Title = fmt.Sprintf("%s: all %.0f licenses are allocated", typ.Label(), fc.Capacity)
			} else {
				a.Title = fmt.Sprintf("%s runs out in %d days (%s)", typ.Label(), fc.DaysLeft, fc.Date.Format(time.DateOnly))
			}
			a.Summary = fc.Reason
			a.Details = []string{fmt.Sprintf("current %.0f of %.0f; growth %.1f/month (30 days), %.1f/month (90 days); threshold %d days",
				fc.Current, fc.Capacity, fc.Slope30, fc.Slope90, days)}
			if fc.Earliest != nil {
				a.Details = append(a.Details, "earliest plausible run-out "+fc.Earliest.Format(time.DateOnly))
			}
			res.Firing = append(res.Firing, a)
		}
	}
	end := in.LicenseEnd
	if end.IsZero() && in.Check != nil && in.Check.License != nil {
		end = in.Check.License.ValidTo
	}
	if r.LicenseEndWithin.IsEnabled() && (in.Check != nil && in.Check.License != nil || !in.LicenseEnd.IsZero()) {
		res.Rules = append(res.Rules, LicenseEnd)
		days := r.LicenseEndWithin.DaysOr(30)
		if !end.IsZero() && end.Sub(in.Now) < time.Duration(days)*24*time.Hour {
			a := base(LicenseEnd, "", r.LicenseEndWithin.SeverityOr(notify.SeverityWarning))
			left := int(math.Floor(end.Sub(in.Now).Hours() / 24))
			if left < 0 {
				a.Title = "The site license ended on " + end.Format(time.DateOnly)
				a.Severity = notify.SeverityCritical
			} else {
				a.Title = fmt.Sprintf("The site license ends in %d days (%s)", left, end.Format(time.DateOnly))
			}
			a.Summary = "Plan the renewal: users lose access when the license ends. licmon report shows what to buy."
			a.Details = []string{fmt.Sprintf("threshold %d days", days)}
			res.Firing = append(res.Firing, a)
		}
	}
	return res
}

// taskFailed builds the License Monitor failure alert with the diagnosis
// and the head and tail of the script log.
func taskFailed(c *check.Report, cfg Config, a notify.Alert) (notify.Alert, bool) {
	var hits []*check.Finding
	for i := range c.Findings {
		f := &c.Findings[i]
		if f.Severity != check.OK && isTaskFailure(f.Code) && (f.App == "" || f.App == check.LicenseMonitorApp) {
			hits = append(hits, f)
		}
	}
	if len(hits) == 0 {
		return a, false
	}
	// The diagnosis (script-*) or scheduler cause says the most.
	slices.SortStableFunc(hits, func(x, y *check.Finding) int { return rank(x.Code) - rank(y.Code) })
	name := "Reload License Monitor"
	if c.Task != nil && c.Task.Name != "" {
		name = c.Task.Name
	}
	a.Title = "License Monitor reload failed: " + hits[0].Title
	a.Summary = fmt.Sprintf("The task %q on %s failed. %s", name, c.Site, c.Summary)
	if h := hits[0].Hint; h != "" {
		a.Summary += " " + h
	}
	if t := c.Task; t != nil {
		if t.Last != nil {
			a.Details = append(a.Details, fmt.Sprintf("Task: %s (%s, %d consecutive failures)", name, t.Last.Status, t.FailureStreak))
			if t.Last.Node != "" {
				a.Details = append(a.Details, "Execution node: "+t.Last.Node)
			}
		}
		if !t.LastSuccess.IsZero() {
			a.Details = append(a.Details, "Last success: "+t.LastSuccess.UTC().Format(notify.TimeLayout))
		}
		a.Labels["task"] = name
	}
	for _, f := range hits {
		a.Details = append(a.Details, f.Code+": "+f.Title)
		a.Details = append(a.Details, f.Evidence...)
	}
	if sl := c.ScriptLog; sl != nil {
		if d := sl.Diagnosis; d != nil {
			line := d.Statement.ScriptLine
			a.Diagnosis = &notify.Diagnosis{Code: d.Code, Connection: d.Connection.Name, Line: line,
				Statement: d.Statement.Text, Error: d.Error, Hint: d.Hint}
		}
		a.LogHead = firstN(sl.Head, max(cfg.LogHead, 0))
		a.LogTail = slices.Clone(sl.Tail[max(len(sl.Tail)-max(cfg.LogTail, 0), 0):])
	}
	return a, true
}

func rank(code string) int {
	switch {
	case strings.HasPrefix(code, "script-"), code == "scheduler-failure":
		return 0
	case code == "task-aborted":
		return 1
	}
	return 2
}

func finding(c *check.Report, code string) *check.Finding {
	for i := range c.Findings {
		if f := &c.Findings[i]; f.Code == code && f.Severity != check.OK {
			return f
		}
	}
	return nil
}

func findingDetails(f *check.Finding) []string {
	out := append([]string(nil), f.Evidence...)
	if f.Hint != "" {
		out = append(out, "Hint: "+f.Hint)
	}
	return out
}

func thresholdText(th Threshold) string {
	var parts []string
	if th.Count > 0 {
		parts = append(parts, fmt.Sprintf("fewer than %d", th.Count))
	}
	if th.Percent > 0 {
		parts = append(parts, fmt.Sprintf("less than %g%%", th.Percent))
	}
	return strings.Join(parts, " or ")
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		s = s[:n]
	}
	return append([]string(nil), s...)
}

// dashboardURL is the site's dashboard page, "" without an external URL.
func dashboardURL(external, site string) string {
	if external == "" {
		return ""
	}
	return strings.TrimRight(external, "/") + "/sites/" + url.PathEscape(site)
}
