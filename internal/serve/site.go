package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
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
	// lastCheckStart is when the latest check of the current schedule
	// started (zero: none yet); lateChecks counts the checks found late.
	lastCheckStart time.Time
	lateChecks     int64
}

// carry copies the observations of a site across a reload. The start of
// the latest check is not carried: lateness is judged against one schedule
// (startScheduler resets it too).
func (s *siteState) carry() *siteState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &siteState{check: s.check, checkRun: s.checkRun, collectRun: s.collectRun, lastCollect: s.lastCollect,
		collectErr: s.collectErr, counters: s.counters, report: s.report, warmed: s.warmed, logs: s.logs,
		lateChecks: s.lateChecks}
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

// runCheck checks a site, evaluates the alerts on the result at once and
// hands the result to the background writer: the check never waits for the
// store, whose one writer a long collection may hold.
func (s *Server) runCheck(ctx context.Context, rt *runtime, st *siteState) error {
	start := s.opts.Now()
	st.mu.Lock()
	prev := st.lastCheckStart
	st.lastCheckStart = start
	st.mu.Unlock()
	// The check's own deadline ends before the job's timeout, so a QRS too
	// slow to answer is recorded as UNKNOWN with the reason, not dropped.
	cctx, cancel := inspect.WithDeadline(ctx, st.cfg.Name, time.Duration(st.cfg.Timeout), false)
	r := inspect.Run(cctx, st.client, s.checkOptions(rt.cfg, st.cfg))
	cancel()
	if ctx.Err() != nil {
		return ctx.Err() // stopped (shutdown, reload): do not record a half check
	}
	sc := rt.cfg.Schedule
	late := lateFinding(prev, start, s.opts.Now().Sub(start), sc.CheckInterval(), sc.CheckJitterOrDefault())
	if late != nil {
		// An OK finding: it is about licmon's schedule, not the License
		// Monitor, so the site's status stays the License Monitor's.
		r.Findings = append(r.Findings, *late)
		s.log.Warn("late check", "site", st.cfg.Name, "why", strings.Join(late.Evidence, "; "))
	}
	var buf bytes.Buffer
	if err := check.WriteJSON(&buf, []*check.Report{r}); err != nil {
		return fmt.Errorf("encode check of %s: %w", st.cfg.Name, err)
	}
	s.checks.add(store.CheckResult{Site: st.cfg.Name, At: r.CheckedAt, Status: r.Status.String(),
		ExitCode: int(r.Status), JSON: buf.Bytes()})
	reachable := true
	for _, f := range r.Findings {
		if f.Code == "qrs-unreachable" {
			reachable = false
		}
	}
	st.mu.Lock()
	st.check = r
	st.checkRun = &metrics.Run{Success: reachable, Duration: r.Took}
	if late != nil {
		st.lateChecks++
	}
	st.mu.Unlock()
	s.evaluate(rt, st)
	return nil
}

// lateFinding says when a check started later than its schedule allows
// (a scheduled check did not run: the previous one was still going when it
// was due, or licmon was paused) or ran so long that the next one may be
// skipped; nil when it was on time. prev is the previous check's start
// (zero: none since serve started).
func lateFinding(prev, start time.Time, took, every, jitter time.Duration) *check.Finding {
	// The scheduler's timers are not exact on a loaded machine.
	grace := max(2*time.Second, every/20)
	var ev []string
	title := ""
	if !prev.IsZero() {
		if gap := start.Sub(prev); gap > every+jitter+grace {
			title = fmt.Sprintf("licmon's check of this site ran %s late", (gap - every).Round(time.Second))
			ev = append(ev, fmt.Sprintf("started %s after the previous check, which is more than the check interval (%s) and its jitter (up to %s): at least one scheduled check did not run",
				gap.Round(time.Second), every, jitter))
		}
	}
	if took > every-jitter {
		if title == "" {
			title = fmt.Sprintf("licmon's check of this site took %s, about as long as the check interval", took.Round(time.Second))
		}
		ev = append(ev, fmt.Sprintf("took %s, more than the check interval (%s) less its jitter (%s): the next check may be due while this one still runs, and is then skipped",
			took.Round(time.Second), every, jitter))
	}
	if len(ev) == 0 {
		return nil
	}
	return &check.Finding{Code: "check-late", Severity: check.OK, Title: title, Evidence: ev,
		Hint: "this is about licmon's schedule, not the License Monitor: a slow QRS or an overloaded machine; if it recurs, raise schedule.check_every (licmon's log says \"previous run still going\" for each check skipped)"}
}

// runCollect collects a site in one of the collection slots, refreshes its
// counters and then its report model, also in a slot, and evaluates the
// alerts after each.
func (s *Server) runCollect(ctx context.Context, rt *runtime, st *siteState) error {
	release, waited, err := s.work(ctx, st, true)
	if err != nil {
		return slotWaitError(st.cfg.Name, waited, cap(s.collectSlots.ch), err)
	}
	defer release()
	if waited > time.Second {
		s.log.Info("collection starts after waiting for another site's", "site", st.cfg.Name, "waited", waited.Round(time.Second))
	}
	start := time.Now()
	res, err := s.collectLocked(ctx, st)
	took := time.Since(start)
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
	users := len(res.Snapshot.Users)
	if res.Snapshot.UsersPartial {
		users = res.Snapshot.UserCount
	}
	s.memSize(st, users+len(res.Snapshot.Allocations))
	res = nil // drop the per-user snapshot now: it is in the store
	st.mu.Lock()
	st.collectRun = &metrics.Run{Success: true, Duration: took}
	st.collectErr = ""
	st.lastCollect = at
	st.counters = counters
	st.mu.Unlock()
	s.evaluate(rt, st) // the new counters (available seats) at once
	if n := s.collectSlots.collectionsWaiting(); n > 0 {
		// A report model of a large site is tens of megabytes, and it
		// would stay in memory while the next site collects: build it
		// after the collections that wait (the slots serve in order).
		release()
		s.log.Info("report model rebuilt after the collections waiting", "site", st.cfg.Name, "collections_waiting", n)
		release, _, err = s.work(ctx, st, false)
		if err != nil {
			s.log.Warn("report model not rebuilt: the collection job ended while other sites collected; it is rebuilt after the next collection",
				"site", st.cfg.Name, "err", err)
			return nil
		}
		defer release()
	}
	s.refreshReport(ctx, st)
	release()
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
	return collect.RunWith(ctx, st.client, writeLocked{Store: s.st, mu: &s.writeMu}, st.cfg.Name, s.opts.Now(),
		collect.Options{Size: func(users, allocations int) { s.memSize(st, users+allocations) }})
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
		// Building the model of a large site costs as much memory as a
		// collection: it takes a collection slot.
		if release, _, err := s.work(ctx, st, false); err == nil {
			s.refreshReport(ctx, st)
			release()
		}
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
		s.memModel(st, true)
	}
}

// buildReport builds the report model from the store; nil when it cannot.
// The caller holds a collection slot: a large site's model costs as much
// memory as a collection.
func (s *Server) buildReport(ctx context.Context, st *siteState) *report.Report {
	start := time.Now()
	r, err := report.Build(ctx, s.st, st.cfg.Name, report.Options{NoBacktest: true})
	if err != nil {
		if !errors.Is(err, store.ErrUnknownSite) {
			s.log.Warn("build the report model", "site", st.cfg.Name, "err", err)
		}
		return nil
	}
	s.log.Info("report model built", "site", st.cfg.Name, "took", time.Since(start).Round(time.Millisecond))
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
	m := metrics.Site{Name: st.cfg.Name, Counters: st.counters, Check: st.checkRun, Collect: st.collectRun, LastCollect: st.lastCollect, Logs: st.logs,
		Checks: &metrics.Checks{Late: st.lateChecks}}
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
