package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/serve"
)

const serveUsage = `
Usage: licmon serve [--config FILE | connection flags] [--listen ADDR] [--db PATH]

Runs the always-on monitor: checks every site every 5 minutes and collects
its licenses daily (02:00 local; a missed collection runs at start), stores
the results, sends alerts (webhook, Slack, Teams, e-mail), and serves the
dashboard, the JSON API (/api/v1/...), Prometheus /metrics, /-/healthy and
/-/ready. SIGHUP or POST /-/reload re-reads the configuration without
dropping the listener; on error the previous configuration stays.

On a PostgreSQL store several instances may share the database: one leads
(runs the schedules, sends the alerts) and the others serve and take over
within a minute when it dies (serve.instance, serve.leader_poll; serve.sites
splits the sites into shards, each with its own leader).
` + connUsage + `
Examples:
  licmon serve --config licmon.yaml
  licmon serve --server https://qlik.example.com:4242 --cert-dir ./certs --listen 127.0.0.1:8080
  curl -X POST http://127.0.0.1:8080/-/reload
`

func runServe(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "serve", serveUsage)
	var cf connFlags
	cf.register(fs, false)
	listen := fs.String("listen", "", "`address` to serve on (default serve.listen, else 127.0.0.1:8080)")
	dbPath := fs.String("db", "", "history store `file` (default: db in the config, else the OS data dir)")
	verbose := fs.Bool("v", false, "log every run, not only warnings")
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(e, ExitUsage, fmt.Errorf("serve takes no arguments (got %q); see licmon serve -h", fs.Args()))
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	le := *e
	le.log = log
	// Every site of the config file unless one was chosen by flags.
	cf.allSites = cf.server == "" && cf.site == ""
	load := func() (*config.Config, []config.Site, error) { return cf.resolve(&le) }
	s, err := serve.New(ctx, serve.Options{Load: load, NewClient: serve.QRSClient(version(), log),
		Listen: *listen, DB: *dbPath, Version: version(), Logger: log, Memory: newServeMemory()})
	if err != nil {
		return fail(e, ExitError, err)
	}
	fmt.Fprintf(e.stdout, "licmon serve: listening on %s (metrics at /metrics)\n", s.Addr())
	if err := s.Run(ctx); err != nil {
		return fail(e, ExitError, err)
	}
	return ExitOK
}
