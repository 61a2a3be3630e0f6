package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/logimport"
	"github.com/licmon/licmon/internal/store"
)

const logsUsage = `
Usage: licmon logs import PATH... [--site NAME] [--db PATH] [--config FILE]
       licmon logs summary [--site NAME] [--db PATH] [--format text|json]

Reads the Qlik Sense logs into the history store: who used the site each
day (sessions, daily active users per license type), who was turned away
(access denials: the unmet demand the report shows), license commands, task
executions and the reload script logs, each diagnosed, going back as far as
the logs do. It works offline: no QRS access is needed.

import takes folders and .zip files in the archived-logs layout
(<node>/<Service>/<Audit|System|Trace>/*.log), live Log folders (*.txt),
Script folders and a Log Collector zip, reads them in parallel and
streaming, and skips files imported before (same size and checksum), so it
can be run again at any time and resumes where it stopped. Bad files (cut,
binary, wrong encoding, odd zip paths) give warnings; the good ones are read.

summary prints the date range, nodes, users, sessions, denials per type and
the failed reloads with their diagnoses.

Examples:
  licmon logs import --site prod '\\qlikshare\ArchivedLogs'
  licmon logs import --site prod C:\ProgramData\Qlik\Sense\Log
  licmon logs import --site prod LogCollector_2026-11-27.zip
  licmon logs summary --site prod
  licmon logs summary --site prod --format json

Exit status: 0 done (warnings are printed), 1 error (what was saved stays;
run again to resume), 2 usage.
`

func runLogs(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "import":
			return runLogsImport(ctx, e, args[1:])
		case "summary":
			return runLogsSummary(ctx, e, args[1:])
		}
	}
	fs := newFlagSet(e, "logs", logsUsage)
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	return fail(e, ExitUsage, errors.New("logs: say import or summary (see licmon logs -h)"))
}

// parseInterspersed parses flags that may come after positional arguments
// (licmon logs import DIR --site prod) and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) (pos []string, ok bool, code int) {
	for {
		if ok, code := parseFlags(fs, args, ExitUsage); !ok {
			return nil, false, code
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, true, 0
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), true, 0
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// logsSite picks the site: --site, else the only configured site, else the
// only site in the store.
func logsSite(ctx context.Context, st store.Store, flagSite string, configured []string) (string, error) {
	if flagSite != "" {
		return flagSite, nil
	}
	if len(configured) == 1 {
		return configured[0], nil
	}
	sites, err := st.Sites(ctx)
	if err != nil {
		return "", err
	}
	if len(sites) == 1 && len(configured) == 0 {
		return sites[0], nil
	}
	return "", errors.New("logs: name the site the logs belong to with --site NAME")
}

func runLogsImport(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "logs import", logsUsage)
	site := fs.String("site", "", "site `name` the logs belong to (default: the only site of the config or the store)")
	dbPath := fs.String("db", "", "history store `file` (default: db in the config, else the OS data dir)")
	cfgPath := fs.String("config", "", "configuration `file` (for its db path and sites)")
	workers := fs.Int("workers", 0, "files read at once (default: the number of CPUs)")
	paths, ok, code := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	if len(paths) == 0 {
		return fail(e, ExitUsage, errors.New("logs import: give at least one folder, .zip or log file (see licmon logs -h)"))
	}
	cfg, st, path, err := configAndStore(ctx, *cfgPath, *dbPath, false)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer st.Close()
	name, err := logsSite(ctx, st, *site, cfg.SiteNames())
	if err != nil {
		return fail(e, ExitUsage, err)
	}
	softMemoryLimit()
	res, err := logimport.Import(ctx, st, paths, logimport.Options{Site: name, Workers: *workers})
	if res != nil {
		printLogImport(e.stdout, name, store.RedactDSN(path), res)
	}
	if err != nil {
		return fail(e, ExitError, err)
	}
	return ExitOK
}

func printLogImport(w io.Writer, site, db string, r *logimport.Result) {
	secs := r.Duration.Seconds()
	rate := "–"
	if secs > 0 && r.Bytes > 0 {
		rate = fmt.Sprintf("%.0f MB/s", float64(r.Bytes)/1e6/secs)
	}
	fmt.Fprintf(w, "Logs of site %s into %s\n", site, db)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "files\t%d found, %d read, %d already imported, %d not logs\n", r.Files, r.Read, r.Skipped, r.NotLogs)
	fmt.Fprintf(tw, "read\t%.1f MB, %d rows in %s (%s)\n", float64(r.Bytes)/1e6, r.Rows, r.Duration.Round(time.Millisecond), rate)
	fmt.Fprintf(tw, "events\t%d session records, %d license uses, %d denials, %d license commands, %d task runs, %d script logs\n",
		r.Sessions, r.Uses, r.Denials, r.Commands, r.TaskRuns, r.Reloads)
	if r.From.IsZero() {
		fmt.Fprintf(tw, "days\t–\n")
	} else {
		fmt.Fprintf(tw, "days\t%s to %s\n", r.From.Format(time.DateOnly), r.To.Format(time.DateOnly))
	}
	tw.Flush()
	if n := len(r.Warnings) + r.DroppedWarnings; n > 0 {
		fmt.Fprintf(w, "\nWarnings (%d; the rest of each file was read):\n", n)
		for _, wn := range r.Warnings {
			fmt.Fprintf(w, "  %s\n", stripControl(wn.String()))
		}
		if r.DroppedWarnings > 0 {
			fmt.Fprintf(w, "  … and %d more\n", r.DroppedWarnings)
		}
	}
}

// stripControl keeps file names and log text from moving the terminal's
// cursor: a log line or zip member name is not trusted.
func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}

func runLogsSummary(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "logs summary", logsUsage)
	site := fs.String("site", "", "site `name` (default: the only site of the config or the store)")
	dbPath := fs.String("db", "", "history store `file` (default: db in the config, else the OS data dir)")
	cfgPath := fs.String("config", "", "configuration `file` (for its db path and sites)")
	format := fs.String("format", "text", "output `format`: text or json")
	pos, ok, code := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return fail(e, ExitUsage, fmt.Errorf("logs summary: unexpected argument %q (flags only)", pos[0]))
	}
	if *format != "text" && *format != "json" {
		return fail(e, ExitUsage, fmt.Errorf("logs summary: unknown --format %q: use text or json", *format))
	}
	cfg, st, _, err := configAndStore(ctx, *cfgPath, *dbPath, true)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer st.Close()
	name, err := logsSite(ctx, st, *site, cfg.SiteNames())
	if err != nil {
		return fail(e, ExitUsage, err)
	}
	s, err := logimport.Summarize(ctx, st, name)
	if err != nil {
		return fail(e, ExitError, err)
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return fail(e, ExitError, err)
		}
		return ExitOK
	}
	printLogsSummary(e.stdout, s)
	return ExitOK
}

func dash(p *string) string {
	if p == nil {
		return "–"
	}
	return *p
}

func printLogsSummary(w io.Writer, s *logimport.Summary) {
	fmt.Fprintf(w, "Logs of site %s\n", s.Site)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "range\t%s to %s\n", dash(s.From), dash(s.To))
	fmt.Fprintf(tw, "files\t%d (%d rows, %d warnings)\n", s.Files, s.Rows, s.Warnings)
	nodes := "–"
	if len(s.Nodes) > 0 {
		nodes = strings.Join(s.Nodes, ", ")
	}
	fmt.Fprintf(tw, "nodes\t%s\n", stripControl(nodes))
	fmt.Fprintf(tw, "users\t%d with sessions\n", s.Users)
	fmt.Fprintf(tw, "sessions\t%d\n", s.Sessions)
	var den []string
	for _, t := range license.Types() {
		if n, ok := s.Denials[string(t)]; ok {
			den = append(den, fmt.Sprintf("%s %d", t, n))
		}
	}
	if len(den) == 0 {
		den = append(den, "none")
	}
	fmt.Fprintf(tw, "denials\t%s (%d users): unmet demand\n", strings.Join(den, ", "), s.DenialUsers)
	if s.SessionLimitDenials+s.UntypedDenials > 0 {
		fmt.Fprintf(tw, "\t%d at the five-sessions limit of a user with a seat, %d naming no type: not counted as unmet demand\n",
			s.SessionLimitDenials, s.UntypedDenials)
	}
	fmt.Fprintf(tw, "license commands\t%d (besides uses and denials)\n", s.LicenseCommands)
	fmt.Fprintf(tw, "task runs\t%d (%d not successful)\n", s.TaskRuns, s.FailedTaskRuns)
	fmt.Fprintf(tw, "script logs\t%d (%d not successful)\n", s.ScriptLogs, s.FailedScriptLogs)
	tw.Flush()
	if len(s.ActiveUsers) > 0 {
		fmt.Fprintf(w, "\nDaily active users (from sessions; type from the license rows of the logs):\n")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "  type\tmean\tpeak\tdays\t\n")
		for _, a := range s.ActiveUsers {
			fmt.Fprintf(tw, "  %s\t%.1f\t%d\t%d\t\n", a.Type, a.Mean, a.Peak, a.Days)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nLicense Monitor reloads (latest %d):\n", len(s.LicenseMonitorRuns))
	if len(s.LicenseMonitorRuns) == 0 {
		fmt.Fprintf(w, "  – (no scheduler rows for the %s app in the logs)\n", logimport.LicenseMonitorApp)
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range s.LicenseMonitorRuns {
		diag := "–"
		if r.Diagnosis != nil {
			diag = r.Diagnosis.Code + ": " + r.Diagnosis.Title
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.End, r.Status, r.Result, stripControl(diag))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nFailed reloads (latest %d):\n", len(s.FailedReloads))
	if len(s.FailedReloads) == 0 {
		fmt.Fprintf(w, "  none\n")
	}
	hinted := map[string]bool{}
	for _, r := range s.FailedReloads {
		app := r.AppID
		if r.App != nil {
			app = *r.App
		}
		fmt.Fprintf(w, "  %s  %s  %s: %s\n", dash(r.Start), stripControl(app), r.Code, stripControl(r.Title))
		if r.Hint != "" && !hinted[r.Code+r.Hint] { // once per diagnosis
			hinted[r.Code+r.Hint] = true
			fmt.Fprintf(w, "      %s\n", stripControl(r.Hint))
		}
	}
}
