package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/sim/simlogs"
)

const simLogsUsage = `
Usage: licmon sim logs --out DIR [--users N] [--days D] [--seed S] [--scenario NAME]

Writes the Qlik Sense log tree of a simulated site: Log\<Service>\<Area>\
with the active .txt files and ArchivedLogs\<node>\<Service>\<Area>\ with
the files rolled at 12 hours or 8 MB, in the formats of the real logs
(proxy session audit, repository security audit with license uses and
access denials, engine session summaries and performance counters, the
scheduler's task audit and the reload script logs), and truth.json, what the
logs were written from (daily active users, denials, task runs).
The same options give the same tree. The site is the one licmon sim serves
with the same --users, --seed and --scenario: its sessions are the lastUsed
times its QRS reports, its denials the ones it records.

Examples:
  licmon sim logs --out ./simlogs --users 500 --days 90 --seed 7
  licmon sim logs --out ./simlogs --scenario lm-failing-rest-401+at-capacity
  licmon logs import --site sim ./simlogs && licmon logs summary --site sim
`

func runSimLogs(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "sim logs", simLogsUsage)
	out := fs.String("out", "", "`folder` to write (new or empty)")
	users := fs.Int("users", 200, "number of directory `users`")
	days := fs.Int("days", 30, "`days` of logs")
	seed := fs.Int64("seed", 1, "random `seed`: the same seed gives the same logs")
	scenario := fs.String("scenario", "healthy", "sim preset `name` or YAML file")
	end := fs.String("end", "2026-01-01", "`date` the logs end (UTC)")
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(e, ExitUsage, fmt.Errorf("sim logs: unexpected argument %q (flags only)", fs.Arg(0)))
	}
	endT, err := time.Parse(time.DateOnly, *end)
	if err != nil {
		return fail(e, ExitUsage, fmt.Errorf("sim logs: invalid --end %q: use a date such as 2026-01-01", *end))
	}
	start := time.Now()
	t, err := simlogs.Generate(simlogs.Options{Out: *out, Users: *users, Days: *days, Seed: *seed, Scenario: *scenario, End: endT})
	if err != nil {
		return fail(e, ExitUsage, err)
	}
	den := 0
	for _, d := range t.Denials {
		den += d.Denials
	}
	fmt.Fprintf(e.stdout, "Wrote %d files (%.1f MB) in %s: %d sessions of %d users, %d denials, %s to %s\n",
		t.Files, float64(t.Bytes)/1e6, time.Since(start).Round(time.Millisecond), t.Sessions, t.Users, den,
		t.From.Format(time.DateOnly), t.To.Format(time.DateOnly))
	fmt.Fprintf(e.stdout, "ground truth: %s/truth.json\n", *out)
	return ExitOK
}
