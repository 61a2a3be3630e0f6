package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/leader"
	"github.com/licmon/licmon/internal/metrics"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/store"
)

// DefaultFollowEvery is how often an instance that does not lead reads
// the leader's latest checks, collections and alerts from the store.
const DefaultFollowEvery = 30 * time.Second

// selectSites applies serve.sites: the shard of the fleet this instance runs.
func selectSites(cfg *config.Config, sites []config.Site) ([]config.Site, error) {
	sel := cfg.Serve.Sites.Select(sites)
	if len(sel) == 0 {
		names := make([]string, len(sites))
		for i, s := range sites {
			names[i] = s.Name
		}
		return nil, fmt.Errorf("serve.sites (%s) selects none of the sites (%s): check its names and labels", cfg.Serve.Sites.Shard(), strings.Join(names, ", "))
	}
	return sel, nil
}

// newElector returns the elector of this instance: on PostgreSQL an
// advisory lock per shard, otherwise (SQLite, one machine) always leading.
func (s *Server) newElector(cfg *config.Config, db string) (leader.Elector, error) {
	instance := cfg.Serve.Instance
	if instance == "" {
		instance = leader.DefaultInstance()
	}
	shard := cfg.Serve.Sites.Shard()
	if !store.IsPostgres(db) {
		return leader.NewSingle(instance, shard), nil
	}
	// The store's own parsing: db_password_file, PGPASSWORD, a passfile.
	pc, err := store.PostgresConfig(db)
	if err != nil {
		return nil, err
	}
	return leader.NewPostgres(leader.PostgresOptions{Config: pc, Shard: shard, Instance: instance,
		Poll: cfg.Serve.LeaderPollOrDefault(), Logger: s.log})
}

// stateElector is an elector that keeps shared state (leader.Postgres).
type stateElector interface {
	LoadState(ctx context.Context, name string) ([]byte, error)
	SaveState(ctx context.Context, name string, value []byte) error
}

// electorState adapts a stateElector to alert.StateStore.
type electorState struct {
	el   stateElector
	name string
}

func (e electorState) Load(ctx context.Context) ([]byte, error) { return e.el.LoadState(ctx, e.name) }

// Save drops the write of an instance that no longer leads: the state is
// its successor's now, and its final save at the handover is no error.
func (e electorState) Save(ctx context.Context, b []byte) error {
	if err := e.el.SaveState(ctx, e.name, b); err != nil && !errors.Is(err, leader.ErrNotLeader) {
		return err
	}
	return nil
}

// campaign runs for the server's life: it waits to lead, does the leader's
// work while it leads, and campaigns again when leadership is lost.
func (s *Server) campaign(ctx context.Context) {
	for {
		lctx, err := s.el.Campaign(ctx)
		if err != nil {
			return // ctx ended
		}
		s.lead(lctx)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("no longer the leader: schedules stopped, following the new leader from the store",
			"instance", s.el.Instance(), "shard", s.el.Shard())
	}
}

// lead runs the schedules and the alert deliveries until lctx ends.
func (s *Server) lead(lctx context.Context) {
	s.log.Info("leading: running the schedules and sending the alerts", "instance", s.el.Instance(), "shard", s.el.Shard())
	// Take over what the predecessor stored: its alert deliveries, its
	// latest checks and collections (the schedules continue from those).
	if err := s.engine.Reload(); err != nil {
		s.log.Warn("take over the alert state: alerts already sent may be sent again", "err", err)
	}
	for _, st := range s.rt.Load().sites {
		if !st.needsWarm() { // else warm, running, reads it
			s.refresh(lctx, st, false)
		}
	}
	// Deliveries outlive the leadership by as long as the last runs take
	// to stop, so their alerts still go out; then they end.
	ectx, ecancel := context.WithCancel(context.WithoutCancel(lctx))
	waitEngine := s.engine.Start(ectx)
	s.leading.Store(true)
	s.reloadMu.Lock()
	s.leadCtx = lctx
	s.startScheduler(lctx)
	rt := s.rt.Load()
	s.reloadMu.Unlock()
	// Resend what is due and retry what failed, without waiting for the
	// next check; nothing is sent twice: the state says what was delivered.
	for _, st := range rt.sites {
		s.evaluate(rt, st)
	}
	<-lctx.Done()
	s.leading.Store(false)
	s.reloadMu.Lock()
	s.leadCtx = nil
	s.stopScheduler()
	s.reloadMu.Unlock()
	ecancel()
	waitEngine()
}

// follow keeps an instance that does not lead up to date with the store,
// so its dashboard, API and /metrics show what the leader found.
func (s *Server) follow(ctx context.Context) {
	every := s.opts.FollowEvery
	if every <= 0 {
		every = DefaultFollowEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.leading.Load() {
			continue
		}
		for _, st := range s.rt.Load().sites {
			if ctx.Err() != nil || s.leading.Load() {
				break
			}
			s.refresh(ctx, st, true)
		}
		if err := s.engine.Reload(); err != nil && ctx.Err() == nil {
			s.log.Warn("read the leader's alert state", "err", err)
		}
	}
}

// refresh reads what the store holds that is newer than this instance's
// memory: the site's latest check and collection (then its report model),
// and with logs, the log figures of /metrics.
func (s *Server) refresh(ctx context.Context, st *siteState, logs bool) {
	st.refreshMu.Lock()
	defer st.refreshMu.Unlock()
	s.loadCheck(ctx, st)
	last, err := s.st.LatestSnapshotTime(ctx, st.cfg.Name)
	if err != nil {
		if !errors.Is(err, store.ErrUnknownSite) && ctx.Err() == nil {
			s.log.Warn("read the latest collection time", "site", st.cfg.Name, "err", err)
		}
		return
	}
	st.mu.Lock()
	newer := !last.IsZero() && st.lastCollect.Before(last)
	st.mu.Unlock()
	if newer {
		counters, err := s.st.CountersAt(ctx, st.cfg.Name, last)
		if err != nil {
			s.log.Warn("read the latest counters", "site", st.cfg.Name, "err", err)
			return
		}
		// The counters and the report model of a collection show together:
		// /metrics and the API never disagree.
		var r *report.Report
		if release, _, err := s.work(ctx, st, false); err == nil {
			r = s.buildReport(ctx, st)
			release()
		}
		st.mu.Lock()
		st.counters, st.lastCollect = counters, last
		if r != nil {
			st.report = r
			defer s.memModel(st, true)
		}
		// The store keeps no duration of a collection it holds.
		st.collectRun, st.collectErr = &metrics.Run{Success: true, NoDuration: true}, ""
		st.mu.Unlock()
	}
	if logs && len(st.cfg.Logs) > 0 {
		l := &metrics.Logs{}
		s.logsDay(ctx, st.cfg.Name, l)
		st.mu.Lock()
		if st.logs != nil {
			l.Import = st.logs.Import
		}
		st.logs = l
		st.mu.Unlock()
	}
}

// loadCheck takes the site's latest stored check when it is newer than the
// one in memory (this instance's own, or one read before).
func (s *Server) loadCheck(ctx context.Context, st *siteState) {
	rows, err := s.st.Checks(ctx, st.cfg.Name, 1)
	if err != nil || len(rows) == 0 {
		if err != nil && !errors.Is(err, store.ErrUnknownSite) && ctx.Err() == nil {
			s.log.Warn("read the latest check", "site", st.cfg.Name, "err", err)
		}
		return
	}
	if cur := st.latestCheck(); cur != nil && !rows[0].At.After(cur.CheckedAt.Truncate(time.Second)) {
		return
	}
	// runCheck stores check.WriteJSON of one report: the report itself.
	r := new(check.Report)
	if err := json.Unmarshal(rows[0].JSON, r); err != nil {
		s.log.Warn("the stored check is unreadable", "site", st.cfg.Name, "at", rows[0].At, "err", err)
		return
	}
	r.Took = time.Duration(r.TookMS) * time.Millisecond
	st.mu.Lock()
	st.check = r
	st.checkRun = &metrics.Run{Success: reachable(r), Duration: r.Took}
	st.mu.Unlock()
}

// reachable reports whether a check could query the QRS.
func reachable(r *check.Report) bool {
	for _, f := range r.Findings {
		if f.Code == "qrs-unreachable" {
			return false
		}
	}
	return true
}

// lastCheck is the time of the site's latest stored check (zero: none), from
// which a new leader continues the check interval.
func (s *Server) lastCheck(ctx context.Context, site string) time.Time {
	rows, err := s.st.Checks(ctx, site, 1)
	if err != nil || len(rows) == 0 {
		return time.Time{}
	}
	return rows[0].At
}

// Leader implements metrics.Leadership.
func (m metricsSource) Leader() (instance, shard string, leading bool) {
	return m.s.el.Instance(), m.s.el.Shard(), m.s.leading.Load()
}

var _ metrics.Leadership = metricsSource{}
