package cli

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/check/inspect"
	"github.com/licmon/licmon/internal/config"
)

const checkUsage = `
Usage: licmon check [--site NAME | --all-sites | connection flags] [flags]

Checks that the License Monitor works: finds the "Reload License Monitor"
task, its triggers and last runs; when the last run failed, downloads the
script log and says which line, which connection, why, and how to fix it;
checks that the app's data is fresh, that the monitor_apps_REST_* data
connections exist, and that the site license is valid.
` + connUsage + `
Exit status (Nagios plugin codes):
  0  OK        everything works
  1  WARNING   something needs attention soon
  2  CRITICAL  the License Monitor is broken or stale, or the license expired
  3  UNKNOWN   could not decide (e.g. the QRS is unreachable; the reason is printed)

A check of one site ends after 4 x --timeout (default 2m; with --fix plus
the 30m it may wait for the task) even if the QRS keeps answering slowly:
what it could not read by then is UNKNOWN, with the reason.

Examples:
  licmon check --server https://qlik.example.com:4242 --cert-dir ./certs
  licmon check --site prod --save-logs ./scriptlogs
  licmon check --all-sites --all-monitoring-apps --format nagios
  licmon check --site prod --format json | jq .scriptLog.diagnosis
  licmon check --site test --fix       # start the task if it failed and wait for it
`

func runCheck(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "check", checkUsage)
	var cf connFlags
	cf.register(fs, true)
	task := fs.String("task", "", `name of the License Monitor reload task (default "Reload License Monitor")`)
	allApps := fs.Bool("all-monitoring-apps", false, "also check Operations Monitor and the other monitoring apps")
	maxAge := fs.String("max-age", "", "oldest acceptable License Monitor reload, e.g. 3h or 2d (default: two trigger intervals)")
	saveLogs := fs.String("save-logs", "", "`folder` to save the downloaded script logs in (named as the QMC names them)")
	format := fs.String("format", "text", "output `format`: text, json or nagios")
	fixFlag := fs.Bool("fix", false, "start the task when its last run failed, wait for the result and report it")
	licenseDays := fs.Int("license-warn-days", 0, "warn when the site license ends within this many `days` (default 30)")
	if ok, code := parseFlags(fs, args, int(check.Unknown)); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(e, int(check.Unknown), fmt.Errorf("check takes no arguments (got %q); see licmon check -h", fs.Args()))
	}
	if *licenseDays < 0 {
		return fail(e, int(check.Unknown), fmt.Errorf("--license-warn-days %d: must be 0 or more days (0: the default, 30)", *licenseDays))
	}
	if *format != "text" && *format != "json" && *format != "nagios" {
		return fail(e, int(check.Unknown), fmt.Errorf("--format %q: use text, json or nagios", *format))
	}
	age, err := config.ParseDuration(*maxAge)
	if err != nil {
		return fail(e, int(check.Unknown), fmt.Errorf("--max-age: %w", err))
	}
	cfg, sites, err := cf.resolve(e)
	if err != nil {
		return fail(e, int(check.Unknown), err)
	}

	reports := make([]*check.Report, len(sites))
	var wg sync.WaitGroup
	for i := range sites {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &sites[i]
			opts := inspect.Options{
				Site: s.Name, Server: s.DisplayServer(), Task: cfg.TaskFor(s),
				AllMonitoringApps: *allApps || cfg.Check.AllMonitoringApps,
				MaxAge:            age, SaveLogs: *saveLogs, SaveLogsPerSite: len(sites) > 1, LicenseWarnDays: cfg.Check.LicenseWarnDays,
				Fix: *fixFlag,
			}
			if *task != "" {
				opts.Task = *task
			}
			if opts.MaxAge == 0 {
				opts.MaxAge = time.Duration(cfg.Check.MaxAge)
			}
			if opts.SaveLogs == "" {
				opts.SaveLogs = cfg.Check.SaveLogs
			}
			if *licenseDays > 0 {
				opts.LicenseWarnDays = *licenseDays
			}
			c, err := newClient(e, s)
			if err != nil {
				reports[i] = inspect.Failed(opts, err)
				return
			}
			cctx, cancel := inspect.WithDeadline(ctx, s.Name, time.Duration(s.Timeout), opts.Fix)
			defer cancel()
			reports[i] = inspect.Run(cctx, c, opts)
			c.CloseIdleConnections()
		}()
	}
	wg.Wait()

	switch *format {
	case "json":
		err = check.WriteJSON(e.stdout, reports)
	case "nagios":
		err = check.WriteNagios(e.stdout, reports)
	default:
		err = check.WriteText(e.stdout, reports)
	}
	if err != nil {
		return fail(e, int(check.Unknown), err)
	}
	return int(check.Worst(reports))
}
