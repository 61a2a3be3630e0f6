package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/check/inspect"
	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/repair"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/termtext"
)

const repairUsage = `
Usage: licmon repair connections [--site NAME | connection flags] [what to change] [--dry-run] [--yes] [--then-reload]
       licmon repair undo BACKUP [--site NAME | connection flags] [--yes] [--force]

Repairs the License Monitor's REST data connections (monitor_apps_REST_*)
through the QRS, the way a careful admin would: it reads every connection,
shows each change as before → after (URL, changed settings, user; never a
password), saves the original entities to an owner-only backup file, then
updates each connection with a PUT that carries the modifiedDate it read. A
connection someone changed meanwhile (409 Conflict) is reported and left
alone. Every update is recorded in the audit trail of the history store.

What to change (any combination):
  --password-file F    the service account's new password (first line of F)
  --ask-password       type the new password on the terminal instead (not echoed)
  --user DIR\ID        the user the connections log on as (e.g. CORP\qservice)
  --prefix P           the default virtual proxy's prefix ('' removes it): fixes
                       HTTP 404 after a prefix change
  --host H             the host the connections call (e.g. after a rename)
  --switch-to certificate
                       the certificate variant (https://H:4242 with the client
                       certificate exported for H; needs --host): fixes 401
                       when the proxy uses Kerberos, which the REST connector
                       cannot do
  --switch-to ntlm     back to Windows authentication through the proxy

Passwords are read only from a file or the terminal, never from a flag, and
are never printed, logged, backed up or audited. Without --yes licmon asks
on the terminal and refuses when there is none.

undo puts back the connection strings and users of a backup. The QRS never
returns a password in clear, so the old password cannot be restored: set it
again if it was right. A connection changed again after the repair is left
alone unless --force.

Because the QRS is reached with --server/--cert-dir as for every command,
the X-Qlik-User identity flag is --qrs-user here (--user is the connection's).

Exit status: 0 all done, 1 something failed or was left alone, 2 usage.
With --then-reload, the exit status is that of licmon check (0–3).

Examples:
  licmon repair connections --site prod --user 'CORP\qservice' --password-file pw.txt --dry-run
  licmon repair connections --site prod --user 'CORP\qservice' --password-file pw.txt --yes --then-reload
  licmon repair connections --site prod --prefix windows --yes
  licmon repair connections --site prod --switch-to certificate --host qlik1.corp.example --yes
  licmon repair undo licmon-repair-prod-20260310T120000Z.json --site prod --yes
`

func runRepair(ctx context.Context, e *env, args []string) int {
	return runSubcommand(ctx, e, "repair", repairUsage, args,
		subcommand{"connections", "connections", runRepairConnections}, subcommand{"undo", "undo BACKUP", runRepairUndo})
}

func runRepairConnections(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "repair connections", repairUsage)
	cf := connFlags{userFlag: "qrs-user"}
	cf.register(fs, false)
	var t repair.Target
	fs.StringVar(&t.User, "user", "", "`DIR\\id` the connections log on as, e.g. CORP\\qservice")
	pwFile := fs.String("password-file", "", "`file` whose first line is the service account's new password")
	ask := fs.Bool("ask-password", false, "prompt for the new password on the terminal (not echoed)")
	fs.StringVar(&t.Host, "host", "", "`host` the connections call instead of the current one")
	prefix := fs.String("prefix", "", "virtual proxy `prefix` for the connection URLs ('' removes it)")
	fs.StringVar(&t.Auth, "switch-to", "", "switch the connections' authentication to `mode` certificate (https://HOST:4242) or ntlm")
	allApps := fs.Bool("all-monitoring-apps", false, "also repair the other monitoring apps' REST connections to the QRS")
	backupPath := fs.String("backup", "", "backup `file` (default licmon-repair-SITE-TIME.json in the current folder)")
	dbPath := fs.String("db", "", "history store `file` for the audit trail (default: db in the config, else the OS data dir)")
	dryRun := fs.Bool("dry-run", false, "show the plan and change nothing")
	yes := fs.Bool("yes", false, "apply without asking")
	thenReload := fs.Bool("then-reload", false, "start Reload License Monitor afterwards, wait for it and check again (exit code as check)")
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(e, ExitUsage, fmt.Errorf("repair connections takes no arguments (got %q)", fs.Args()))
	}
	t.Auth = strings.ToLower(t.Auth)
	if cf.set("prefix") {
		t.Prefix, t.SetPrefix = *prefix, true
	}
	t.Password = *pwFile != "" || *ask
	if err := t.Validate(); err != nil {
		return fail(e, ExitUsage, err)
	}
	password, err := readSecret(e, *pwFile, *ask, "password")
	if err != nil {
		return fail(e, ExitUsage, err)
	}
	cfg, site, err := cf.oneSite(e, "repair")
	if err != nil {
		return fail(e, ExitError, err)
	}
	c, err := newClient(e, site)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer c.CloseIdleConnections()

	filter := "name sw '" + repair.MonitorPrefix + "'"
	if *allApps {
		filter += " or type eq 'QvRestConnector.exe'"
	}
	all, err := c.DataConnections(ctx, qrs.ListOptions{Filter: filter})
	if err != nil {
		return fail(e, ExitError, fmt.Errorf("read the data connections: %w", err))
	}
	var conns []qrs.DataConnection
	for _, dc := range all {
		if repair.Selected(dc, *allApps) {
			conns = append(conns, dc)
		}
	}
	if len(conns) == 0 {
		return fail(e, ExitError, fmt.Errorf("site %s has no %s* data connections: re-import the License Monitor app to recreate them", site.Name, repair.MonitorPrefix))
	}
	plan := repair.Build(conns, t)
	fmt.Fprintf(e.stdout, "Repair of the monitoring connections on site %s (%s):\n", site.Name, site.Server)
	if err := plan.WriteText(e.stdout); err != nil {
		return fail(e, ExitError, err)
	}
	if plan.ToChange() == 0 {
		fmt.Fprintln(e.stdout, "\nNothing to change.")
		if *thenReload && !*dryRun {
			return reloadAndCheck(ctx, e, cfg, site, c)
		}
		return ExitOK
	}
	if *dryRun {
		fmt.Fprintln(e.stdout, "\n--dry-run: nothing was changed.")
		return ExitOK
	}
	if ok, code := approved(e, *yes, fmt.Sprintf("Change %d connection(s) on site %s?", plan.ToChange(), site.Name)); !ok {
		return code
	}
	st, _, err := openStore(ctx, *dbPath, cfg.DB, false)
	if err != nil {
		return fail(e, ExitError, fmt.Errorf("open the history store for the audit trail (nothing was changed): %w", err))
	}
	defer st.Close()

	now := time.Now().UTC()
	who := actor(c.Identity())
	b := repair.NewBackup(plan, site.Name, site.Server, who, now)
	path := *backupPath
	if path == "" {
		path = fmt.Sprintf("licmon-repair-%s-%s.json", termtext.FileName(site.Name), now.Format("20060102T150405Z"))
	}
	if err := b.Write(path); err != nil {
		return fail(e, ExitError, fmt.Errorf("%w (nothing was changed)", err))
	}
	fmt.Fprintf(e.stdout, "\nBackup of the %d connection(s) before the change: %s\n", len(b.Connections), path)

	outs, err := auditedRepair(ctx, st, site.Name, who, "repair connections", plan.Changes, func() []repair.Outcome {
		return repair.Apply(ctx, c, plan, password)
	})
	if err != nil {
		return fail(e, ExitError, err)
	}
	b.Record(outs)
	if err := b.Write(path); err != nil {
		e.log.Warn("could not record the repair's modifiedDates in the backup; undo will not notice later changes", "err", err)
	}
	code := printRepairOutcomes(e, outs)
	if len(b.Connections) > 0 {
		fmt.Fprintf(e.stdout, "Undo with: licmon repair undo %s --site %s\n", path, site.Name)
	}
	if *thenReload {
		return reloadAndCheck(ctx, e, cfg, site, c)
	}
	return code
}

// auditedRepair records one pending audit entry per connection to change,
// runs apply, and records each outcome.
func auditedRepair(ctx context.Context, st store.Store, site, who, command string, changes []repair.Change, apply func() []repair.Outcome) ([]repair.Outcome, error) {
	run := newRunID()
	ids := map[string]int64{}
	for _, ch := range changes {
		if !ch.Changes() {
			continue
		}
		detail := describeChange(ch)
		id, err := st.StartAudit(ctx, store.AuditEntry{Site: site, RunID: run, At: time.Now(), Actor: who, Command: command,
			Action: "update-connection", Target: ch.Name, TargetID: ch.ID, Detail: detail})
		if err != nil {
			return nil, fmt.Errorf("%w (nothing was changed)", err)
		}
		ids[ch.ID] = id
	}
	outs := apply()
	for _, o := range outs {
		if id, ok := ids[o.ID]; ok {
			detail := describeChangeByID(changes, o.ID)
			if o.Detail != "" {
				detail += ": " + o.Detail
			}
			if err := st.FinishAudit(ctx, id, o.Result, detail, time.Now()); err != nil {
				return outs, err
			}
		}
	}
	return outs, nil
}

func describeChangeByID(changes []repair.Change, id string) string {
	for _, ch := range changes {
		if ch.ID == id {
			return describeChange(ch)
		}
	}
	return ""
}

// describeChange says what a connection change does, without the password.
func describeChange(ch repair.Change) string {
	var parts []string
	if ch.Before.Settings.URL != ch.After.Settings.URL {
		parts = append(parts, "url "+repair.Mask(ch.Before.Settings.URL)+" → "+repair.Mask(ch.After.Settings.URL))
	}
	if ch.Before.Settings.Auth != ch.After.Settings.Auth {
		parts = append(parts, "auth "+ch.Before.Settings.Auth+" → "+ch.After.Settings.Auth)
	}
	if ch.Before.User != ch.After.User {
		parts = append(parts, "user "+orDash(ch.Before.User)+" → "+orDash(ch.After.User))
	}
	if ch.Password {
		parts = append(parts, "new password (not recorded)")
	}
	return strings.Join(parts, "; ")
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func printRepairOutcomes(e *env, outs []repair.Outcome) int {
	code := ExitOK
	fmt.Fprintln(e.stdout)
	for _, o := range outs {
		if o.Result == repair.Unchanged || o.Result == repair.Updated {
			continue
		}
		line := fmt.Sprintf("  %-10s %s", o.Result, o.Name)
		if o.Detail != "" {
			line += ": " + o.Detail
		}
		fmt.Fprintln(e.stdout, line)
		if o.Result != repair.Updated {
			code = ExitError
		}
	}
	s := repair.Summary(outs)
	fmt.Fprintf(e.stdout, "%d updated, %d left alone (changed meanwhile), %d failed\n", s[repair.Updated], s[repair.Conflict], s[repair.Failed]+s[repair.Skipped])
	return code
}

// reloadAndCheck starts the License Monitor's reload task, waits for the run
// and checks the site again; the exit code is check's.
func reloadAndCheck(ctx context.Context, e *env, cfg *config.Config, site *config.Site, c *qrs.Client) int {
	task := cfg.TaskFor(site)
	fmt.Fprintf(e.stdout, "\nStarting %q and waiting for it...\n", task)
	ts, err := c.ReloadTasks(ctx, qrs.ListOptions{Filter: "name eq '" + strings.ReplaceAll(task, "'", "''") + "'"})
	if err != nil || len(ts) == 0 {
		if err == nil {
			err = fmt.Errorf("no reload task named %q", task)
		}
		return fail(e, int(check.Unknown), fmt.Errorf("--then-reload: %w", err))
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	sess, err := inspect.StartAfterRunning(wctx, c, ts[0].ID, 2*time.Second, func(started time.Time) {
		fmt.Fprintf(e.stdout, "A run of %q that started %s (before the repair) is going; waiting for it to end, then starting it again...\n",
			task, started.UTC().Format(time.RFC3339))
	})
	if err == nil {
		_, err = c.WaitExecution(wctx, sess, 2*time.Second)
	}
	if err != nil {
		return fail(e, int(check.Unknown), fmt.Errorf("--then-reload: %w", err))
	}
	r := inspect.Run(ctx, c, inspect.Options{Site: site.Name, Server: site.Server, Task: task, LicenseWarnDays: cfg.Check.LicenseWarnDays})
	fmt.Fprintln(e.stdout)
	if err := check.WriteText(e.stdout, []*check.Report{r}); err != nil {
		return fail(e, int(check.Unknown), err)
	}
	return int(check.Worst([]*check.Report{r}))
}

func runRepairUndo(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "repair undo", repairUsage)
	cf := connFlags{userFlag: "qrs-user"}
	cf.register(fs, false)
	yes := fs.Bool("yes", false, "restore without asking")
	force := fs.Bool("force", false, "also restore connections changed again after the repair")
	dbPath := fs.String("db", "", "history store `file` for the audit trail")
	// The backup comes first (licmon repair undo FILE --site prod): the flag
	// package stops at the first non-flag, so parse around it.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 || file == "" {
		return fail(e, ExitUsage, fmt.Errorf("repair undo takes one backup file (licmon repair undo BACKUP --site NAME)"))
	}
	b, err := repair.ReadBackupFile(file)
	if err != nil {
		return fail(e, ExitError, err)
	}
	if cf.site == "" && cf.server == "" {
		cf.site = b.Site
	}
	cfg, site, err := cf.oneSite(e, "repair")
	if err != nil {
		return fail(e, ExitError, err)
	}
	if site.Name != b.Site {
		return fail(e, ExitUsage, fmt.Errorf("the backup is of site %s, not %s: pass --site %s", b.Site, site.Name, b.Site))
	}
	fmt.Fprintf(e.stdout, "Undo of the repair of %s by %s on site %s: %d connection(s) get back their connection string and user.\n",
		b.Created.Format(time.RFC3339), b.By, b.Site, len(b.Connections))
	fmt.Fprintln(e.stdout, repair.PasswordNote)
	if ok, code := approved(e, *yes, fmt.Sprintf("Restore %d connection(s) on site %s?", len(b.Connections), site.Name)); !ok {
		return code
	}
	c, err := newClient(e, site)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer c.CloseIdleConnections()
	st, _, err := openStore(ctx, *dbPath, cfg.DB, false)
	if err != nil {
		return fail(e, ExitError, fmt.Errorf("open the history store for the audit trail (nothing was changed): %w", err))
	}
	defer st.Close()
	var changes []repair.Change
	for _, bc := range b.Connections {
		changes = append(changes, repair.Change{ID: bc.ID, Name: bc.Name, Before: repair.Side{User: "(current)"},
			After: repair.Side{User: bc.User, ConnectionString: bc.ConnectionString}})
	}
	var undoErr error
	outs, err := auditedRepair(ctx, st, site.Name, actor(c.Identity()), "repair undo", changes, func() []repair.Outcome {
		o, err := repair.Undo(ctx, c, b, *force)
		undoErr = err
		return o
	})
	if undoErr != nil {
		return fail(e, ExitError, undoErr)
	}
	if err != nil {
		return fail(e, ExitError, err)
	}
	return printRepairOutcomes(e, outs)
}
