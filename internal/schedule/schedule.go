// Package schedule runs the recurring jobs of `licmon serve`: a check of
// every site every few minutes and a daily collection, each with jitter so
// that sites are not all hit in the same second, never two runs of the same
// job at once (a run still going when the next is due is skipped and
// counted in Stats, which serve exports as licmon_schedule_skipped_total),
// and a catch-up run at start when the daily job was missed while
// licmon was down.
//
// It uses the time package's timers, so tests drive it with testing/synctest
// on a fake clock; the wall clock used to compute daily times is injectable.
package schedule

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Job is one recurring piece of work for one site.
type Job struct {
	// Site and Name identify the job ("prod", "check"); one job per
	// site+name never runs twice at the same time.
	Site, Name string
	// Every > 0 makes an interval job. Otherwise the job runs daily at
	// Hour:Minute in Location (default time.Local).
	Every        time.Duration
	Hour, Minute int
	Location     *time.Location
	// Jitter delays every run by a random duration in [0, Jitter).
	Jitter time.Duration
	// Timeout bounds one run (0: none beyond the scheduler's context).
	Timeout time.Duration
	// RunAtStart runs an interval job once at start (after its jitter)
	// instead of waiting a full interval.
	RunAtStart bool
	// Last, for an interval job, returns when the job last ran according
	// to something that outlives this scheduler (the store): the first run
	// is then due one interval after it, or at start (RunAtStart) when that
	// has passed. A serve instance that takes the lead so neither repeats
	// nor skips its predecessor's runs.
	Last func(ctx context.Context) time.Time
	// CatchUp, for a daily job, is asked at start whether a run was missed
	// (e.g. the last collection in the store is older than a day); if so the
	// job runs at once.
	CatchUp func(ctx context.Context, now time.Time) bool
	// Run does the work. Its context ends at the timeout or when the
	// scheduler stops.
	Run func(ctx context.Context) error
}

// Options tune a Scheduler.
type Options struct {
	// Now is the wall clock for daily times (default time.Now).
	Now func() time.Time
	// Jitter returns a random duration in [0, max) (default math/rand/v2).
	Jitter func(max time.Duration) time.Duration
	// Logger receives one line per skipped or failed run.
	Logger *slog.Logger
}

// Stats describe one job for status pages and metrics.
type Stats struct {
	Site, Name string
	// Runs counts started runs, Failures those that returned an error,
	// Skipped the runs not started because the previous one was still going.
	Runs, Failures, Skipped int
	Running                 bool
	LastStart, LastEnd      time.Time
	LastDuration            time.Duration
	LastErr                 string
	// Next is when the job is due next (zero once stopped).
	Next time.Time
}

// Scheduler runs jobs until its context ends.
type Scheduler struct {
	jobs []Job
	opts Options

	mu    sync.Mutex
	stats []Stats
	wg    sync.WaitGroup // running job runs
}

// New returns a scheduler for jobs; nothing runs before Run.
func New(jobs []Job, opts Options) *Scheduler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Jitter == nil {
		opts.Jitter = func(max time.Duration) time.Duration {
			if max <= 0 {
				return 0
			}
			return rand.N(max)
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{jobs: jobs, opts: opts, stats: make([]Stats, len(jobs))}
	for i, j := range jobs {
		s.stats[i] = Stats{Site: j.Site, Name: j.Name}
	}
	return s
}

// Run starts every job and blocks until ctx ends and every run in progress
// has returned (runs see their context cancelled), so a stopped scheduler
// leaves nothing behind.
func (s *Scheduler) Run(ctx context.Context) {
	var loops sync.WaitGroup
	for i := range s.jobs {
		loops.Add(1)
		go func() {
			defer loops.Done()
			s.loop(ctx, i)
		}()
	}
	loops.Wait()
	s.wg.Wait()
}

// Stats returns a copy of every job's statistics, in job order.
func (s *Scheduler) Stats() []Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Stats(nil), s.stats...)
}

func (s *Scheduler) jitter(j *Job) time.Duration {
	if j.Jitter <= 0 {
		return 0
	}
	d := s.opts.Jitter(j.Jitter)
	return min(max(d, 0), j.Jitter-1)
}

func (s *Scheduler) loop(ctx context.Context, i int) {
	j := &s.jobs[i]
	start := s.opts.Now()
	var due time.Time
	var last time.Time
	if j.Every > 0 && j.Last != nil {
		last = j.Last(ctx)
	}
	switch {
	case j.Every > 0 && !last.IsZero() && last.Add(j.Every).After(start):
		due = last.Add(j.Every + s.jitter(j))
	case j.Every > 0 && j.RunAtStart:
		due = start.Add(s.jitter(j))
	case j.Every > 0:
		due = start.Add(j.Every + s.jitter(j))
	case j.CatchUp != nil && j.CatchUp(ctx, start):
		s.opts.Logger.Info("catching up a missed run", "site", j.Site, "job", j.Name)
		due = start
	default:
		due = NextDaily(start, j.Hour, j.Minute, j.Location).Add(s.jitter(j))
	}
	// base is the unjittered slot of an interval job, so jitter never
	// accumulates into drift.
	base := start
	switch {
	case j.Every > 0 && !last.IsZero() && last.Add(j.Every).After(start):
		base = last.Add(j.Every)
	case j.Every > 0 && !j.RunAtStart:
		base = start.Add(j.Every)
	}
	for {
		s.setNext(i, due)
		if !sleepUntil(ctx, s.opts.Now, due) {
			s.setNext(i, time.Time{})
			return
		}
		s.fire(ctx, i)
		now := s.opts.Now()
		if j.Every > 0 {
			base = base.Add(j.Every)
			// After a long pause (a suspended VM) skip the missed slots
			// instead of firing them all at once.
			for base.Before(now) {
				base = base.Add(j.Every)
			}
			due = base.Add(s.jitter(j))
		} else {
			due = NextDaily(now, j.Hour, j.Minute, j.Location).Add(s.jitter(j))
		}
	}
}

// sleepUntil waits until the clock reaches t; false when ctx ended first.
func sleepUntil(ctx context.Context, now func() time.Time, t time.Time) bool {
	d := t.Sub(now())
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

// fire starts a run unless the previous one is still going.
func (s *Scheduler) fire(ctx context.Context, i int) {
	j := &s.jobs[i]
	s.mu.Lock()
	st := &s.stats[i]
	if st.Running {
		st.Skipped++
		s.mu.Unlock()
		s.opts.Logger.Warn("previous run still going: skipped this one", "site", j.Site, "job", j.Name, "running_since", st.LastStart)
		return
	}
	st.Running = true
	st.Runs++
	begin := s.opts.Now()
	st.LastStart = begin
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if j.Timeout > 0 {
			rctx, cancel = context.WithTimeout(ctx, j.Timeout)
		}
		err := safeRun(rctx, j.Run)
		cancel()
		end := s.opts.Now()
		s.mu.Lock()
		st := &s.stats[i]
		st.Running = false
		st.LastEnd = end
		st.LastDuration = end.Sub(begin)
		st.LastErr = ""
		if err != nil {
			st.Failures++
			st.LastErr = err.Error()
		}
		s.mu.Unlock()
		if err != nil {
			s.opts.Logger.Warn("run failed", "site", j.Site, "job", j.Name, "err", err)
		}
	}()
}

// safeRun turns a panic in a job into an error: one broken run must not
// take the daemon down.
func safeRun(ctx context.Context, run func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError{r}
		}
	}()
	return run(ctx)
}

type panicError struct{ v any }

func (p panicError) Error() string { return "job panicked: " + fmtAny(p.v) }

func (s *Scheduler) setNext(i int, t time.Time) {
	s.mu.Lock()
	s.stats[i].Next = t
	s.mu.Unlock()
}

// PrevDaily returns the last hour:minute in loc at or before now: the slot
// a daily run is owed for.
func PrevDaily(now time.Time, hour, minute int, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.Local
	}
	n := now.In(loc)
	t := time.Date(n.Year(), n.Month(), n.Day(), hour, minute, 0, 0, loc)
	if t.After(now) {
		t = time.Date(n.Year(), n.Month(), n.Day()-1, hour, minute, 0, 0, loc)
	}
	return t
}

// NextDaily returns the first hour:minute in loc strictly after now. On a
// day where that time does not exist (spring DST gap) time.Date normalises
// it forward, so the job still runs once that day.
func NextDaily(now time.Time, hour, minute int, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.Local
	}
	n := now.In(loc)
	t := time.Date(n.Year(), n.Month(), n.Day(), hour, minute, 0, 0, loc)
	if !t.After(now) {
		t = time.Date(n.Year(), n.Month(), n.Day()+1, hour, minute, 0, 0, loc)
	}
	return t
}
