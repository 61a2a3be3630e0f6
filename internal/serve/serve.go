// Package serve is the always-on daemon of `licmon serve`: it loads the
// configuration, opens the history store, schedules a check of every site
// every few minutes and a daily collection, stores every check, keeps the
// latest state per site in memory, evaluates the alert rules after each run,
// and serves the dashboard and API (internal/web), /metrics, /-/healthy,
// /-/ready and POST /-/reload over one listener that survives reloads.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licmon/licmon/internal/alert"
	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/leader"
	"github.com/licmon/licmon/internal/metrics"
	"github.com/licmon/licmon/internal/notify/httppost"
	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/schedule"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/web"
)

// Client is the QRS client of a site. collect.Run takes the concrete
// client, so this is an alias rather than an interface.
type Client = *qrs.Client

// Options configure the daemon.
type Options struct {
	// Load reads the configuration and the sites to watch; it is called at
	// start and at every reload (SIGHUP, POST /-/reload). The CLI builds it
	// from --config and the connection flags.
	Load func() (*config.Config, []config.Site, error)
	// NewClient builds the QRS client of a site.
	NewClient func(s config.Site) (Client, error)
	// Listen overrides serve.listen (the --listen flag); DB overrides db.
	Listen, DB string
	// Store, when set, is used instead of opening DB (tests).
	Store store.Store
	// Version is sent in alert payloads and User-Agent headers.
	Version string
	// HTTPClient delivers webhook, Slack and Teams alerts (default client).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Elector, when set, replaces the one serve builds: leader.Postgres on
	// a PostgreSQL store, leader.Single otherwise (tests).
	Elector leader.Elector
	// FollowEvery is how often an instance that does not lead reads the
	// store (default DefaultFollowEvery).
	FollowEvery time.Duration
	// Memory, when set, is told what serve holds per site every time it
	// changes (a site's size learnt, a collection or model build started
	// or ended, a model kept or dropped), in order: the CLI sets the soft
	// memory limit from it.
	Memory func(map[string]SiteMemory)
}

// runtime is everything a reload rebuilds.
type runtime struct {
	cfg   *config.Config
	sites []*siteState // config order
	byKey map[string]*siteState
}

// Server is the running daemon.
type Server struct {
	opts    Options
	log     *slog.Logger
	st      store.Store
	ownsSt  bool
	dbPath  string // the store's file when serve opened it (collection locks)
	engine  *alert.Engine
	handler http.Handler
	ln      net.Listener
	started time.Time

	rt       atomic.Pointer[runtime]
	reloadOK atomic.Bool
	reloadMu sync.Mutex // one reload at a time

	schedMu     sync.Mutex
	schedCancel context.CancelFunc
	schedDone   chan struct{}
	sched       *schedule.Scheduler
	// skipped are the skipped runs of the schedulers that were stopped (at
	// reloads), by site and job, so that the metric never goes back.
	skipped map[[2]string]int
	runCtx  context.Context

	// writeMu serialises the bulk writers of the daemon (a collection's
	// save, the log import's batches, reclaim plans): SQLite has one writer
	// and a long transaction would run the others into its busy timeout.
	// Check results do not take it: they go through checks.
	writeMu sync.Mutex
	// checks stores check results in the background (checksave.go).
	checks *checkQueue
	// collectSlots bounds the collections running at once (slots.go).
	collectSlots *slots
	// mem is what serve holds per site, for Options.Memory (memory.go).
	mem *memory

	// el elects the instance that runs the schedules and sends the alerts
	// (ha.go); leading mirrors it without a round trip, and leadCtx is the
	// current leadership's context (nil when not leading; under reloadMu).
	el      leader.Elector
	leading atomic.Bool
	leadCtx context.Context
}

// New loads the configuration, opens the store, builds the clients and the
// alert engine, and binds the listener. Nothing runs before Run.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Load == nil || opts.NewClient == nil {
		return nil, errors.New("serve: Load and NewClient are required")
	}
	s := &Server{opts: opts, log: opts.Logger, started: opts.Now()}
	cfg, sites, err := opts.Load()
	if err != nil {
		return nil, err
	}
	if len(sites) == 0 {
		return nil, errors.New("no site to watch: add sites to the config file or pass --server and --cert-dir")
	}
	if sites, err = selectSites(cfg, sites); err != nil {
		return nil, err
	}
	rt, err := s.build(cfg, sites, nil)
	if err != nil {
		return nil, err
	}
	dbPath := opts.DB
	if dbPath == "" {
		dbPath = cfg.DB
	}
	if opts.Store != nil {
		s.st = opts.Store
	} else {
		if dbPath == "" {
			if dbPath, err = store.DefaultPath(); err != nil {
				return nil, err
			}
		}
		if !store.IsPostgres(dbPath) {
			if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
				return nil, fmt.Errorf("create store folder: %w", err)
			}
		}
		if s.st, err = store.Open(ctx, dbPath, store.Options{}); err != nil {
			return nil, err
		}
		s.ownsSt = true
		s.dbPath = dbPath // collection locks: a file beside it, or an advisory lock
	}
	s.el = opts.Elector
	if s.el == nil {
		if s.el, err = s.newElector(cfg, dbPath); err != nil {
			s.closeStore()
			return nil, err
		}
	}
	// Instances sharing a PostgreSQL share the alert state, so a new
	// leader knows what was sent; one instance keeps it in a file.
	var state alert.StateStore
	statePath := cfg.Serve.AlertState
	if se, ok := s.el.(stateElector); ok {
		state, statePath = electorState{se, "alerts " + s.el.Shard()}, ""
		if cfg.Serve.AlertState != "" {
			s.log.Warn("serve.alert_state is not used: on PostgreSQL the alert state is kept in the database, where the next leader finds it")
		}
	} else if statePath == "" && dbPath != "" {
		statePath = dbPath + ".alerts.json"
	}
	ns, err := alert.Notifiers(cfg.Channels, s.notifyOptions())
	if err != nil {
		s.closeAll()
		return nil, err
	}
	s.engine, err = alert.New(alert.Options{Config: cfg.Alerts, Notifiers: ns, Retry: cfg.Channels.Retry,
		StatePath: statePath, State: state, Now: opts.Now, Logger: s.log.With("component", "alerts")})
	if err != nil {
		s.closeAll()
		return nil, err
	}
	s.rt.Store(rt)
	s.reloadOK.Store(true)
	s.checks = newCheckQueue(s.st, s.log.With("component", "checks"))
	s.collectSlots = newSlots(cfg.Serve.MaxCollections)
	s.mem = newMemory(opts.Memory)
	s.handler = s.routes()

	listen := opts.Listen
	if listen == "" {
		listen = cfg.Serve.Listen
	}
	if listen == "" {
		listen = config.DefaultListen
	}
	if err := config.CheckListen(listen); err != nil {
		s.closeAll()
		return nil, fmt.Errorf("listen: %w", err)
	}
	if s.ln, err = net.Listen("tcp", listen); err != nil {
		s.closeAll()
		return nil, fmt.Errorf("listen on %s: %w (another program uses the port? pass --listen host:port)", listen, err)
	}
	if !isLoopback(s.ln.Addr()) && !cfg.Serve.Auth.Enabled() {
		s.log.Warn("the dashboard, API and /metrics are reachable beyond this machine without authentication: set serve.auth or listen on 127.0.0.1",
			"listen", s.ln.Addr().String())
	}
	return s, nil
}

func (s *Server) notifyOptions() httppost.Options {
	return httppost.Options{Version: s.opts.Version, Client: s.opts.HTTPClient}
}

func (s *Server) closeStore() {
	if s.ownsSt && s.st != nil {
		s.st.Close()
	}
}

// closeAll closes the elector (giving up the lead) and the store.
func (s *Server) closeAll() {
	if s.el != nil {
		s.el.Close()
	}
	s.closeStore()
}

// build makes a runtime from a configuration, reusing the in-memory state of
// sites that keep their name.
func (s *Server) build(cfg *config.Config, sites []config.Site, old *runtime) (*runtime, error) {
	rt := &runtime{cfg: cfg, byKey: map[string]*siteState{}}
	var errs []error
	for _, sc := range sites {
		key := strings.ToLower(sc.Name)
		if _, dup := rt.byKey[key]; dup {
			errs = append(errs, fmt.Errorf("site %s is listed twice", sc.Name))
			continue
		}
		c, err := s.opts.NewClient(sc)
		if err != nil {
			errs = append(errs, fmt.Errorf("site %s: %w", sc.Name, err))
			continue
		}
		st := &siteState{}
		if old != nil {
			if prev := old.byKey[key]; prev != nil {
				st = prev.carry()
			}
		}
		st.cfg, st.client = sc, c
		rt.sites = append(rt.sites, st)
		rt.byKey[key] = st
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if _, _, err := cfg.Schedule.CollectTime(); err != nil {
		return nil, err
	}
	return rt, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Handler is the HTTP handler (routes, auth, cross-origin protection).
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves until ctx ends, then shuts down gracefully: the listener stops
// accepting, requests in flight finish (up to 10s), the scheduler stops and
// waits for its runs, the alert engine saves its state, the store closes.
func (s *Server) Run(ctx context.Context) error {
	// A failing listener ends the run as ctx does.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	s.runCtx = ctx
	cfg := s.rt.Load().cfg
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	serveErr := make(chan error, 1)
	go func() {
		var err error
		if cfg.Serve.TLSCertFile != "" {
			err = srv.ServeTLS(s.ln, cfg.Serve.TLSCertFile, cfg.Serve.TLSKeyFile)
		} else {
			err = srv.Serve(s.ln)
		}
		serveErr <- err
	}()

	// The check results' writer outlives the scheduler, so a result handed
	// over by the last check is still written.
	chkCtx, chkCancel := context.WithCancel(context.WithoutCancel(ctx))
	chkDone := make(chan struct{})
	go func() { s.checks.run(chkCtx); close(chkDone) }()
	// The schedules and the alert deliveries run only while this instance
	// leads (at once with one instance on SQLite); every instance serves.
	leadDone := make(chan struct{})
	go func() { s.campaign(ctx); close(leadDone) }()
	followDone := make(chan struct{})
	go func() { s.follow(ctx); close(followDone) }()
	for _, st := range s.rt.Load().sites {
		go s.warm(ctx, st)
	}
	hup := make(chan os.Signal, 1)
	if sigs := reloadSignals(); len(sigs) > 0 {
		signal.Notify(hup, sigs...)
		defer signal.Stop(hup)
	}
	s.log.Info("licmon serve started", "listen", s.ln.Addr().String(), "sites", len(s.rt.Load().sites),
		"instance", s.el.Instance(), "shard", s.el.Shard())

	var err error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-hup:
			if rerr := s.Reload(); rerr != nil {
				s.log.Error("reload failed, keeping the previous configuration", "err", rerr)
			}
		case err = <-serveErr:
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			err = fmt.Errorf("serve HTTP: %w", err)
			break loop
		}
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shutCtx); serr != nil {
		s.log.Warn("HTTP shutdown", "err", serr)
	}
	stop()
	// The leadership ends with ctx: the scheduler stops and waits for its
	// runs, the alert engine saves its state while the lock is still held.
	<-leadDone
	<-followDone
	for _, st := range s.rt.Load().sites {
		st.client.CloseIdleConnections()
	}
	chkCancel()
	<-chkDone
	s.checks.flush(checkSaveFlush)
	s.closeAll()
	return err
}

// Reload re-reads the configuration and rebuilds the clients, schedules and
// alert rules without dropping the listener. On error the previous
// configuration stays in force and licmon_config_last_reload_successful
// turns 0. The listen address, TLS files and store path need a restart.
func (s *Server) Reload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	err := s.reload()
	s.reloadOK.Store(err == nil)
	if err == nil {
		s.log.Info("configuration reloaded", "sites", len(s.rt.Load().sites))
	}
	return err
}

func (s *Server) reload() error {
	cfg, sites, err := s.opts.Load()
	if err != nil {
		return err
	}
	if len(sites) == 0 {
		return errors.New("reload: the new configuration has no site")
	}
	if sh := cfg.Serve.Sites.Shard(); sh != s.el.Shard() {
		return fmt.Errorf("reload: serve.sites changed from %s to %s: restart licmon serve to run another shard", s.el.Shard(), sh)
	}
	if sites, err = selectSites(cfg, sites); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	old := s.rt.Load()
	rt, err := s.build(cfg, sites, old)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	ns, err := alert.Notifiers(cfg.Channels, s.notifyOptions())
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	s.stopScheduler()
	s.rt.Store(rt)
	names := map[string]bool{}
	for _, st := range rt.sites {
		names[st.cfg.Name] = true
	}
	s.mem.keep(names)
	for _, st := range old.sites {
		st.client.CloseIdleConnections() // replaced by the new clients
	}
	s.engine.Reconfigure(cfg.Alerts, ns, cfg.Channels.Retry)
	if s.leadCtx != nil && s.leadCtx.Err() == nil {
		s.startScheduler(s.leadCtx)
	}
	if s.runCtx != nil {
		for _, st := range rt.sites {
			if st.needsWarm() {
				go s.warm(s.runCtx, st)
			}
		}
	}
	return nil
}

func (s *Server) startScheduler(ctx context.Context) {
	rt := s.rt.Load()
	sc := rt.cfg.Schedule
	hour, minute, _ := sc.CollectTime() // validated by build
	loc, err := sc.Location()
	if err != nil {
		loc = time.Local
	}
	var jobs []schedule.Job
	for _, st := range rt.sites {
		// A check is late against this schedule only: the first one of a
		// new schedule (start, reload, a new leadership) is not.
		st.mu.Lock()
		st.lastCheckStart = time.Time{}
		st.mu.Unlock()
		jobs = append(jobs,
			// A new leader continues the check interval from the store's
			// latest check, and collects at once only when the latest
			// collection is older than the latest collect_at slot.
			schedule.Job{Site: st.cfg.Name, Name: "check", Every: sc.CheckInterval(), Jitter: sc.CheckJitterOrDefault(),
				Timeout: sc.CheckTimeoutOrDefault(), RunAtStart: true,
				Last: func(ctx context.Context) time.Time { return s.lastCheck(ctx, st.cfg.Name) },
				Run:  func(ctx context.Context) error { return s.runCheck(ctx, rt, st) }},
			schedule.Job{Site: st.cfg.Name, Name: "collect", Hour: hour, Minute: minute, Location: loc,
				Jitter: sc.CollectJitterOrDefault(), Timeout: sc.CollectTimeoutOrDefault(),
				CatchUp: func(ctx context.Context, now time.Time) bool {
					return s.collectMissed(ctx, st.cfg.Name, schedule.PrevDaily(now, hour, minute, loc))
				},
				Run: func(ctx context.Context) error { return s.runCollect(ctx, rt, st) }})
		if reclaimScheduled(rt.cfg, st.cfg.Name) {
			rh, rm, _ := config.ParseClock(rt.cfg.Reclaim.Schedule.At)
			jobs = append(jobs, schedule.Job{Site: st.cfg.Name, Name: "reclaim", Hour: rh, Minute: rm, Location: loc,
				Timeout: sc.CollectTimeoutOrDefault(), Run: func(ctx context.Context) error { return s.runReclaim(ctx, rt, st) }})
		}
		if len(st.cfg.Logs) > 0 {
			// No jitter: the import reads files, not the QRS.
			jobs = append(jobs, schedule.Job{Site: st.cfg.Name, Name: "logs", Every: sc.LogsInterval(),
				RunAtStart: true, Run: func(ctx context.Context) error { return s.runLogs(ctx, st) }})
		}
	}
	s.runScheduler(ctx, schedule.New(jobs, schedule.Options{Now: s.opts.Now, Logger: s.log.With("component", "schedule")}))
}

// runScheduler runs sched until stopScheduler.
func (s *Server) runScheduler(ctx context.Context, sched *schedule.Scheduler) {
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { sched.Run(sctx); close(done) }()
	s.schedMu.Lock()
	s.schedCancel, s.schedDone, s.sched = cancel, done, sched
	s.schedMu.Unlock()
}

func (s *Server) stopScheduler() {
	s.schedMu.Lock()
	cancel, done, sched := s.schedCancel, s.schedDone, s.sched
	s.schedCancel, s.schedDone = nil, nil
	s.schedMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	if sched != nil {
		s.schedMu.Lock()
		if s.skipped == nil {
			s.skipped = map[[2]string]int{}
		}
		for _, st := range sched.Stats() {
			s.skipped[[2]string{st.Site, st.Name}] += st.Skipped
		}
		if s.sched == sched {
			s.sched = nil
		}
		s.schedMu.Unlock()
	}
}

// scheduleJobs are the scheduled jobs of site with their skipped runs since
// serve started, for /metrics.
func (s *Server) scheduleJobs(site string) []metrics.Job {
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	var out []metrics.Job
	if s.sched != nil {
		for _, st := range s.sched.Stats() {
			if st.Site == site {
				out = append(out, metrics.Job{Name: st.Name, Skipped: st.Skipped + s.skipped[[2]string{st.Site, st.Name}]})
			}
		}
	}
	return out
}

// collectMissed reports whether the daily collection of the latest slot
// (collect_at today, or yesterday before it) was missed: the store has no
// collection since it. It was not missed when an earlier leader, or this
// instance before a restart, made it: it is not run twice.
func (s *Server) collectMissed(ctx context.Context, site string, slot time.Time) bool {
	last, err := s.st.LatestSnapshotTime(ctx, site)
	if err != nil {
		s.log.Warn("read the latest collection time", "site", site, "err", err)
		return true
	}
	return last.IsZero() || last.Before(slot)
}

// Ready reports whether every site had its first check, or the ready
// timeout passed.
func (s *Server) Ready() bool {
	rt := s.rt.Load()
	timeout := time.Duration(rt.cfg.Serve.ReadyTimeout)
	if timeout <= 0 {
		timeout = config.DefaultReadyTimeout
	}
	if s.opts.Now().Sub(s.started) >= timeout {
		return true
	}
	for _, st := range rt.sites {
		if st.latestCheck() == nil {
			return false
		}
	}
	return true
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

var _ web.Backend = (*backend)(nil)
