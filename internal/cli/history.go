package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/licmon/licmon/internal/histcsv"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

const historyUsage = `
Usage: licmon history import FILE.csv [--site NAME] [--db PATH] [--config FILE]
                                      [--dry-run] [--skip-invalid]
       licmon history export [--site NAME] [--db PATH] [--config FILE]
                             [--out FILE] [--include-reconstructed]

import brings license counts kept elsewhere (a spreadsheet, the License
Monitor's exports, another tool) into the history store, so the report
forecasts from years of history on day one. The CSV has a header with the
columns day,type,licensed,allocated and optionally used,quarantined,denied
(and source, as export writes it), in any order and case, separated by ','
or ';'; one row per day (YYYY-MM-DD) and type (professional, analyzer,
analyzer-capacity, user-access, login-access). Nothing is written unless
every row is valid (or --skip-invalid skips and lists the invalid ones).
A day with a licmon collection keeps the measured values: an imported row
that differs is listed as a conflict and not stored. Importing the same
file again changes nothing; a corrected file replaces the earlier import's
values of its days. "-" reads stdin.

export writes the site's daily series in the same format, with a source
column (measured, imported, and reconstructed with --include-reconstructed),
so it can be edited and imported again.

Examples:
  licmon history import license-history.csv --site prod --dry-run
  licmon history import license-history.csv --site prod
  licmon history import export.csv --site prod --skip-invalid
  licmon history export --site prod --out prod-history.csv
  licmon history export --site prod --include-reconstructed > all.csv
`

func runHistory(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "import":
			return runHistoryImport(ctx, e, args[1:])
		case "export":
			return runHistoryExport(ctx, e, args[1:])
		case "-h", "-help", "--help":
			newFlagSet(e, "history", historyUsage).Usage()
			return ExitOK
		}
	}
	fmt.Fprintln(e.stderr, "licmon history: use licmon history import FILE.csv or licmon history export (see licmon history -h)")
	return ExitUsage
}

// parseInterleaved parses flags that may come before or after the
// positional arguments ("import FILE --site prod"), and returns those.
func parseInterleaved(fs *flag.FlagSet, args []string) (pos []string, ok bool, code int) {
	for {
		if ok, code := parseFlags(fs, args, ExitUsage); !ok {
			return nil, false, code
		}
		if fs.NArg() == 0 {
			return pos, true, 0
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runHistoryImport(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "history import", historyUsage)
	site := fs.String("site", "", "site `name` the counts belong to (default: the only site in the store; a new name starts a site)")
	dbPath := fs.String("db", "", "history store `file` (default: db in the config, else the OS data dir)")
	cfgPath := fs.String("config", "", "configuration `file` (for its db path)")
	dryRun := fs.Bool("dry-run", false, "say what would be imported and the conflicts; write nothing")
	skip := fs.Bool("skip-invalid", false, "import the valid rows of a file with invalid ones, listing each skipped row")
	pos, ok, code := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fail(e, ExitUsage, errors.New("history import needs one CSV file (or - for stdin); see licmon history -h"))
	}
	name := pos[0]

	var src io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fail(e, ExitError, fmt.Errorf("history import: %w", err))
		}
		defer f.Close()
		src = f
	} else {
		name = "stdin"
	}
	file, err := histcsv.Parse(src, histcsv.Options{Name: name, Today: time.Now(), SkipInvalid: *skip})
	if err != nil {
		var fe *histcsv.Error
		if errors.As(err, &fe) {
			return fail(e, ExitError, fmt.Errorf("history import: %w\nnothing was imported: fix these rows, or pass --skip-invalid to import the others", err))
		}
		return fail(e, ExitError, fmt.Errorf("history import: %w\nnothing was imported", err))
	}
	for _, s := range file.Skipped {
		fmt.Fprintf(e.stdout, "skipped %s\n", s)
	}
	days := make([]license.HistoryDay, 0, len(file.Rows))
	var lower []string
	for _, r := range file.Rows {
		if r.Source == histcsv.SourceReconstructed {
			lower = append(lower, strconv.Itoa(r.Line))
			continue
		}
		days = append(days, r.HistoryDay)
	}
	if len(lower) > 0 {
		fmt.Fprintf(e.stdout, "skipped %d reconstructed row(s): they are lower bounds rebuilt by licmon, not counts (lines %s)\n",
			len(lower), listSome(lower, 10))
	}

	cfg, err := loadConfigFile(*cfgPath)
	if err != nil {
		return fail(e, ExitError, err)
	}
	dbFlag := *dbPath
	if *dryRun {
		// A dry run writes nothing, not even a new store: against a store
		// that does not exist yet it runs on an empty temporary one.
		path := dbFlag
		if path == "" {
			path = cfg.DB
		}
		if path == "" {
			if path, err = store.DefaultPath(); err != nil {
				return fail(e, ExitError, err)
			}
		}
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			tmp, err := os.MkdirTemp("", "licmon-dry-run-")
			if err != nil {
				return fail(e, ExitError, fmt.Errorf("history import: %w", err))
			}
			defer os.RemoveAll(tmp)
			dbFlag = filepath.Join(tmp, "licmon.db")
		}
	}
	st, path, err := openStore(ctx, dbFlag, cfg.DB, false)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer st.Close()
	siteName, err := historySite(ctx, st, *site, true)
	if err != nil {
		return fail(e, ExitUsage, err)
	}
	res, err := st.ImportHistory(ctx, siteName, days, store.ImportOptions{DryRun: *dryRun})
	if err != nil {
		return fail(e, ExitError, err)
	}
	printImport(e.stdout, name, siteName, file, len(days), res, *dryRun)
	if !*dryRun {
		fmt.Fprintf(e.stdout, "store: %s\n", store.RedactDSN(path))
	}
	return ExitOK
}

// maxConflictLines bounds the conflict table: a file counted another way
// than the QRS contradicts every measured day, and the first lines say so.
const maxConflictLines = 100

func printImport(w io.Writer, name, site string, f *histcsv.File, n int, res *store.ImportResult, dry bool) {
	verb := "imported"
	if dry {
		verb = "would import (dry run: nothing written)"
	}
	span := ""
	if !res.First.IsZero() {
		span = fmt.Sprintf(", %s to %s", res.First.Format(time.DateOnly), res.Last.Format(time.DateOnly))
	}
	newSite := ""
	if res.SiteCreated {
		newSite = " (a new site)"
	}
	fmt.Fprintf(w, "%s: %d row(s) for %s%s%s; %s:\n", name, n, site, newSite, span, verb)
	fmt.Fprintf(w, "  %d new, %d changed, %d unchanged, %d as measured by licmon collect, %d conflict(s)\n",
		res.New, res.Changed, res.Unchanged, res.Measured, len(res.Conflicts))
	if f.Repeated > 0 {
		fmt.Fprintf(w, "  %d repeated row(s) with the same values were read once\n", f.Repeated)
	}
	if f.Has(histcsv.ColDenied) {
		fmt.Fprintf(w, "  %d denied count(s) new or changed (unmet-demand source %q)\n", res.DenialsWritten, license.DenialsFromImport)
	}
	if len(res.Conflicts) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%d row(s) contradict a measured collection of their day and were not %s; the measured values stand:\n",
		len(res.Conflicts), map[bool]string{true: "counted", false: "stored"}[dry])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  DAY\tTYPE\tCOLUMN\tMEASURED\tIMPORTED")
	lines := 0
	for _, c := range res.Conflicts {
		for _, col := range c.Columns {
			if lines == maxConflictLines {
				break
			}
			m, i := conflictValues(c, col)
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\n", c.Imported.Day.Format(time.DateOnly), c.Imported.Type, col, m, i)
			lines++
		}
	}
	tw.Flush()
	if total := conflictLines(res.Conflicts); total > lines {
		fmt.Fprintf(w, "  … and %d more (licmon history export lists the measured values)\n", total-lines)
	}
}

func conflictValues(c store.ImportConflict, col string) (measured, imported int64) {
	switch col {
	case histcsv.ColLicensed:
		return c.Measured.Licensed, c.Imported.Licensed
	case histcsv.ColAllocated:
		return c.Measured.Allocated, c.Imported.Allocated
	case histcsv.ColUsed:
		return c.Measured.Used, c.Imported.Used
	}
	return c.Measured.Quarantined, c.Imported.Quarantined
}

func conflictLines(cs []store.ImportConflict) int {
	n := 0
	for _, c := range cs {
		n += len(c.Columns)
	}
	return n
}

func listSome(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("%s, … %d more", strings.Join(s[:n], ", "), len(s)-n)
}

// historySite picks the site: the named one (a new name only when
// allowNew), or the only one in the store.
func historySite(ctx context.Context, st store.Store, name string, allowNew bool) (string, error) {
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
		if allowNew {
			return name, nil
		}
		return "", fmt.Errorf("history: no history for site %q in the store (sites: %s)", name, strings.Join(sites, ", "))
	}
	switch len(sites) {
	case 0:
		if allowNew {
			return "", errors.New("history: the store has no site yet: name the site these counts belong to with --site NAME (the name it has in the configuration)")
		}
		return "", errors.New("history: the store has no history yet; run licmon collect or licmon history import first")
	case 1:
		return sites[0], nil
	}
	return "", fmt.Errorf("history: the store has several sites (%s); choose one with --site", strings.Join(sites, ", "))
}

func runHistoryExport(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "history export", historyUsage)
	site := fs.String("site", "", "site `name` (default: the only site in the store)")
	dbPath := fs.String("db", "", "history store `file` (default: db in the config, else the OS data dir)")
	cfgPath := fs.String("config", "", "configuration `file` (for its db path)")
	out := fs.String("out", "", "write to this `file` instead of stdout")
	recon := fs.Bool("include-reconstructed", false, "also export reconstructed days (lower bounds rebuilt from allocation dates)")
	pos, ok, code := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return fail(e, ExitUsage, fmt.Errorf("history export: unexpected argument %q (flags only; use --out FILE)", pos[0]))
	}
	_, st, _, err := configAndStore(ctx, *cfgPath, *dbPath, true)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer st.Close()
	name, err := historySite(ctx, st, *site, false)
	if err != nil {
		return fail(e, ExitUsage, err)
	}
	rows, err := exportRows(ctx, st, name, *recon)
	if err != nil {
		return fail(e, ExitError, err)
	}

	err = writeOutput(e, *out, func(w io.Writer) error { return histcsv.Write(w, rows, true) })
	if err != nil {
		return fail(e, ExitError, fmt.Errorf("history export: %w", err))
	}
	if *out != "" {
		fmt.Fprintf(e.stderr, "wrote %d row(s) of %s to %s\n", len(rows), name, *out)
	}
	return ExitOK
}

// exportRows is the site's daily series of every type in the report's
// terms, by day and type: measured and imported days, and reconstructed
// ones when asked, each with its source; the denied column holds what an
// import stored (log-derived and estimated denials are other sources).
func exportRows(ctx context.Context, st store.Store, site string, withRecon bool) ([]histcsv.Row, error) {
	from, to := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), license.Day(time.Now()).AddDate(1, 0, 0)
	imported := map[string]license.HistoryDay{}
	ih, err := st.ImportedHistory(ctx, site, from, to)
	if err != nil {
		return nil, err
	}
	key := func(d time.Time, t license.Type) string { return d.Format(time.DateOnly) + string(t) }
	for _, h := range ih {
		imported[key(h.Day, h.Type)] = h
	}
	var rows []histcsv.Row
	for _, typ := range license.Types() {
		pts, err := st.CounterSeries(ctx, site, typ, from, to)
		if err != nil {
			return nil, err
		}
		den, err := st.Denials(ctx, site, typ, from, to)
		if err != nil {
			return nil, err
		}
		denied := map[time.Time]int64{}
		for _, d := range den {
			if d.Source == license.DenialsFromImport {
				denied[d.Day] = d.Denials
			}
		}
		for _, p := range pts {
			r := histcsv.Row{HistoryDay: license.HistoryDayOf(p), Source: histcsv.SourceMeasured}
			switch {
			case p.Reconstructed && !withRecon:
				continue
			case p.Reconstructed:
				r.Source = histcsv.SourceReconstructed
			case p.Imported:
				r.HistoryDay, r.Source = imported[key(p.Day, typ)], histcsv.SourceImported
			}
			r.Denied, r.DeniedKnown = denied[license.Day(p.Day)]
			rows = append(rows, r)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Day.Before(rows[j].Day) })
	return rows, nil
}
