package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

const simUsage = `
Usage: licmon sim [--listen ADDR] --cert-dir DIR [flags]

Serves a simulated Qlik Sense site: the Repository Service (QRS) API over
HTTPS with mutual TLS, exactly like port 4242 of a real central node. On
start it creates (or reuses) a site CA, a server certificate and a client
certificate, and writes root.pem, client.pem and client_key.pem into DIR as
the QMC exports them, so the same licmon flags (and curl, Butler, ctrl-q,
Qlik-Cli) work against it. Requests need the client certificate, an xrfkey
(query and X-Qlik-Xrfkey header) and X-Qlik-User, as on a real site.

Scenarios make the License Monitor healthy or broken in each documented way
and fill the license up like a real site (see the list below; join presets
with +, e.g. lm-failing-rest-401+at-capacity); --users and --history grow a
realistic site. The site obeys the license: no allocation beyond the total,
users are denied when a type is full, capacity stops at the monthly pool.

In the credential scenarios (lm-failing-rest-401, lm-failing-rest-404,
ntlm-kerberos) the monitor_apps_REST_* connections decide the next License
Monitor reload, so licmon repair connections can be tried: the service
account CORP\qservice has the current password ` + sim.DefaultServicePassword + `
(a scenario file sets another with connections.password). Storing it on the
connections makes the next run succeed, any other password keeps the 401;
--prefix windows fixes lm-failing-rest-404; with ntlm-kerberos only
--switch-to certificate --host <central node> works.

Examples:
  licmon sim --cert-dir ./simcerts
  licmon sim --listen 127.0.0.1:4242 --cert-dir ./simcerts --scenario lm-failing-rest-401
  licmon sim --cert-dir ./simcerts --users 100000 --history 730 --seed 7

  curl --cert simcerts/client.pem --key simcerts/client_key.pem --cacert simcerts/root.pem \
    -H 'X-Qlik-User: UserDirectory=INTERNAL; UserId=sa_api' -H 'X-Qlik-Xrfkey: abcdefghijklmnop' \
    'https://localhost:4242/qrs/about?xrfkey=abcdefghijklmnop'
`

func runSim(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && args[0] == "logs" {
		return runSimLogs(ctx, e, args[1:])
	}
	fs := newFlagSet(e, "sim", simUsage+"\nScenarios:\n"+scenarioList())
	listen := fs.String("listen", "127.0.0.1:4242", "`address` of the QRS (mutual TLS)")
	certDir := fs.String("cert-dir", "", "`folder` for the site CA and the server and client certificates (created if missing)")
	hostname := fs.String("hostname", "", "extra host `name` for the server certificate and the central node name")
	scenario := fs.String("scenario", "healthy", "preset `name` or YAML file (see the list below)")
	seed := fs.Int64("seed", 1, "random `seed`: the same seed gives the same site")
	users := fs.Int("users", 200, "number of directory `users` (when not given, a scenario file's users: applies)")
	history := fs.Int("history", 365, "`days` of history (allocations, usage, task runs; a scenario's historyDays: wins)")
	apps := fs.Int("apps", 0, "`number` of user apps (default: derived from --users, at most 400)")
	objects := fs.Int("objects-per-app", 0, "mean `number` of sheets and other objects per app (default 2 to 7)")
	proxy := fs.String("proxy-listen", "", "also serve a virtual proxy at `address` (prefixes jwt and hdr; see the JWT printed at start)")
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	if *certDir == "" {
		return fail(e, ExitUsage, errors.New("sim needs --cert-dir DIR: the folder where root.pem, client.pem and client_key.pem are written"))
	}
	var hosts []string
	if *hostname != "" {
		hosts = append(hosts, *hostname)
	}
	// --users left at its default yields to a scenario file's users:
	usersSet := false
	fs.Visit(func(f *flag.Flag) { usersSet = usersSet || f.Name == "users" })
	n := 0
	if usersSet {
		n = *users
	}
	site, err := sim.New(sim.Options{Seed: *seed, Users: n, HistoryDays: *history, Scenario: *scenario, Hostname: *hostname,
		Apps: *apps, ObjectsPerApp: *objects})
	if err != nil {
		return fail(e, ExitUsage, err)
	}
	if _, err := sim.EnsureCerts(*certDir, hosts...); err != nil {
		return fail(e, ExitError, err)
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	errc := make(chan error, 2)
	go func() { errc <- sim.Serve(ctx, site, *listen, *certDir, hosts, log) }()
	dir, _ := filepath.Abs(*certDir)
	host, port, _ := net.SplitHostPort(*listen)
	if host == "" || host == "0.0.0.0" || host == "127.0.0.1" || host == "::" {
		host = "localhost"
	}
	eff := site.Options()
	fmt.Fprintf(e.stdout, "Simulated Qlik Sense site %q (scenario %s, %d users, %d days of history)\n", site.Hostname(), site.ScenarioName(), eff.Users, eff.HistoryDays)
	fmt.Fprintf(e.stdout, "QRS:          https://%s:%s/qrs/  (mutual TLS)\n", host, port)
	fmt.Fprintf(e.stdout, "certificates: %s (root.pem, client.pem, client_key.pem)\n", dir)
	fmt.Fprintf(e.stdout, "try:          licmon check --server https://%s:%s --cert-dir %s\n", host, port, dir)
	if *proxy != "" {
		key := []byte("licmon-sim-" + fmt.Sprint(*seed))
		vps := []sim.VirtualProxy{{Prefix: "jwt", Auth: "jwt", JWTKey: key}, {Prefix: "hdr", Auth: "header", HeaderName: "hdr-usr"}}
		go func() { errc <- sim.ServeProxy(ctx, site, *proxy, *certDir, hosts, vps, log) }()
		ph, pp, _ := net.SplitHostPort(*proxy)
		if ph == "" || ph == "127.0.0.1" || ph == "0.0.0.0" {
			ph = "localhost"
		}
		fmt.Fprintf(e.stdout, "proxy:        https://%s:%s/jwt/qrs/ (Authorization: Bearer %s)\n", ph, pp, sim.MintJWT(key, "INTERNAL", "sa_api", 24*time.Hour))
		fmt.Fprintf(e.stdout, "              https://%s:%s/hdr/qrs/ (hdr-usr: INTERNAL\\sa_api)\n", ph, pp)
	}
	fmt.Fprintln(e.stdout, "Press Ctrl+C to stop.")
	if err := <-errc; err != nil && ctx.Err() == nil {
		return fail(e, ExitError, err)
	}
	return ExitOK
}

func scenarioList() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, s := range sim.Scenarios() {
		fmt.Fprintf(tw, "  %s\t%s\n", s.Name, s.Description)
	}
	tw.Flush()
	return b.String()
}
