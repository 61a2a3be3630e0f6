package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/serve"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/sim/simlogs"
	"github.com/licmon/licmon/internal/store"
)

const demoUsage = `
Usage: licmon demo [--no-serve] [--dir DIR] [--users N] [--days N]

Runs licmon end to end without a Qlik server. It starts a simulated Qlik
Sense site in-process (over real mutual TLS, with certificates written as the
QMC exports them) whose License Monitor reload fails and whose Professional
licenses have been all taken for two months (new users are denied), and
then, with the same code paths as the real commands:

  1. licmon check finds the failing "Reload License Monitor" task, downloads
     its script log and explains the failure (line, connection, cause, fix);
  2. licmon repair connections stores the service account's new password on
     the monitor_apps_REST_* connections (after showing the plan and saving a
     backup), starts the task and confirms the License Monitor works again;
  3. licmon collect records the licenses, reconstructs the history it can,
     then a month of daily collections is simulated while the site writes
     its Qlik Sense log tree (sessions, access denials, task runs);
  4. licmon logs import reads that log tree: how many users the full
     Professional license turned away, measured rather than estimated;
  5. licmon db stats shows the history store;
  6. licmon report forecasts when each license type runs out (Professional
     on its demand, allocated plus the users still waiting) and says what
     to buy or reclaim, as text and as a self-contained HTML file;
  7. licmon reclaim plan lists the allocations that can be released (and
     the Professional users Analyzer would do for), who is protected by
     which rule, and saves the plan without changing anything;
  8. licmon serve runs the dashboard, the JSON API and /metrics against the
     simulated site (on 127.0.0.1:8080, or a free port when it is taken).

Everything is written under --dir (a licmon.yaml, the certificates, the
store, the saved script logs, the site's log tree in logs/ and the report
as JSON and HTML) so you can run the commands yourself afterwards. Unless --no-serve is given (or the output is not a terminal),
the simulated site keeps running until Ctrl+C.

Examples:
  licmon demo
  licmon demo --no-serve --dir ./demo-out
`

func runDemo(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "demo", demoUsage)
	noServe := fs.Bool("no-serve", false, "exit after the story instead of keeping the simulated site running")
	dir := fs.String("dir", "", "`folder` for the demo's config, certificates, store and logs (default: a new temporary folder)")
	users := fs.Int("users", 2000, "`number` of users of the simulated site")
	days := fs.Int("days", 30, "`days` of daily collections to simulate after the first one")
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "licmon-demo-")
		if err != nil {
			return fail(e, ExitError, err)
		}
		*dir = d
	}
	serve := !*noServe && isTerminal(e.stdout)
	if err := demo(ctx, e, *dir, *users, *days, serve); err != nil {
		return fail(e, ExitError, err)
	}
	return ExitOK
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func step(w io.Writer, n int, title, cmd string) {
	fmt.Fprintf(w, "\n━━ %d. %s\n", n, title)
	if cmd != "" {
		fmt.Fprintf(w, "$ %s\n\n", cmd)
	}
}

// demoScenario is a failing License Monitor (steps 1-2) on a site whose
// Professional license has been full for two months, turning new users
// away, and whose Analyzer license runs out within the year (steps 3-6).
const demoScenario = "lm-failing-rest-401+at-capacity"

func demo(ctx context.Context, e *env, dir string, users, days int, serve bool) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	certDir := filepath.Join(dir, "certs")
	site, err := sim.New(sim.Options{Seed: 42, Users: users, HistoryDays: 730, Scenario: demoScenario, Hostname: "qlik-prod.corp.example"})
	if err != nil {
		return err
	}
	certs, err := sim.EnsureCerts(certDir)
	if err != nil {
		return err
	}
	tlsCfg, err := certs.ServerTLSConfig()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- sim.ServeListener(sctx, ln, tlsCfg, site.Handler(), nil) }()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	server := "https://localhost:" + port

	cfgPath := filepath.Join(dir, "licmon.yaml")
	cfgText := fmt.Sprintf(`# Written by licmon demo: a simulated site on this machine.
db: licmon.db
check:
  save_logs: scriptlogs
# One site to check: serve checks it within a second of starting instead
# of after a random delay of up to a tenth of check_every (30s).
schedule:
  check_jitter: 1s
sites:
  - name: prod
    server: %s
    cert_dir: certs
    user: INTERNAL\sa_api
`, server)
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		return fmt.Errorf("write demo config: %w", err)
	}
	w := e.stdout
	fmt.Fprintf(w, "licmon demo: a simulated Qlik Sense site %q with %d users and two years of history is\n", site.Hostname(), users)
	fmt.Fprintf(w, "serving the QRS at %s over mutual TLS. Its License Monitor reload has been failing for hours,\n", server)
	fmt.Fprintf(w, "and its Professional licenses have all been taken for two months: new users are turned away.\n")
	fmt.Fprintf(w, "Config, certificates, store and logs: %s\n", dir)

	run := func(args ...string) int {
		return Main(ctx, append(args, "--config", cfgPath), e.stdin, e.stdout, e.stderr)
	}

	step(w, 1, "Is the License Monitor working?", "licmon check --config "+cfgPath)
	code := run("check")
	fmt.Fprintf(w, "\n(exit code %d: %s)\n", code, []string{"OK", "WARNING", "CRITICAL", "UNKNOWN"}[min(max(code, 0), 3)])

	// The service account's password was changed; the connections still
	// hold the old one. The admin puts the new one in a file only they can read.
	pwFile := filepath.Join(dir, "service-password.txt")
	if err := os.WriteFile(pwFile, []byte(sim.DefaultServicePassword+"\n"), 0o600); err != nil {
		return err
	}
	backup := filepath.Join(dir, "repair-backup.json")
	repairArgs := []string{"repair", "connections", "--user", `CORP\qservice`, "--password-file", pwFile, "--backup", backup}
	step(w, 2, "licmon repairs the monitor_apps_REST_* connections: plan, backup, apply, reload, check again",
		"licmon repair connections --user 'CORP\\qservice' --password-file "+pwFile+" --yes --then-reload --config "+cfgPath)
	code = run(append(repairArgs, "--yes", "--then-reload")...)
	fmt.Fprintf(w, "(exit code %d; undo with: licmon repair undo %s --config %s)\n", code, backup, cfgPath)

	step(w, 3, "Record the licenses in the history store", "licmon collect --config "+cfgPath)
	if code := run("collect"); code != ExitOK {
		return fmt.Errorf("collect failed with exit code %d", code)
	}

	// The site writes its Qlik Sense log tree from here on, starting with
	// what it recorded of the months before (every access denial; of the
	// sessions only each allocation's last use), as the archived logs of a
	// real site hold them.
	logsDir := filepath.Join(dir, "logs")
	logs, err := simlogs.NewWriter(site, simlogs.Options{Out: logsDir}, site.Now().AddDate(0, 0, -demoLogDays))
	if err != nil {
		return fmt.Errorf("demo: %w (use a new --dir)", err)
	}
	fmt.Fprintf(w, "\nSimulating %d days of daily collections (users arrive and leave, licenses are allocated and used,\n", days)
	fmt.Fprintf(w, "the site writes its Qlik Sense logs to %s)...\n", logsDir)
	if err := demoDays(ctx, e, logs, server, certDir, filepath.Join(dir, "licmon.db"), days); err != nil {
		return err
	}
	if _, err := logs.Close(); err != nil {
		return fmt.Errorf("demo: write the log tree: %w", err)
	}

	step(w, 4, "Professional is full and turning users away: how many, read from the Qlik Sense logs",
		"licmon logs import --config "+cfgPath+" "+logsDir)
	if code := run("logs", "import", logsDir); code != ExitOK {
		return fmt.Errorf("logs import failed with exit code %d", code)
	}
	if err := printDenied(ctx, w, filepath.Join(dir, "licmon.db"), site.Now()); err != nil {
		return err
	}

	step(w, 5, "What the store holds", "licmon db stats --config "+cfgPath)
	if code := run("db", "stats"); code != ExitOK {
		return fmt.Errorf("db stats failed with exit code %d", code)
	}

	// The step's title tells the report's story, so the report is built
	// first (as JSON, kept next to the HTML) and then shown as text.
	jsonPath := filepath.Join(dir, "license-report.json")
	var errBuf strings.Builder
	if code := Main(ctx, []string{"report", "--format", "json", "--out", jsonPath, "--config", cfgPath}, e.stdin, io.Discard, &errBuf); code != ExitOK {
		return fmt.Errorf("report --format json failed with exit code %d: %s", code, strings.TrimSpace(errBuf.String()))
	}
	title, err := reportStory(jsonPath)
	if err != nil {
		return err
	}
	step(w, 6, title, "licmon report --config "+cfgPath)
	if code := run("report"); code != ExitOK {
		return fmt.Errorf("report failed with exit code %d", code)
	}
	htmlPath := filepath.Join(dir, "license-report.html")
	if code := run("report", "--format", "html", "--out", htmlPath); code != ExitOK {
		return fmt.Errorf("report --format html failed with exit code %d", code)
	}
	fmt.Fprintf(w, "\nThe same report as one self-contained HTML file (charts included, fit to e-mail): %s\n", htmlPath)
	fmt.Fprintf(w, "and as JSON for scripts: %s\n", jsonPath)

	step(w, 7, "Which licenses can be reclaimed, and who is protected by which rule (nothing is changed)",
		"licmon reclaim plan --downgrade --limit 8 --config "+cfgPath)
	if code := run("reclaim", "plan", "--downgrade", "--limit", "8"); code != ExitOK {
		return fmt.Errorf("reclaim plan failed with exit code %d", code)
	}

	step(w, 8, "The always-on monitor: dashboard, JSON API, Prometheus metrics, alerts", "licmon serve --config "+cfgPath)
	stopServe, dashboard, err := demoServe(ctx, e, site, cfgPath, serve)
	if err != nil {
		return err
	}
	defer stopServe()

	fmt.Fprintf(w, "\n━━ Where to look next\n")
	fmt.Fprintf(w, "  licmon check --config %s --format json     # the stable JSON for scripts\n", cfgPath)
	fmt.Fprintf(w, "  licmon logs summary --config %s     # users per day, refusals per type, failed reloads, from the logs\n", cfgPath)
	fmt.Fprintf(w, "  licmon diagnose %s\n", filepath.Join(dir, "scriptlogs", "Reload License Monitor.log"))
	fmt.Fprintf(w, "  licmon sim --cert-dir %s --scenario lm-failing-file-not-found   # other failures: licmon sim -h\n", filepath.Join(dir, "simcerts"))
	fmt.Fprintf(w, "  README.md: connecting to your own sites (certificates exported from the QMC)\n")
	if !serve {
		stop()
		return ignoreClosed(<-served)
	}
	fmt.Fprintf(w, "\nThe simulated site keeps running at %s, the dashboard at %s/; press Ctrl+C to stop.\n", server, dashboard)
	<-ctx.Done()
	stop()
	return ignoreClosed(<-served)
}

func ignoreClosed(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "use of closed network connection") {
		return nil
	}
	return err
}

// demoLogDays is how far back the demo's log tree starts before the first
// collection: long enough for the refusals to be measured on every
// collected day, the week before included (demand.EventWindowDays), short
// enough to keep the demo quick (every hourly reload adds a script log).
const demoLogDays = 14

// demoDays moves the simulated site forward one day at a time, writing its
// logs, and collects after each day, as a daily schedule would.
func demoDays(ctx context.Context, e *env, logs *simlogs.Writer, server, certDir, dbPath string, days int) error {
	s := &config.Site{Name: "prod", Server: server, CertDir: certDir}
	c, err := newClient(e, s)
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()
	st, err := store.Open(ctx, dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	var last *collect.Result
	for d := 0; d < days; d++ {
		if err := logs.Advance(24 * time.Hour); err != nil {
			return fmt.Errorf("demo: write the log tree: %w", err)
		}
		r, err := collect.Run(ctx, c, st, "prod", logs.Now())
		if err != nil {
			return err
		}
		last = r
	}
	if last != nil {
		fmt.Fprintf(e.stdout, "Last of the %d collections:\n", days)
		printCollect(e.stdout, last)
	}
	return nil
}

// printDenied says what the logs measured of the Professional refusals
// over the report's window, from the store the import wrote.
func printDenied(ctx context.Context, w io.Writer, dbPath string, now time.Time) error {
	st, err := store.Open(ctx, dbPath, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	to := license.Day(now)
	from := to.AddDate(0, 0, 1-report.UnmetWindowDays)
	days, err := st.Denials(ctx, "prod", license.Professional, from, to)
	if err != nil {
		return err
	}
	var n, peak int64
	var on int
	for _, d := range days {
		if d.Source != license.DenialsFromLogs || d.Denials == 0 {
			continue
		}
		n, on, peak = n+d.Denials, on+1, max(peak, d.Users)
	}
	if n == 0 {
		fmt.Fprintf(w, "\nThe logs hold no Professional refusal in the last %d days.\n", report.UnmetWindowDays)
		return nil
	}
	fmt.Fprintf(w, "\nThe logs measure it: the license turned away %d Professional access requests in the last %d days,\n", n, report.UnmetWindowDays)
	fmt.Fprintf(w, "on %d of them, up to %d different users a day. The report now adds the users still waiting to\n", on, peak)
	fmt.Fprintf(w, "Professional demand (source logs) instead of the QRS estimate the collections made.\n")
	return nil
}

// reportStory is the report step's title: which type is full and turning
// users away, with the refusals and their source, and which runs out when,
// read from the report itself.
func reportStory(jsonPath string) (string, error) {
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		return "", err
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return "", fmt.Errorf("demo: read %s: %w", jsonPath, err)
	}
	var parts []string
	for _, u := range r.UnmetDemand.Types {
		if u.AtCapacity && u.Source != nil && u.Denials != nil {
			parts = append(parts, fmt.Sprintf("%s is full and turned away %d requests in %d days (source %s)", u.Label, *u.Denials, u.WindowDays, *u.Source))
		}
	}
	for _, t := range r.Types {
		if f := t.Forecast; f.Status == string(forecast.StatusRunsOut) && f.Date != nil {
			parts = append(parts, fmt.Sprintf("%s runs out about %s", t.Label, f.Date.Format(time.DateOnly)))
		}
	}
	if len(parts) == 0 {
		return "License growth and needs: forecast, what to buy or reclaim", nil
	}
	return strings.Join(parts, "; ") + ": what to buy or reclaim", nil
}

// demoServe runs `licmon serve` in-process against the simulated site, on
// the simulated clock, and shows what it serves. It returns the function
// that stops it.
func demoServe(ctx context.Context, e *env, site *sim.Site, cfgPath string, keep bool) (stop func(), base string, err error) {
	log := slog.New(slog.DiscardHandler)
	load := func() (*config.Config, []config.Site, error) {
		cfg, err := config.Load(cfgPath)
		if err != nil {
			return nil, nil, err
		}
		return cfg, cfg.Sites, nil
	}
	listen := "127.0.0.1:8080"
	if ln, err := net.Listen("tcp", listen); err != nil {
		listen = "127.0.0.1:0"
	} else {
		ln.Close()
	}
	sctx, cancel := context.WithCancel(ctx)
	srv, err := serve.New(sctx, serve.Options{Load: load, NewClient: serve.QRSClient(version(), log), Listen: listen,
		Version: version(), Logger: log, Now: site.Now})
	if err != nil {
		cancel()
		return nil, "", err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(sctx) }()
	stop = func() {
		cancel()
		<-done
	}
	base = "http://" + srv.Addr().String()
	for i := 0; i < 300 && !srv.Ready(); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	w := e.stdout
	fmt.Fprintf(w, "dashboard:  %s/            (the site page: %s/sites/prod)\n", base, base)
	fmt.Fprintf(w, "JSON API:   %s/api/v1/sites\n", base)
	fmt.Fprintf(w, "metrics:    %s/metrics, for example:\n", base)
	if resp, err := http.Get(base + "/metrics"); err == nil {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			l := sc.Text()
			if strings.HasPrefix(l, "licmon_task_last_status{") || strings.HasPrefix(l, "licmon_license_available{") || strings.HasPrefix(l, "licmon_license_runout_days{") {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
		resp.Body.Close()
	}
	if !keep {
		fmt.Fprintln(w, "(--no-serve: the dashboard stops with the demo)")
	}
	return stop, base, nil
}
