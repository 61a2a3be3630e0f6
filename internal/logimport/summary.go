package logimport

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

// Summary is what the imported logs of a site say, for licmon logs
// summary, the dashboard and the API (the JSON form is stable).
type Summary struct {
	Site     string   `json:"site"`
	From     *string  `json:"from"`
	To       *string  `json:"to"`
	Files    int64    `json:"files"`
	Rows     int64    `json:"rows"`
	Warnings int64    `json:"warnings"`
	Nodes    []string `json:"nodes"`
	Users    int64    `json:"users"`
	Sessions int64    `json:"sessions"`
	// Denials per type: unmet demand for a seat.
	Denials             map[string]int64 `json:"denials"`
	DenialUsers         int64            `json:"denial_users"`
	SessionLimitDenials int64            `json:"session_limit_denials"`
	UntypedDenials      int64            `json:"untyped_denials"`
	LicenseCommands     int64            `json:"license_commands"`
	TaskRuns            int64            `json:"task_runs"`
	FailedTaskRuns      int64            `json:"failed_task_runs"`
	ScriptLogs          int64            `json:"script_logs"`
	FailedScriptLogs    int64            `json:"failed_script_logs"`
	// ActiveUsers is the mean and peak of the daily active users per type
	// over the range ("unknown" = users whose type the logs do not show).
	ActiveUsers        []ActiveStat `json:"daily_active_users"`
	LicenseMonitorRuns []Run        `json:"license_monitor_runs"`
	FailedReloads      []Reload     `json:"failed_reloads"`
}

// ActiveStat is the mean and peak of the daily active users of a type.
type ActiveStat struct {
	Type string  `json:"type"`
	Mean float64 `json:"mean"`
	Peak int64   `json:"peak"`
	Days int     `json:"days"`
}

// Reload is a diagnosed script log.
type Reload struct {
	File    string  `json:"file"`
	AppID   string  `json:"app_id"`
	App     *string `json:"app"`
	Start   *string `json:"start"`
	Outcome string  `json:"outcome"`
	Code    string  `json:"code"`
	Title   string  `json:"title"`
	Hint    string  `json:"hint,omitempty"`
	Error   string  `json:"error,omitempty"`
}

// Run is a finished task execution with its diagnosis, when its script
// log was imported.
type Run struct {
	Task      string  `json:"task"`
	Start     *string `json:"start"`
	End       string  `json:"end"`
	Status    string  `json:"status"`
	Result    string  `json:"result"`
	Diagnosis *Reload `json:"diagnosis"`
}

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toReloadJSON(r store.LogReload) Reload {
	return Reload{File: r.File, AppID: r.AppID, App: optString(r.App), Start: optTime(r.Start), Outcome: r.Outcome,
		Code: r.Code, Title: r.Title, Hint: r.Hint, Error: r.Err}
}

// LicenseMonitorApp is the app whose reload history the summary shows.
const LicenseMonitorApp = "License Monitor"

// Summarize reads the summary of the site's imported logs.
func Summarize(ctx context.Context, st store.LogStore, site string) (*Summary, error) {
	sum, err := st.LogSummary(ctx, site)
	if err != nil {
		if errors.Is(err, store.ErrUnknownSite) {
			return nil, fmt.Errorf("logs summary: no logs imported for site %q; run licmon logs import --site %s PATH first", site, site)
		}
		return nil, err
	}
	out := &Summary{Site: site, Files: sum.Files, Rows: sum.Rows, Warnings: sum.Warnings, Nodes: sum.Nodes,
		Users: sum.Users, Sessions: sum.Sessions, Denials: map[string]int64{}, DenialUsers: sum.DenialUsers,
		SessionLimitDenials: sum.SessionLimitDenials, UntypedDenials: sum.UntypedDenials, LicenseCommands: sum.LicenseCommands,
		TaskRuns: sum.TaskRuns, FailedTaskRuns: sum.FailedTaskRuns, ScriptLogs: sum.Reloads, FailedScriptLogs: sum.FailedReloads,
		ActiveUsers: []ActiveStat{}, LicenseMonitorRuns: []Run{}, FailedReloads: []Reload{}}
	if out.Nodes == nil {
		out.Nodes = []string{}
	}
	for t, n := range sum.Denials {
		out.Denials[string(t)] = n
	}
	if !sum.From.IsZero() {
		f, t := sum.From.Format(time.DateOnly), sum.To.Format(time.DateOnly)
		out.From, out.To = &f, &t
		days, err := st.LogActivity(ctx, site, sum.From, sum.To)
		if err != nil {
			return nil, err
		}
		out.ActiveUsers = activeStats(days)
	}
	runs, err := st.LogTaskRuns(ctx, site, LicenseMonitorApp, 10)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		j := Run{Task: r.Task, Start: optTime(r.Start), End: r.End.UTC().Format(time.RFC3339), Status: r.Status, Result: r.Result}
		if r.Reload != nil {
			d := toReloadJSON(*r.Reload)
			j.Diagnosis = &d
		}
		out.LicenseMonitorRuns = append(out.LicenseMonitorRuns, j)
	}
	failed, err := st.LogReloads(ctx, site, true, 10)
	if err != nil {
		return nil, err
	}
	for _, r := range failed {
		out.FailedReloads = append(out.FailedReloads, toReloadJSON(r))
	}
	return out, nil
}

// activeStats sums the daily activity per type: mean over the days that
// have any activity, and the peak.
func activeStats(days []store.LogActiveDay) []ActiveStat {
	type acc struct {
		sum, peak int64
	}
	per := map[string]*acc{}
	dayset := map[time.Time]bool{}
	for _, d := range days {
		t := string(d.Type)
		if t == "" {
			t = "unknown"
		}
		a := per[t]
		if a == nil {
			a = &acc{}
			per[t] = a
		}
		a.sum += d.Users
		a.peak = max(a.peak, d.Users)
		dayset[d.Day] = true
	}
	order := map[string]int{"unknown": 99}
	for i, t := range license.Types() {
		order[string(t)] = i
	}
	var out []ActiveStat
	for t, a := range per {
		out = append(out, ActiveStat{Type: t, Mean: float64(a.sum) / float64(len(dayset)), Peak: a.peak, Days: len(dayset)})
	}
	sort.Slice(out, func(i, j int) bool { return order[out[i].Type] < order[out[j].Type] })
	return out
}
