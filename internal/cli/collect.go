package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/store"
)

const collectUsage = `
Usage: licmon collect [--site NAME | --all-sites | connection flags] [--db PATH]

Records one consistent snapshot of each site's licenses in the history store:
the access-type counters, every allocation (Professional, Analyzer, user
access passes) with its last use, the users, authoring activity and
analyzer-capacity use. Only what changed since the last collection is
written, in one transaction, so repeating it changes nothing and a killed
collection leaves the previous state intact. It prints what changed.

The first collection of a site also reconstructs what the present data tells
about the past (when each current allocation was made, when each user last
used it) and marks it as reconstructed: lower bounds, shown as such by
'licmon report'. Run it daily (licmon serve schedules it for you).

After the first collection of each week, app objects (sheets, stories...)
are read incrementally: only those changed since the last collection. The
weekly full read, or --full, also notices deleted objects.

A collection of one site ends after 20 x --timeout (default 10m) even if the
QRS keeps answering slowly; the store then keeps the previous state.
` + connUsage + `
Examples:
  licmon collect --site prod
  licmon collect --all-sites --db C:\ProgramData\licmon\licmon.db
  licmon collect --server https://qlik.example.com:4242 --cert-dir ./certs
`

func runCollect(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "collect", collectUsage)
	var cf connFlags
	cf.register(fs, true)
	dbPath := fs.String("db", "", "history store `file` (default: db in the config, else the OS data dir)")
	full := fs.Bool("full", false, "read every app object instead of only those changed since the last collection")
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	cfg, sites, err := cf.resolve(e)
	if err != nil {
		return fail(e, ExitUsage, err)
	}
	st, path, err := openStore(ctx, *dbPath, cfg.DB, false)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer st.Close()
	code := ExitOK
	for i := range sites {
		s := &sites[i]
		// Before reading the QRS: a second collection of the site stops
		// here with a message that says why, instead of failing at save.
		unlock, err := store.LockCollect(path, s.Name)
		if err != nil {
			code = fail(e, ExitError, err)
			continue
		}
		c, err := newClient(e, s)
		if err != nil {
			unlock()
			code = fail(e, ExitError, err)
			continue
		}
		cctx, cancel := collectDeadline(ctx, s)
		r, err := collect.RunWith(cctx, c, st, s.Name, time.Now(), collect.Options{Full: *full, Size: collectMemoryLimit})
		cancel()
		unlock()
		c.CloseIdleConnections()
		if err != nil {
			code = fail(e, ExitError, err)
			continue
		}
		printCollect(e.stdout, r)
	}
	fmt.Fprintf(e.stdout, "store: %s\n", store.RedactDSN(path))
	return code
}

// collectDeadlineFactor times the site's --timeout is the total time a
// collection of one site may take: 30 minutes by default, where a 100k-user
// site takes under 10 seconds, so only a QRS that drips its answers, which
// no idle timeout ends, reaches it. The store then keeps the previous state.
const collectDeadlineFactor = 20

func collectDeadline(ctx context.Context, s *config.Site) (context.Context, context.CancelFunc) {
	t := time.Duration(s.Timeout)
	if t <= 0 {
		t = qrs.DefaultTimeout
	}
	return qrs.WithDeadline(ctx, collectDeadlineFactor*t, "licmon collect of "+s.Name, fmt.Sprintf("%d × --timeout %s", collectDeadlineFactor, t))
}

// openStore opens the store at --db, else the config's db, else the
// default path. Commands that only read (report, db stats) pass readOnly:
// they never create a store, so a mistyped --db is an error that says so
// instead of an empty new database.
func openStore(ctx context.Context, flagPath, cfgPath string, readOnly bool) (store.Store, string, error) {
	path := flagPath
	if path == "" {
		path = cfgPath
	}
	if path == "" {
		var err error
		if readOnly {
			path, err = store.DefaultFile()
		} else {
			path, err = store.DefaultPath()
		}
		if err != nil {
			return nil, "", err
		}
	}
	st, err := store.Open(ctx, path, store.Options{ReadOnly: readOnly})
	return st, path, err
}

func printCollect(w io.Writer, r *collect.Result) {
	s := r.Snapshot
	users := len(s.Users)
	if s.UsersPartial {
		users = s.UserCount
	}
	fmt.Fprintf(w, "%s: collected %d users and %d allocations at %s (fetch %s, save %s)\n", r.Site, users, len(s.Allocations),
		s.At.Format(time.RFC3339), r.Fetch.Round(time.Millisecond), r.SaveTook.Round(time.Millisecond))
	for _, c := range s.Counters {
		if !c.Enabled && c.Total == 0 && c.Allocated == 0 {
			continue
		}
		if c.Type.PerUser() || c.Type == license.LoginAccess {
			fmt.Fprintf(w, "  %-28s %6d allocated of %6d (%d available, %d quarantined, %d excess)\n", c.Type.Label(), c.Allocated, c.Total, c.Available, c.Quarantined, c.Excess)
		} else {
			fmt.Fprintf(w, "  %-28s %6d used of %6d\n", c.Type.Label(), c.Used, c.Total)
		}
	}
	ch := r.Save.Changes
	switch {
	case r.Save.First:
		fmt.Fprintf(w, "  first collection of %s; reconstructed %d daily points of history (lower bounds)\n", r.Site, r.Backfill)
	case r.Backfill > 0:
		fmt.Fprintf(w, "  restored %d daily points of reconstructed history (lower bounds) that an interrupted first collection lost\n", r.Backfill)
	case r.Save.Duplicate || ch.Total() == 0:
		fmt.Fprintln(w, "  no change since the last collection")
	default:
		var parts []string
		add := func(label string, m map[license.Type]int) {
			if len(m) == 0 {
				return
			}
			var ts []string
			for t, n := range m {
				ts = append(ts, fmt.Sprintf("%d %s", n, t))
			}
			sort.Strings(ts)
			parts = append(parts, label+" "+strings.Join(ts, ", "))
		}
		add("allocated", ch.Allocated)
		add("released", ch.Released)
		add("quarantined", ch.Quarantined)
		add("reinstated", ch.Unquarantined)
		add("type changed", ch.TypeChanged)
		add("used again", ch.LastUsedAdvanced)
		if ch.UsersAdded+ch.UsersRemoved+ch.UsersChanged > 0 {
			parts = append(parts, fmt.Sprintf("users +%d -%d ~%d", ch.UsersAdded, ch.UsersRemoved, ch.UsersChanged))
		}
		if ch.LicenseChanged {
			parts = append(parts, "license changed")
		}
		fmt.Fprintf(w, "  changes since the last collection: %s\n", strings.Join(parts, "; "))
	}
	if r.Denied > 0 {
		fmt.Fprintf(w, "  new users without a seat while a type was full: %d, recorded as unmet demand (qrs-estimate, an estimate)\n", r.Denied)
	}
}

// configAndStore loads the configuration file (for the store's path, and
// the sites and defaults a command reads) and opens the store, the first
// steps of every command that works on the history store.
func configAndStore(ctx context.Context, cfgPath, dbPath string, readOnly bool) (*config.Config, store.Store, string, error) {
	cfg, err := loadConfigFile(cfgPath)
	if err != nil {
		return nil, nil, "", err
	}
	st, path, err := openStore(ctx, dbPath, cfg.DB, readOnly)
	if err != nil {
		return nil, nil, "", err
	}
	return cfg, st, path, nil
}
