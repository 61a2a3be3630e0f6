package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/reclaim"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/termtext"
)

const reclaimUsage = `
Usage: licmon reclaim plan [--site NAME | connection flags] [--type professional,analyzer,user-access]
                           [--inactive 90d] [--downgrade] [--force] [--format text|json|csv]
       licmon reclaim apply PLAN-ID [--site NAME | connection flags] [--yes]
       licmon reclaim history [--site NAME] [--limit N]

plan reads the site in a few bulk requests (users and allocations, never one
request per user) and lists each allocation that can be released: the user,
the type, the last use, the days inactive, why it is eligible and what a
release does (freed now, or quarantined until a date on serial/LEF licenses
when it was used in the last 7 days). It lists every user a rule protects,
with the rule, and totals per type. With --downgrade, Professional users who
authored nothing recently move to Analyzer. The plan is saved in the
history store with an id and the data it was built from; nothing changes.

apply re-reads the site and re-checks every candidate: anything that
changed since the plan (used again, already released, another user, newly
protected) is skipped. It releases through the QRS (a downgrade releases
Professional, then allocates Analyzer, and gives Professional back when
that fails), goes on past individual failures with bounded retries and a
rate limit, and records every action (who, when, what, result) in the audit
trail before it is sent. Without --yes it asks on a terminal and refuses
when there is none.

The policy comes from the reclaim section of the config file: thresholds
per type, never-release users, directories, tags, custom properties and the
QMC flags (inactive: the directory no longer finds the user; blocked;
removed externally), max_releases per run. INTERNAL accounts and RootAdmins
are always protected; an allocation used in the last 7 days is never
released without --force.

Examples:
  licmon reclaim plan --site prod
  licmon reclaim plan --site prod --type professional --inactive 120d --downgrade --format csv > plan.csv
  licmon reclaim apply 12 --site prod
  licmon reclaim apply 12 --site prod --yes
  licmon reclaim history --site prod
`

func runReclaim(ctx context.Context, e *env, args []string) int {
	return runSubcommand(ctx, e, "reclaim", reclaimUsage, args,
		subcommand{"plan", "plan", runReclaimPlan}, subcommand{"apply", "apply PLAN-ID", runReclaimApply},
		subcommand{"history", "history", runReclaimHistory})
}

// reclaimSite resolves one site and opens the store.
func reclaimSite(ctx context.Context, e *env, cf *connFlags, dbPath string) (*config.Config, *config.Site, store.Store, error) {
	cfg, site, err := cf.oneSite(e, "reclaim")
	if err != nil {
		return nil, nil, nil, err
	}
	st, _, err := openStore(ctx, dbPath, cfg.DB, false)
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, site, st, nil
}

func runReclaimPlan(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "reclaim plan", reclaimUsage)
	var cf connFlags
	cf.register(fs, false)
	types := fs.String("type", "professional,analyzer,user-access", "allocation `types` to reclaim, comma-separated")
	inactive := fs.String("inactive", "", "inactivity `threshold` for every type, e.g. 90d (default: the config's, else 90d)")
	downgrade := fs.Bool("downgrade", false, "also plan moving Professional users who author nothing to Analyzer")
	force := fs.Bool("force", false, "allow releasing allocations used in the last 7 days")
	format := fs.String("format", "text", "output `format`: text, json or csv")
	dbPath := fs.String("db", "", "history store `file` where the plan is saved")
	limit := fs.Int("limit", 0, "text: show at most this many `rows` of candidates and of exclusions (all are saved)")
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(e, ExitUsage, fmt.Errorf("reclaim plan takes no arguments (got %q)", fs.Args()))
	}
	if *format != "text" && *format != "json" && *format != "csv" {
		return fail(e, ExitUsage, fmt.Errorf("--format %q: use text, json or csv", *format))
	}
	ts, err := reclaim.ParseTypes(*types)
	if err != nil {
		return fail(e, ExitUsage, fmt.Errorf("--type: %w", err))
	}
	cfg, site, st, err := reclaimSite(ctx, e, &cf, *dbPath)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer st.Close()
	p := reclaim.PolicyFromConfig(cfg.Reclaim)
	p.Force = *force
	if *inactive != "" {
		d, err := config.ParseDuration(*inactive)
		if err != nil || d < 24*time.Hour {
			return fail(e, ExitUsage, fmt.Errorf("--inactive %q: give days, e.g. 90d (at least 1d)", *inactive))
		}
		for _, t := range reclaim.Types {
			p.Inactive[t] = d
		}
	}
	if err := p.Validate(); err != nil {
		return fail(e, ExitUsage, fmt.Errorf("reclaim policy: %w", err))
	}
	c, err := newClient(e, site)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer c.CloseIdleConnections()
	authoring := cfg.Report.AuthoringDays
	in, err := reclaim.Gather(ctx, c, reclaim.GatherOptions{Types: ts, Authoring: *downgrade, AuthoringDays: authoring})
	if err != nil {
		return fail(e, ExitError, err)
	}
	pl := reclaim.Build(in, p, reclaim.Options{Site: site.Name, Types: ts, Downgrade: *downgrade})
	sum, body, err := pl.Record()
	if err != nil {
		return fail(e, ExitError, err)
	}
	id, err := st.SavePlan(ctx, store.ActionPlan{Site: site.Name, Kind: "reclaim", CreatedAt: pl.BuiltAt, CreatedBy: actor(c.Identity()), Summary: sum, Body: body})
	if err != nil {
		return fail(e, ExitError, err)
	}
	pl.ID = id
	switch *format {
	case "json":
		err = reclaim.WriteJSON(e.stdout, pl)
	case "csv":
		err = reclaim.WriteCSV(e.stdout, pl)
	default:
		err = reclaim.WriteText(e.stdout, pl, *limit)
		if err == nil && len(pl.Candidates) > 0 {
			fmt.Fprintf(e.stdout, "\nNothing was changed. Review, then: licmon reclaim apply %d --site %s\n", id, site.Name)
		}
	}
	if err != nil {
		return fail(e, ExitError, err)
	}
	return ExitOK
}

func runReclaimApply(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "reclaim apply", reclaimUsage)
	var cf connFlags
	cf.register(fs, false)
	yes := fs.Bool("yes", false, "apply without asking")
	dbPath := fs.String("db", "", "history store `file` holding the plan and the audit trail")
	var idArg string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		idArg, args = args[0], args[1:]
	}
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	if idArg == "" && fs.NArg() == 1 {
		idArg = fs.Arg(0)
	} else if fs.NArg() > 0 || idArg == "" {
		return fail(e, ExitUsage, errors.New("reclaim apply takes one plan id (licmon reclaim apply PLAN-ID; ids are shown by reclaim plan and reclaim history)"))
	}
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil || id <= 0 {
		return fail(e, ExitUsage, fmt.Errorf("plan id %q: a positive number, as shown by licmon reclaim plan", idArg))
	}
	cfg, site, st, err := reclaimSite(ctx, e, &cf, *dbPath)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer st.Close()
	saved, err := st.Plan(ctx, id)
	if err != nil {
		return fail(e, ExitError, err)
	}
	if saved.Kind != "reclaim" || saved.Site != site.Name {
		return fail(e, ExitUsage, fmt.Errorf("plan %d is a %s plan of site %s, not a reclaim plan of %s: pass --site %s", id, saved.Kind, saved.Site, site.Name, saved.Site))
	}
	pl, err := reclaim.ParsePlan(saved.Body)
	if err != nil {
		return fail(e, ExitError, fmt.Errorf("plan %d: %w", id, err))
	}
	pl.ID = id
	if len(pl.Candidates) == 0 {
		fmt.Fprintf(e.stdout, "Plan %d has no candidates: nothing to do.\n", id)
		return ExitOK
	}
	age := time.Since(saved.CreatedAt)
	fmt.Fprintf(e.stdout, "Plan %d of site %s, built %s ago by %s: %d change(s). Each is re-checked against the site first.\n",
		id, site.Name, age.Round(time.Minute), saved.CreatedBy, len(pl.Candidates))
	if ok, code := approved(e, *yes, fmt.Sprintf("Release or downgrade up to %d allocation(s) on site %s?", len(pl.Candidates), site.Name)); !ok {
		return code
	}
	c, err := newClient(e, site)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer c.CloseIdleConnections()
	p := reclaim.PolicyFromConfig(cfg.Reclaim)
	p.Force = pl.Policy.Force
	rec := store.NewAuditRun(st, site.Name, newRunID(), actor(c.Identity()), "reclaim apply", id)
	res, err := reclaim.Apply(ctx, c, pl, reclaim.ApplyOptions{Policy: p, Rate: cfg.Reclaim.Rate, Retries: cfg.Reclaim.Retries, Backoff: retryBackoff}, rec)
	code := printReclaimResults(e, res, rec.RunID)
	if err != nil {
		return fail(e, ExitError, err)
	}
	if ctx.Err() != nil {
		return fail(e, ExitError, fmt.Errorf("interrupted after %d of %d: licmon reclaim history --site %s shows what was done", len(res), len(pl.Candidates), site.Name))
	}
	return code
}

func printReclaimResults(e *env, res []reclaim.Result, run string) int {
	counts := map[string]int{}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nRESULT\tACTION\tUSER\tTYPE\tDETAIL")
	for _, r := range res {
		counts[r.Result]++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Result, r.Action, termtext.Clean(r.User), r.Type, r.Detail)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "\n%d released, %d downgraded, %d skipped, %d rolled back, %d failed (audit run %s)\n",
		counts[reclaim.Released], counts[reclaim.Downgraded], counts[reclaim.Skipped], counts[reclaim.RolledBack], counts[reclaim.Failed]+counts[reclaim.Unknown], run)
	if counts[reclaim.Failed]+counts[reclaim.Unknown]+counts[reclaim.RolledBack] > 0 {
		return ExitError
	}
	return ExitOK
}

func runReclaimHistory(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "reclaim history", reclaimUsage)
	site := fs.String("site", "", "site `name` (default: every site)")
	limit := fs.Int("limit", 50, "at most this many plans and `actions`")
	dbPath := fs.String("db", "", "history store `file`")
	cfgPath := fs.String("config", "", "configuration `file` (for its db path)")
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	_, st, _, err := configAndStore(ctx, *cfgPath, *dbPath, true)
	if err != nil {
		return fail(e, ExitError, err)
	}
	defer st.Close()
	plans, err := st.Plans(ctx, *site, "reclaim", *limit)
	if err != nil {
		return fail(e, ExitError, err)
	}
	audit, err := st.Audit(ctx, *site, "", *limit)
	if err != nil {
		return fail(e, ExitError, err)
	}
	writeHistory(e, plans, audit)
	return ExitOK
}

func writeHistory(e *env, plans []store.ActionPlan, audit []store.AuditEntry) {
	w := e.stdout
	if len(plans) == 0 {
		fmt.Fprintln(w, "No reclaim plans yet (licmon reclaim plan).")
	} else {
		fmt.Fprintln(w, "Plans")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSITE\tBUILT\tBY\tCANDIDATES\tEXCLUDED")
		for _, p := range plans {
			var s struct{ Candidates, Excluded int }
			json.Unmarshal(p.Summary, &s)
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\n", p.ID, p.Site, p.CreatedAt.Format(time.RFC3339), termtext.Clean(p.CreatedBy), s.Candidates, s.Excluded)
		}
		tw.Flush()
	}
	if len(audit) == 0 {
		fmt.Fprintln(w, "\nNo changes recorded.")
		return
	}
	fmt.Fprintln(w, "\nActions (newest first)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tSITE\tRUN\tBY\tCOMMAND\tPLAN\tACTION\tTARGET\tRESULT\tDETAIL")
	for _, a := range audit {
		plan, result := "–", a.Result
		if a.PlanID != 0 {
			plan = strconv.FormatInt(a.PlanID, 10)
		}
		if result == "pending" {
			result = "pending (run interrupted: check the QMC)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.At.Format(time.RFC3339), a.Site, a.RunID, termtext.Clean(a.Actor), a.Command, plan,
			a.Action, termtext.Clean(a.Target), result, termtext.Clean(a.Detail))
	}
	tw.Flush()
}
