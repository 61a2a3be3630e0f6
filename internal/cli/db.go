package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"
)

const dbUsage = `
Usage: licmon db stats [--db PATH] [--config FILE]

Shows the history store: its file size, rows and bytes per table, and the
date range of each site's history (including where reconstructed history
starts and the days imported by licmon history import).

Examples:
  licmon db stats
  licmon db stats --db ./licmon.db
`

func runDB(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "db", dbUsage)
	dbPath := fs.String("db", "", "history store `file` (default: db in the config, else the OS data dir)")
	cfgPath := fs.String("config", "", "configuration `file`")
	if len(args) == 0 || args[0] != "stats" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return ExitOK
		}
		fmt.Fprintln(e.stderr, "licmon db: the only subcommand is 'stats' (licmon db stats [--db PATH])")
		return ExitUsage
	}
	if ok, code := parseFlags(fs, args[1:], ExitUsage); !ok {
		return code
	}
	_, st, path, err := configAndStore(ctx, *cfgPath, *dbPath, true)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer st.Close()
	s, err := st.Stats(ctx)
	if err != nil {
		return fail(e, ExitError, err)
	}
	exact := "estimated"
	if s.BytesExact {
		exact = "exact"
	}
	fmt.Fprintf(e.stdout, "%s: %s on disk, schema v%d, %d pages of %d bytes (%d free); table sizes %s\n\n",
		path, bytesText(s.FileBytes), s.Schema, s.Pages, s.PageSize, s.FreePages, exact)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TABLE\tROWS\tBYTES\t")
	for _, t := range s.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%s\t\n", t.Name, t.Rows, bytesText(t.Bytes))
	}
	tw.Flush()
	if len(s.Sites) == 0 {
		fmt.Fprintln(e.stdout, "\nno site has history yet: run licmon collect")
		return ExitOK
	}
	fmt.Fprintln(e.stdout)
	tw = tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tCOLLECTIONS\tFIRST\tLAST\tRECONSTRUCTED FROM\tIMPORTED")
	orDash := func(t time.Time, layout string) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format(layout)
	}
	for _, site := range s.Sites {
		imp := "-"
		if !site.ImportedFrom.IsZero() {
			imp = site.ImportedFrom.Format(time.DateOnly) + " to " + site.ImportedTo.Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", site.Site, site.Collections, orDash(site.First, time.RFC3339), orDash(site.Last, time.RFC3339),
			orDash(site.ReconstructedFrom, time.DateOnly), imp)
	}
	tw.Flush()
	return ExitOK
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
