package cli

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/licmon/licmon/internal/store"
)

const dbUsage = `
Usage: licmon db stats [--db PATH|DSN] [--config FILE]
       licmon db migrate --from PATH|DSN --to PATH|DSN [--force]

stats shows the history store: its size, rows and bytes per table, and the
date range of each site's history (including where reconstructed history
starts and the days imported by licmon history import).

migrate copies a whole store from one place to another: an SQLite file to
PostgreSQL (postgres://user@host/db) or back, or file to file. The copy is
one transaction, checked before it commits: every table must have the same
number of rows and the same checksum in both stores. The destination is
created (or upgraded) and must hold no history; --force replaces its
history. Give a PostgreSQL password with PGPASSWORD, a passfile, or
?password_file=FILE in the DSN; it is never printed.

Examples:
  licmon db stats
  licmon db stats --db ./licmon.db
  licmon db migrate --from ./licmon.db --to postgres://licmon@db.example.com/licmon
  licmon db migrate --from postgres://licmon@db.example.com/licmon --to ./copy.db
`

func runDB(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "db", dbUsage)
	if len(args) > 0 && args[0] == "migrate" {
		return runDBMigrate(ctx, e, fs, args[1:])
	}
	dbPath := fs.String("db", "", "history store `file` or postgres:// DSN (default: db in the config, else the OS data dir)")
	cfgPath := fs.String("config", "", "configuration `file`")
	if len(args) == 0 || args[0] != "stats" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return ExitOK
		}
		fmt.Fprintln(e.stderr, "licmon db: the subcommands are 'stats' (licmon db stats [--db PATH]) and 'migrate' (licmon db migrate --from A --to B)")
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
	if s.Engine == "PostgreSQL" {
		fmt.Fprintf(e.stdout, "%s: PostgreSQL, %s in licmon's tables and indexes, schema v%d\n\n", store.RedactDSN(path), bytesText(s.FileBytes), s.Schema)
	} else {
		fmt.Fprintf(e.stdout, "%s: %s on disk, schema v%d, %d pages of %d bytes (%d free); table sizes %s\n\n",
			path, bytesText(s.FileBytes), s.Schema, s.Pages, s.PageSize, s.FreePages, exact)
	}
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

// runDBMigrate is licmon db migrate: store.Copy and a table of what it
// copied and verified.
func runDBMigrate(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
	from := fs.String("from", "", "the store to copy: an SQLite `file` or a postgres:// DSN")
	to := fs.String("to", "", "where to copy it: an SQLite `file` or a postgres:// DSN (created if missing)")
	force := fs.Bool("force", false, "replace the history the destination already holds")
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "licmon db migrate: give --from and --to (licmon db migrate --from ./licmon.db --to postgres://user@host/db)")
		return ExitUsage
	}
	res, err := store.Copy(ctx, *from, *to, store.CopyOptions{Force: *force})
	if err != nil {
		return fail(e, ExitError, err)
	}
	fmt.Fprintf(e.stdout, "copied %s (%s) to %s (%s), schema v%d\n", res.From, res.FromEngine, res.To, res.ToEngine, res.Schema)
	if res.Replaced > 0 {
		fmt.Fprintf(e.stdout, "replaced the %d rows the destination held (--force)\n", res.Replaced)
	}
	fmt.Fprintln(e.stdout)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS\tCHECKSUM")
	var rows int64
	for _, t := range res.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", t.Name, t.Rows, t.Checksum)
		rows += t.Rows
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "\nverified: %d rows in %d tables, the same count and checksum in both stores\n", rows, len(res.Tables))
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
