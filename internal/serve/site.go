package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/alert/rules"
	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/check/inspect"
	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/metrics"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/store"
)

// siteState is what the daemon knows about one site. Only small things are
// kept: the latest check report, the counters and the report model; a
// collection's per-user snapshot is dropped as soon as it is stored.
type siteState struct {
	cfg    config.Site
	client Client
	// refreshMu makes reads of the store's newer state one at a time, so a
	// new collection's report model is built once.
	refreshMu sync.Mutex

	mu          sync.Mutex
	check       *check.Report
	checkRun    *metrics.Run
	collectRun  *metrics.Run
	lastCollect time.Time
	collectErr  string
	counters    []license.Counters
	report      *report.Report
	warmed      bool
	logs        *metrics.Logs // the scheduled log import; nil without logs folders
}

// carry copies the observations of a site across a reload.
func (s *siteState) carry() *siteState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &siteState{check: s.check, checkRun: s.checkRun, collectRun: s.collectRun, lastCollect: s.lastCollect,
		collectErr: s.collectErr, counters: s.counters, report: s.report, warmed: s.warmed, logs: s.logs}
}

func (s *siteState) latestCheck() *check.Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.check
}

func (s *siteState) needsWarm() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.warmed
}

func (s *Server) checkOptions(cfg *config.Config, sc config.Site) inspect.Options {
	head, tail := cfg.Alerts.LogLines()
	return inspect.Options{Site: sc.Name, Server: sc.DisplayServer(), Task: cfg.TaskFor(&sc),
		AllMonitoringApps: cfg.Check.AllMonitoringApps, MaxAge: time.Duration(cfg.Check.MaxAge),
		SaveLogs: cfg.Check.SaveLogs, SaveLogsPerSite: true, LicenseWarnDays: cfg.Check.LicenseWarnDays,
		LogHeadLines: head, LogTailLines: tail, Now: s.opts.Now}
}

// runCheck checks a site, stores the result and evaluates the alerts.
func (s *Server) runCheck(ctx context.Context, rt *runtime, st *siteState) error {
	// The check's own deadline ends before the job's timeout, so a QRS too
	// slow to answer is recorded as UNKNOWN with the reason, not dropped.
	cctx, cancel := inspect.WithDeadline(ctx, st.cfg.Name, time.Duration(st.cfg.Timeout), false)
	r := inspect.Run(cctx, st.client, s.checkOptions(rt.cfg, st.cfg))
	cancel()
	if ctx.Err() != nil {
		return ctx.Err() // stopped (shutdown, reload): do not record a half check
	}
	var buf bytes.Buffer
	if err := check.WriteJSON(&buf, []*check.Report{r}); err != nil {
		return fmt.Errorf("encode check of %s: %w", st.cfg.Name, err)
	}
	s.writeMu.Lock()
	_, serr := s.st.SaveCheck(ctx, store.CheckResult{Site: st.cfg.Name, At: r.CheckedAt, Status: r.Status.String(),
		ExitCode: int(r.Status), JSON: buf.Bytes()})
	s.writeMu.Unlock()
	if serr != nil {
		s.log.Warn("store the check", "site", st.cfg.Name, "err", serr)
	}
	reachable := true
	for _, f := range r.Findings {
		if f.Code == "qrs-unreachable" {
			reachable = false
		}
	}
	st.mu.Lock()
	st.check = r
	st.checkRun = &metrics.Run{Success: reachable, Duration: r.Took}
	st.mu.Unlock()
	s.evaluate(rt, st)
	return serr
}

// runCollect collects a site, refreshes its counters and report model, and
// evaluates the alerts.
func (s *Server) runCollect(ctx context.Context, rt *runtime, st *siteState) error {
	s.writeMu.Lock()
	start := time.Now()
	res, err := s.collectLocked(ctx, st)
	took := time.Since(start)
	s.writeMu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		st.mu.Lock()
		st.collectRun = &metrics.Run{Success: false, Duration: took}
		st.collectErr = err.Error()
		st.mu.Unlock()
		return err
	}
	counters := res.Snapshot.Counters
	at := res.Snapshot.At
	res = nil // drop the per-user snapshot now: it is in the store
	st.mu.Lock()
	st.collectRun = &metrics.Run{Success: true, Duration: took}
	st.collectErr = ""
	st.lastCollect = at
	st.counters = counters
	st.mu.Unlock()
	s.refreshReport(ctx, st)
	s.evaluate(rt, st)
	return nil
}

// collectLocked runs the collection under the store's collection lock of
// the site, so a `licmon collect` of the same site started meanwhile stops
// with a clear message (and this one does if the CLI's runs).
func (s *Server) collectLocked(ctx context.Context, st *siteState) (*collect.Result, error) {
	if s.dbPath != "" {
		unlock, err := store.LockCollect(s.dbPath, st.cfg.Name)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	return collect.Run(ctx, st.client, s.st, st.cfg.Name, s.opts.Now())
}

// warm loads what the store already knows about a site at start, so that
// /metrics and the dashboard show licenses (and, from another instance or
// an earlier run, the latest check) before the next run.
func (s *Server) warm(ctx context.Context, st *siteState) {
	st.mu.Lock()
	st.warmed = true
	st.mu.Unlock()
	s.refresh(ctx, st, false)
	st.mu.Lock()
	cold := st.report == nil && !st.lastCollect.IsZero()
	st.mu.Unlock()
	if cold {
		s.refreshReport(ctx, st)
	}
	s.evaluate(s.rt.Load(), st)
}

// refreshReport rebuilds the cached report model (growth, forecasts,
// candidates) from the store. It runs after each collection only, so page
// views never pay for it.
func (s *Server) refreshReport(ctx context.Context, st *siteState) {
	if r := s.buildReport(ctx, st); r != nil {
		st.mu.Lock()
		st.report = r
		st.mu.Unlock()
	}
}

// buildReport builds the report model from the store; nil when it cannot.
func (s *Server) buildReport(ctx context.Context, st *siteState) *report.Report {
	r, err := report.Build(ctx, s.st, st.cfg.Name, report.Options{NoBacktest: true})
	if err != nil {
		if !errors.Is(err, store.ErrUnknownSite) {
			s.log.Warn("build the report model", "site", st.cfg.Name, "err", err)
		}
		return nil
	}
	return r
}

// runOut turns the report's forecasts into the forecast results the alert
// rules read.
func runOut(r *report.Report) map[license.Type]forecast.Result {
	if r == nil {
		return nil
	}
	out := map[license.Type]forecast.Result{}
	for _, t := range r.Types {
		f := t.Forecast
		daysLeft, prob := -1, 0.0
		if f.DaysLeft != nil {
			daysLeft = *f.DaysLeft
		}
		if f.Probability != nil {
			prob = *f.Probability
		}
		out[t.Type] = forecast.Result{Status: forecast.Status(f.Status), Date: f.Date, Earliest: f.Earliest, Latest: f.Latest,
			DaysLeft: daysLeft, Probability: prob, Current: float64(t.Allocated), Capacity: float64(t.Licensed),
			Slope30: deref(t.Growth30PerMonth), Slope90: deref(t.Growth90PerMonth), Method: f.Method, Reason: f.Reason}
	}
	return out
}

// deref reads an unknown growth as none for the alert rules, which only
// look at it next to a known forecast.
func deref(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

// evaluate runs the alert rules on the site's latest state. Only the
// leader evaluates: alerts are sent once whatever the number of instances.
func (s *Server) evaluate(rt *runtime, st *siteState) {
	if !s.leading.Load() {
		return
	}
	st.mu.Lock()
	in := rules.Input{Site: st.cfg.Name, Now: s.opts.Now(), Check: st.check, Counters: st.counters,
		RunOut: runOut(st.report), ExternalURL: rt.cfg.Serve.ExternalURL}
	if st.report != nil && st.report.License != nil && st.report.License.ValidTo != nil {
		in.LicenseEnd = *st.report.License.ValidTo
	}
	st.mu.Unlock()
	s.engine.Update(st.cfg.Name, rules.Evaluate(in, s.engine.Config().RulesConfig()))
}

// metricsSite is the scrape-time view of a site.
func (st *siteState) metricsSite() metrics.Site {
	st.mu.Lock()
	defer st.mu.Unlock()
	m := metrics.Site{Name: st.cfg.Name, Counters: st.counters, Check: st.checkRun, Collect: st.collectRun, LastCollect: st.lastCollect, Logs: st.logs}
	if m.Counters == nil && st.check != nil {
		m.Counters = countersFromCheck(st.check.License)
	}
	if r := st.report; r != nil {
		m.RunOutDays = map[license.Type]float64{}
		for _, t := range r.Types {
			if t.Forecast.DaysLeft != nil && (t.Forecast.Status == string(forecast.StatusRunsOut) || t.Forecast.Status == string(forecast.StatusAlreadyExceeded)) {
				m.RunOutDays[t.Type] = float64(*t.Forecast.DaysLeft)
			}
		}
		for _, u := range r.UnmetDemand.Types {
			for _, src := range u.Sources {
				mu := metrics.Unmet{Type: u.Type, Source: src.Source, Denials: src.Denials}
				if u.Source != nil && *u.Source == src.Source {
					mu.Waiting = u.Waiting
				}
				m.Unmet = append(m.Unmet, mu)
			}
		}
	}
	if c := st.check; c != nil {
		tasks := []*check.TaskInfo{c.Task}
		for _, a := range c.Apps {
			if a.Task != nil && a.Task != c.Task {
				tasks = append(tasks, a.Task)
			}
		}
		for _, t := range tasks {
			if t == nil || t.Name == "" {
				continue
			}
			mt := metrics.Task{Name: t.Name, LastSuccess: t.LastSuccess}
			if t.Last != nil {
				mt.Status = t.Last.StatusID
			}
			m.Tasks = append(m.Tasks, mt)
		}
	}
	return m
}

// countersFromCheck gives the licenses of a site that was checked but never
// collected, from the access-type overview the check reads.
func countersFromCheck(l *check.LicenseInfo) []license.Counters {
	if l == nil {
		return nil
	}
	var out []license.Counters
	add := func(t license.Type, s *check.Seats, used bool) {
		if s == nil {
			return
		}
		c := license.Counters{Type: t, Enabled: true, Total: s.Total, Allocated: s.Allocated, Available: s.Available}
		if used {
			c.Allocated, c.Used = 0, s.Allocated
		}
		out = append(out, c)
	}
	add(license.Professional, l.Professional, false)
	add(license.Analyzer, l.Analyzer, false)
	add(license.AnalyzerCapacity, l.CapacityMins, true)
	return out
}
