package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

const maxResultsPerTask = 1000

func (s *Site) buildTasks(installed time.Time) {
	r := s.rng
	minute := time.Duration(5+r.IntN(50)) * time.Minute
	if s.wallClock {
		// Drawn all the same, so the rest of the site does not change.
		minute = time.Duration(min(max((s.now.Minute()+30)%60, 5), 54)) * time.Minute
	}
	hourlyStart := s.start.Truncate(time.Hour).Add(minute)
	mk := func(name string, app *App, typ int) *Task {
		t := &Task{ID: s.newID(), Name: name, OperationalID: s.newID(), TaskType: typ, App: app, Enabled: true,
			SessionTimeout: 1440, Created: installed, Modified: installed, ModifiedBy: "INTERNAL\\sa_repository", runsLeft: -1}
		s.tasks = append(s.tasks, t)
		return t
	}
	sched := func(t *Task, name string, inc int, desc string, every time.Duration, start time.Time) {
		ev := &SchemaEvent{ID: s.newID(), Name: name, OperationalID: s.newID(), Task: t, Enabled: true, Increment: inc,
			IncrementDescription: desc, Every: every, StartDate: start, Created: installed, Modified: installed}
		t.Trigger = ev
		s.schema = append(s.schema, ev)
	}
	lm := mk("Reload License Monitor", s.appByName("License Monitor"), 0)
	sched(lm, "Reload License Monitor Schema", 1, "0 1 0 0", time.Hour, hourlyStart)
	om := mk("Reload Operations Monitor", s.appByName("Operations Monitor"), 0)
	sched(om, "Reload Operations Monitor Schema", 1, "0 1 0 0", time.Hour, hourlyStart)
	ama := mk("Reload App Metadata Analyzer", s.appByName("App Metadata Analyzer"), 0)
	sched(ama, "Reload App Metadata Analyzer Schema", 2, "0 0 1 0", 24*time.Hour, s.start.Truncate(24*time.Hour).Add(3*time.Hour+minute))
	us := mk("User synchronization task for "+dir, nil, 2)
	us.UserDirectory = dir
	sched(us, "Daily user sync", 2, "0 0 1 0", 24*time.Hour, s.start.Truncate(24*time.Hour).Add(time.Hour))
	var prev *Task
	for i, a := range s.apps[7:] {
		if i >= 4 {
			break
		}
		t := mk("Reload "+a.Name, a, 0)
		t.Created, t.Modified = a.Created, a.Created
		t.ModifiedBy = a.ModifiedBy
		if prev == nil {
			sched(t, "Nightly "+a.Name, 2, "0 0 1 0", 24*time.Hour, s.start.Truncate(24*time.Hour).Add(2*time.Hour))
		} else {
			s.composite = append(s.composite, &CompositeEvent{ID: s.newID(), Name: "After " + prev.Name, OperationalID: s.newID(),
				Task: t, After: prev, Enabled: true, Created: t.Created, Modified: t.Created})
		}
		prev = t
	}
	for _, t := range s.tasks {
		t.NextExecution = Never
	}
}

func (s *Site) appByName(n string) *App {
	for _, a := range s.apps {
		if a.Name == n {
			return a
		}
	}
	return nil
}

func (s *Site) taskByName(n string) *Task {
	for _, t := range s.tasks {
		if strings.EqualFold(t.Name, n) {
			return t
		}
	}
	return nil
}

// applyTaskSpecs applies the scenario to the tasks and generates the
// execution history.
func (s *Site) applyTaskSpecs() {
	type hist struct {
		streak   int
		failure  string
		stop     time.Time
		neverRun bool
		logPath  string
	}
	h := map[*Task]*hist{}
	for _, t := range s.tasks {
		h[t] = &hist{}
	}
	for _, spec := range s.sc.Tasks {
		name := spec.Name
		if name == "" {
			name = lmTask
		}
		t := s.taskByName(name)
		if t == nil {
			continue
		}
		th := h[t]
		th.failure, th.streak, th.neverRun, th.logPath = spec.Failure, spec.FailureStreak, spec.NeverRun, spec.ScriptLog
		if spec.Failure != "" && th.streak == 0 {
			th.streak = 1
		}
		t.outcome = Outcome{Failure: spec.Failure}
		if spec.StopDaysAgo > 0 {
			th.stop = s.now.AddDate(0, 0, -spec.StopDaysAgo)
		}
		if spec.Disabled {
			t.Enabled = false
		}
		if spec.TriggerDisabled && t.Trigger != nil {
			t.Trigger.Enabled = false
		}
		if spec.Rename != "" {
			t.Name = spec.Rename
		}
		defer func(t *Task, spec TaskSpec) {
			if spec.Missing {
				s.deleteTask(t)
			}
		}(t, spec)
	}
	// history: replay every schedule from the history start
	for ti, t := range s.tasks {
		th := h[t]
		if th.neverRun {
			continue
		}
		var times []time.Time
		if t.Trigger != nil {
			for at := t.Trigger.StartDate; !at.After(s.now); at = at.Add(t.Trigger.Every) {
				if at.Before(t.Created) || (!th.stop.IsZero() && at.After(th.stop)) {
					continue
				}
				times = append(times, at)
			}
		} else {
			// chained task: runs after its predecessor's daily run
			for _, c := range s.composite {
				if c.Task == t {
					for at := s.start.Truncate(24 * time.Hour).Add(2*time.Hour + 20*time.Minute); !at.After(s.now); at = at.Add(24 * time.Hour) {
						if !at.Before(t.Created) {
							times = append(times, at)
						}
					}
				}
			}
		}
		if t.Trigger != nil {
			t.Trigger.TimesTriggered = len(times)
		}
		if len(times) > maxResultsPerTask {
			times = times[len(times)-maxResultsPerTask:]
		}
		for i, at := range times {
			r := s.hourRand(at.Unix()/3600, uint64(ti)+100)
			kind := ""
			if len(times)-i <= th.streak {
				kind = th.failure
			} else if t.App != nil && t.App.Stream == nil && r.Float64() < 0.02 {
				kind = FailFieldNotFound
			}
			res := s.execute(t, at, kind, r)
			if kind == FailAborted {
				// An abort comes at the session timeout (a day by default):
				// replayed hourly, the last one would still be going, and the
				// preset says it ended.
				s.settle(res)
			}
			if i == len(times)-1 && th.logPath != "" {
				res.logPath = th.logPath
			}
		}
		if th.streak > 0 {
			t.runsLeft = -1
		}
		if !th.stop.IsZero() || !t.Enabled {
			// the last run may be old; nothing scheduled
			continue
		}
	}
	for _, t := range s.tasks {
		s.updateNext(t)
	}
}

func (s *Site) deleteTask(t *Task) {
	for i, x := range s.tasks {
		if x == t {
			s.tasks = append(s.tasks[:i], s.tasks[i+1:]...)
			break
		}
	}
	if t.Trigger != nil {
		for i, e := range s.schema {
			if e == t.Trigger {
				s.schema = append(s.schema[:i], s.schema[i+1:]...)
				break
			}
		}
	}
	for _, r := range t.Results {
		delete(s.results, r.ID)
	}
}

// updateNext recomputes operational.nextExecution.
func (s *Site) updateNext(t *Task) {
	t.NextExecution = Never
	if !t.Enabled || t.Trigger == nil || !t.Trigger.Enabled {
		return
	}
	ev := t.Trigger
	if !ev.StartDate.After(s.now) {
		n := s.now.Sub(ev.StartDate)/ev.Every + 1
		t.NextExecution = ev.StartDate.Add(n * ev.Every)
	} else {
		t.NextExecution = ev.StartDate
	}
}

// Outcome sets how the next runs of a task end.
type Outcome struct {
	// Failure is a failure kind (FailureKinds) or "" for success.
	Failure string
	// Runs is how many runs the outcome applies to; 0 = until changed.
	Runs int
	// ScriptLog, if set, is a file served as the script log of those runs.
	ScriptLog string
}

// SetTaskOutcome makes the next runs of the named task end as o.
func (s *Site) SetTaskOutcome(taskName string, o Outcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.taskByName(taskName)
	if t == nil {
		return fmt.Errorf("set task outcome: no task named %q", taskName)
	}
	if o.Failure != "" && !slices.Contains(FailureKinds(), o.Failure) {
		return fmt.Errorf("set task outcome: unknown failure kind %q (use one of %s)", o.Failure, strings.Join(FailureKinds(), ", "))
	}
	t.outcome = o
	s.creds.on = false
	t.runsLeft = o.Runs
	if o.Runs == 0 {
		t.runsLeft = -1
	}
	return nil
}

// nextOutcome consumes one run of the task's outcome.
func (t *Task) nextOutcome() Outcome {
	o := t.outcome
	if t.runsLeft > 0 {
		t.runsLeft--
		if t.runsLeft == 0 {
			t.outcome = Outcome{}
		}
	}
	return o
}

func (s *Site) taskDuration(t *Task, r *rand.Rand) time.Duration {
	base := 20 * time.Second
	if t.App != nil {
		switch t.App.Name {
		case "License Monitor":
			base = 40*time.Second + time.Duration(s.opts.Users/100)*time.Second
		case "Operations Monitor":
			base = 90*time.Second + time.Duration(s.opts.Users/80)*time.Second
		}
	}
	return base + time.Duration(r.IntN(30000))*time.Millisecond
}

// execute records a run of t starting at start. A run that has not ended
// by now (a scheduled run that started a moment ago) stays Started until its
// stop, as on a real site: the app keeps its last reload, the run has an
// execution session, and a start of the task meanwhile is refused. Its end
// is drawn now, so the outcome does not depend on when the site is looked at.
func (s *Site) execute(t *Task, start time.Time, kind string, r *rand.Rand) *ExecResult {
	res := s.startRun(t, start, kind, r)
	started := len(res.Details)
	var reload, modified time.Time
	var modifiedBy string
	if t.App != nil {
		reload, modified, modifiedBy = t.App.LastReload, t.App.Modified, t.App.ModifiedBy
	}
	s.finishRun(res, r)
	if !res.Stop.After(s.now) {
		return res
	}
	final := &runEnd{status: res.Status, stop: res.Stop, details: slices.Clone(res.Details)}
	res.Status, res.Stop, res.Details = StatusStarted, Never, res.Details[:started:started]
	if t.App != nil {
		t.App.LastReload, t.App.Modified, t.App.ModifiedBy = reload, modified, modifiedBy
	}
	s.sessions[res.ExecutionID] = &session{ID: res.ExecutionID, Task: t, Result: res, EndsAt: final.stop, final: final}
	return res
}

// settle ends res now if it is still going: its end moves to now (with its
// start, keeping its length).
func (s *Site) settle(res *ExecResult) {
	ss := s.sessions[res.ExecutionID]
	if ss == nil || ss.final == nil {
		return
	}
	delete(s.sessions, ss.ID)
	s.endSession(ss, nil)
	s.shiftStop(res, s.now)
}

// endSession ends a run whose session reached its end.
func (s *Site) endSession(ss *session, r *rand.Rand) {
	if ss.final == nil {
		s.finishRun(ss.Result, r)
		s.shiftStop(ss.Result, s.now)
		return
	}
	res := ss.Result
	res.Status, res.Stop, res.Details = ss.final.status, ss.final.stop, ss.final.details
	if t := ss.Task; ss.Result.Status == StatusFinishedSuccess && t.App != nil {
		t.App.LastReload, t.App.Modified, t.App.ModifiedBy = ss.Result.Stop, ss.Result.Stop, "INTERNAL\\sa_scheduler"
	}
}

// startRun creates the execution result of a run in state Started.
func (s *Site) startRun(t *Task, start time.Time, kind string, r *rand.Rand) *ExecResult {
	start = start.Add(time.Duration(r.IntN(900)) * time.Millisecond).Truncate(time.Millisecond)
	res := &ExecResult{ID: guid(r), ExecutionID: guid(r), Task: t, Status: StatusStarted, Start: start, Stop: Never,
		FileRefID: NullGUID, NodeName: s.opts.Hostname, failure: kind, oldFormat: s.sc.OldVersion}
	add := func(at time.Time, typ int, msg string) {
		res.Details = append(res.Details, Detail{ID: guid(r), Type: typ, Message: msg, Created: at.Truncate(time.Millisecond)})
	}
	add(start.Add(800*time.Millisecond), 2, "Changing task state to Triggered")
	if kind == FailNoWorker {
		res.NodeName = ""
		return res
	}
	add(start.Add(1000*time.Millisecond), 2, "Trying to start task. Sending task to slave-node "+s.opts.Hostname)
	add(start.Add(1300*time.Millisecond), 2, "Changing task state from Triggered to Started")
	if t.TaskType == 0 {
		res.FileRefID = guid(r)
		ts := start.UTC().Format("20060102T150405.000") + "+0000"
		if res.oldFormat {
			ts = start.UTC().Format("2006_01_02_15_04_05")
		}
		appID := t.ID
		if t.App != nil {
			appID = t.App.ID
		}
		res.ScriptLogLocation = fmt.Sprintf(`%s\Script\%s.%s.%s.log`, s.opts.Hostname, appID, ts, hexID(res.ID))
		add(start.Add(1500*time.Millisecond), 2, "Reference to scriptlog added")
	}
	s.results[res.ID] = res
	t.Results = append(t.Results, res)
	if len(t.Results) > maxResultsPerTask {
		delete(s.results, t.Results[0].ID)
		t.Results = t.Results[1:]
	}
	t.Last = res
	return res
}

// finishRun completes a run with its outcome.
func (s *Site) finishRun(res *ExecResult, r *rand.Rand) {
	t := res.Task
	add := func(at time.Time, typ int, msg string) {
		res.Details = append(res.Details, Detail{ID: guid(r), Type: typ, Message: msg, Created: at.Truncate(time.Millisecond)})
	}
	d := s.taskDuration(t, r)
	switch res.failure {
	case FailNoWorker:
		d = 1200 * time.Millisecond
		res.Stop = res.Start.Add(d)
		add(res.Start.Add(1000*time.Millisecond), 0, "Failed to start task. No slave-nodes found")
		add(res.Stop, 2, "Changing task state from Triggered to FinishedFail")
		res.Status = StatusFinishedFail
		s.results[res.ID] = res
		t.Results = append(t.Results, res)
		t.Last = res
		s.download404[res.ID] = 0
		return
	case FailAborted:
		d = time.Duration(t.SessionTimeout) * time.Minute
		res.Stop = res.Start.Add(d + 2*time.Second)
		add(res.Start.Add(d), 2, "Changing task state from Started to AbortInitiated")
		add(res.Start.Add(d+time.Second), 2, "Changing task state from AbortInitiated to Aborting")
		add(res.Stop, 2, "Changing task state from Aborting to Aborted")
		res.Status = StatusAborted
	case "":
		res.Stop = res.Start.Add(d)
		add(res.Stop, 2, "Changing task state from Started to FinishedSuccess")
		res.Status = StatusFinishedSuccess
		if t.App != nil {
			t.App.LastReload = res.Stop
			t.App.Modified = res.Stop
			t.App.ModifiedBy = "INTERNAL\\sa_scheduler"
		}
	default:
		if res.failure == FailTimeout {
			d += 900 * time.Second
		}
		res.Stop = res.Start.Add(d / 2)
		add(res.Stop.Add(-100*time.Millisecond), 0, "Message from ReloadProvider: Reload failed in Engine. Check engine or script logs.")
		add(res.Stop, 2, "Changing task state from Started to FinishedFail")
		res.Status = StatusFinishedFail
	}
	res.counts = s.countsAt(res.Start)
	if res.failure != "" && s.sc.Download404 > 0 {
		s.download404[res.ID] = s.sc.Download404
	}
}

// countsAt estimates the row counts a reload at time at would have fetched:
// today's counts scaled back along the growth trend.
func (s *Site) countsAt(at time.Time) logCounts {
	span := s.now.Sub(s.start).Hours()
	f := 1.0
	if span > 0 {
		f = 1 - 0.2*s.now.Sub(at).Hours()/span
	}
	sc := func(n int) int { return int(float64(n) * f) }
	return logCounts{Users: sc(len(s.users)), Professional: sc(len(s.allocs[Professional])), Analyzer: sc(len(s.allocs[Analyzer])),
		UserAccess: sc(len(s.allocs[UserAccess])), Login: len(s.loginGroups), Apps: len(s.apps), Tasks: len(s.tasks)}
}

// runNow starts t now (API start). With TaskRunTime 0 it completes at once.
func (s *Site) runNow(t *Task) *session {
	r := s.hourRand(s.now.UnixNano(), uint64(len(t.Results))+7)
	o := s.connectionOutcome(t, t.nextOutcome())
	res := s.startRun(t, s.now, o.Failure, r)
	if o.ScriptLog != "" {
		res.logPath = o.ScriptLog
	}
	sess := &session{ID: res.ExecutionID, Task: t, Result: res, EndsAt: s.now.Add(s.opts.TaskRunTime)}
	if s.opts.TaskRunTime <= 0 {
		s.finishRun(res, r)
		s.shiftStop(res, s.now)
		return sess
	}
	s.sessions[sess.ID] = sess
	return sess
}

// shiftStop makes an instantly completed run end no later than now (API
// runs with TaskRunTime 0 must not finish in the future).
func (s *Site) shiftStop(res *ExecResult, now time.Time) {
	if res.Stop.After(now) {
		d := res.Stop.Sub(now)
		res.Start = res.Start.Add(-d)
		res.Stop = now
		for i := range res.Details {
			res.Details[i].Created = res.Details[i].Created.Add(-d)
		}
	}
	if res.Status == StatusFinishedSuccess && res.Task.App != nil {
		res.Task.App.LastReload = res.Stop
	}
}
