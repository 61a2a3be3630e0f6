package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/store"
)

const reportUsage = `
Usage: licmon report [--site NAME] [--db PATH] [--config FILE] [--as-of DATE]
                     [--horizon 12mo] [--format text|json|csv|html] [--wide]
                     [--candidates] [--out FILE]

Answers from the history store alone (no connection to Qlik Sense): how each
license type grows, when it runs out (with an 80% interval and the error the
forecast had on this site's own history), and what to buy or reclaim before
the horizon (for example the renewal). It lists reclaim candidates (unused
allocations), Professional users who author nothing (Analyzer is enough),
users holding both types and capacity users who would be cheaper on an
Analyzer seat. Reconstructed history (lower bounds) is shown as such and
left out of the forecasts unless --include-reconstructed.

The candidate lists of a large site run to tens of thousands of users: text
and HTML show their counts (HTML also the first 20 to reclaim), JSON the
counts and the first 20 of each list. --candidates gives every candidate:
with --format csv one row per user and list, with --format json the lists
in full.

Examples:
  licmon report --site prod
  licmon report --site prod --horizon 2027-03-31 --headroom 15
  licmon report --site prod --format html --out license-report.html
  licmon report --site prod --format csv --candidates --out candidates.csv
  licmon report --site prod --as-of 2026-01-31 --format json
  licmon report --site prod --format json --candidates --out report-full.json
`

func runReport(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "report", reportUsage)
	site := fs.String("site", "", "site `name` (default: the only site in the store)")
	dbPath := fs.String("db", "", "history store `file` (default: db in the config, else the OS data dir)")
	cfgPath := fs.String("config", "", "configuration `file` (for its db path)")
	asOf := fs.String("as-of", "", "report on the end of this `date` (YYYY-MM-DD; default: the latest collection)")
	horizon := fs.String("horizon", "12mo", "planning `horizon`: 6mo, 12mo, 1y, 26w, 180d or a date such as 2027-03-31")
	format := fs.String("format", "text", "output `format`: text, json, csv or html")
	out := fs.String("out", "", "write to this `file` instead of stdout")
	candidates := fs.Bool("candidates", false, "every candidate: with --format csv one row per user of every list instead of one row per type, with --format json the full lists instead of the first 20 of each")
	inactive := fs.Int("inactive-days", report.DefaultInactivityDays, "reclaim allocations unused for at least this many `days`")
	headroom := fs.Float64("headroom", report.DefaultHeadroomPct, "safety margin on forecast demand, in `percent`")
	authoring := fs.Int("authoring-days", report.DefaultAuthoringDays, "Professional users with no authoring in this many `days` are downgrade candidates")
	minutes := fs.Int64("analyzer-minutes", report.DefaultAnalyzerMinutes, "capacity `minutes` a month that cost as much as one Analyzer seat (from your price list)")
	keep := fs.String("keep", strings.Join(report.DefaultKeepMarkers, ","), "comma-separated tags or custom-property names/values that exclude a user from reclaim and downgrade (\"\" for none)")
	wide := fs.Bool("wide", false, "with --format text: one table row per type with every figure (about 145 columns) instead of blocks that fit 80 columns")
	recon := fs.Bool("include-reconstructed", false, "fit forecasts on reconstructed history too (lower bounds; overstates growth)")
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(e, ExitUsage, fmt.Errorf("report: unexpected argument %q (flags only; see licmon report -h)", fs.Arg(0)))
	}
	switch *format {
	case "text", "json", "csv", "html":
	default:
		return fail(e, ExitUsage, fmt.Errorf("report: unknown --format %q: use text, json, csv or html", *format))
	}
	if *wide && *format != "text" {
		return fail(e, ExitUsage, errors.New("report: --wide is a layout of --format text (JSON, CSV and HTML have every figure already)"))
	}
	if *candidates && *format != "csv" && *format != "json" {
		return fail(e, ExitUsage, fmt.Errorf("report: --candidates needs --format csv or json (--format %s shows the counts; csv and json list every candidate)", *format))
	}
	opts := report.Options{InactivityDays: *inactive, HeadroomPct: *headroom, NoHeadroom: *headroom == 0,
		AuthoringDays: *authoring, AnalyzerMinutes: *minutes, IncludeReconstructed: *recon, KeepMarkers: []string{},
		CandidateLimit: report.DefaultCandidateLimit}
	if *candidates {
		opts.CandidateLimit = 0 // every candidate
	}
	for _, k := range strings.Split(*keep, ",") {
		if k = strings.TrimSpace(k); k != "" {
			opts.KeepMarkers = append(opts.KeepMarkers, k)
		}
	}
	if *asOf != "" {
		d, err := time.Parse(time.DateOnly, *asOf)
		if err != nil {
			return fail(e, ExitUsage, fmt.Errorf("report: invalid --as-of %q: use a date such as 2026-01-31", *asOf))
		}
		opts.AsOf = d.Add(24*time.Hour - time.Second)
	}

	cfg, err := loadConfigFile(*cfgPath)
	if err != nil {
		return fail(e, ExitError, err)
	}
	applyReportDefaults(fs, cfg.Report, &opts)
	st, _, err := openStore(ctx, *dbPath, cfg.DB, true)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer st.Close()
	name, err := reportSite(ctx, st, *site)
	if err != nil {
		return fail(e, ExitUsage, err)
	}
	if !opts.AsOf.IsZero() {
		if code, err := checkAsOf(ctx, st, name, opts.AsOf, time.Now()); err != nil {
			return fail(e, code, err)
		}
	}
	base := opts.AsOf
	if base.IsZero() {
		if base, err = st.LatestSnapshotTime(ctx, name); err != nil {
			return fail(e, ExitError, err)
		}
	}
	if base.IsZero() { // imported history only: the report is as of its last day
		if _, base, err = st.ImportedRange(ctx, name); err != nil {
			return fail(e, ExitError, err)
		}
	}
	if opts.HorizonEnd, err = report.ParseHorizon(*horizon, base); err != nil {
		return fail(e, ExitUsage, err)
	}
	r, err := report.Build(ctx, st, name, opts)
	if err != nil {
		return fail(e, ExitError, err)
	}

	err = writeOutput(e, *out, func(bw io.Writer) error {
		switch {
		case *format == "json":
			return report.WriteJSON(bw, r)
		case *format == "csv" && *candidates:
			return report.WriteCandidatesCSV(bw, r)
		case *format == "csv":
			return report.WriteCSV(bw, r)
		case *format == "html":
			return report.WriteHTML(bw, r)
		}
		if err := report.WriteTextWith(bw, r, report.TextOptions{Wide: *wide}); err != nil {
			return err
		}
		return writeReportActions(ctx, bw, st, name)
	})
	if err != nil {
		return fail(e, ExitError, fmt.Errorf("report --format %s: %w", *format, err))
	}
	if *out != "" {
		fmt.Fprintf(e.stderr, "wrote %s\n", *out)
	}
	return ExitOK
}

// asOfWindow is how far before its date a report looks for a collection
// (report.Build reads the collections of the 400 days before --as-of).
const asOfWindow = 400

// checkAsOf refuses an --as-of in the future (after today and after the
// latest history, which a simulated site may date ahead) and explains a date
// the store's history does not cover, naming the range it has. History is the
// collections and the imported days together.
func checkAsOf(ctx context.Context, st store.Store, site string, asOf, now time.Time) (int, error) {
	cs, err := st.Collections(ctx, site, time.Time{}, asOf.AddDate(100, 0, 0))
	if err != nil {
		return ExitError, err
	}
	var first, last time.Time
	if len(cs) > 0 {
		first, last = cs[0].At, cs[len(cs)-1].At
	}
	impFirst, impLast, err := st.ImportedRange(ctx, site)
	if err != nil {
		return ExitError, err
	}
	if !impFirst.IsZero() && (first.IsZero() || impFirst.Before(first)) {
		first = impFirst
	}
	if impLast.After(last) {
		last = impLast
	}
	if first.IsZero() {
		return ExitError, fmt.Errorf("report: the store has no history of %s yet; run licmon collect --site %s (or licmon history import) first", site, site)
	}
	day := func(t time.Time) string { return t.UTC().Format(time.DateOnly) }
	date := day(asOf)
	if latest := max(day(now), day(last)); date > latest {
		return ExitUsage, fmt.Errorf("report: --as-of %s is in the future (today is %s); use a date up to today, or leave --as-of out for the latest collection", date, day(now))
	}
	have := fmt.Sprintf("the store has %s from %s to %s", site, day(first), day(last))
	if date < day(first) {
		return ExitError, fmt.Errorf("report: %s; --as-of %s is before it: use a date in that range", have, date)
	}
	if gap := int(asOf.Sub(last).Hours() / 24); gap > asOfWindow {
		return ExitError, fmt.Errorf("report: %s; --as-of %s is %d days after its last day (a report needs history within %d days before its date): use a date in that range, run licmon collect, or import the missing days",
			have, date, gap, asOfWindow)
	}
	return ExitOK, nil
}

// reportSite picks the site: the named one, or the only one in the store.
func reportSite(ctx context.Context, st store.Store, name string) (string, error) {
	sites, err := st.Sites(ctx)
	if err != nil {
		return "", err
	}
	if name != "" {
		for _, s := range sites {
			if s == name {
				return name, nil
			}
		}
		return "", fmt.Errorf("report: no history for site %q in the store (sites: %s); run licmon collect --site %s first",
			name, strings.Join(sites, ", "), name)
	}
	switch len(sites) {
	case 0:
		return "", fmt.Errorf("report: the store has no history yet; run licmon collect first")
	case 1:
		return sites[0], nil
	}
	return "", fmt.Errorf("report: the store has several sites (%s); choose one with --site", strings.Join(sites, ", "))
}
