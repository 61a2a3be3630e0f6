package sim

import (
	"math"
	"math/rand/v2"
	"time"
)

// advanceLocked moves the site to `to`, processing in time order: scheduled
// task runs, ends of API-started runs, and hourly user activity. Every hour
// uses its own generator, so the result does not depend on how Advance calls
// were chunked.
func (s *Site) advanceLocked(to time.Time) {
	to = to.Truncate(time.Millisecond)
	for s.now.Before(to) {
		next := to
		nextHour := time.Unix((s.hourDone+1)*3600, 0).UTC()
		if nextHour.Before(next) {
			next = nextHour
		}
		for _, t := range s.tasks {
			if !t.NextExecution.Equal(Never) && t.NextExecution.After(s.now) && t.NextExecution.Before(next) {
				next = t.NextExecution
			}
		}
		for _, ss := range s.sessions {
			if ss.EndsAt.After(s.now) && ss.EndsAt.Before(next) {
				next = ss.EndsAt
			}
		}
		s.now = next
		for id, ss := range s.sessions {
			if !ss.EndsAt.After(s.now) {
				r := s.hourRand(ss.EndsAt.UnixNano(), 11)
				s.endSession(ss, r)
				delete(s.sessions, id)
				s.chain(ss.Task, r)
			}
		}
		for ti, t := range s.tasks {
			if t.NextExecution.Equal(s.now) && t.Enabled {
				r := s.hourRand(s.now.Unix()/3600, uint64(ti)+100)
				o := s.connectionOutcome(t, t.nextOutcome())
				res := s.execute(t, s.now, o.Failure, r)
				if o.ScriptLog != "" {
					res.logPath = o.ScriptLog
				}
				if t.Trigger != nil {
					t.Trigger.TimesTriggered++
				}
				s.chain(t, r)
			}
		}
		if s.now.Equal(nextHour) {
			s.hourDone++
			s.simulateHour(s.hourDone)
			s.recordTruth()
		}
		for _, t := range s.tasks {
			s.updateNext(t)
		}
	}
}

// chain runs the tasks whose composite trigger waits for t's success.
func (s *Site) chain(t *Task, r *rand.Rand) {
	if t.Last == nil || t.Last.Status != StatusFinishedSuccess {
		return
	}
	for _, c := range s.composite {
		if c.After == t && c.Enabled && c.Task.Enabled {
			o := c.Task.nextOutcome()
			s.execute(c.Task, t.Last.Stop.Add(2*time.Second), o.Failure, r)
		}
	}
}

// simulateHour applies one hour of user activity ending at hour h:
// sessions (weekday office hours are busy, nights and weekends quiet), first
// logins that allocate access, joiners and leavers once a day, capacity
// minutes, and the end of quarantines.
func (s *Site) simulateHour(h int64) {
	r := s.hourRand(h, 1)
	hourStart := time.Unix((h-1)*3600, 0).UTC()
	wd := hourStart.Weekday()
	factor := 1.0
	if wd == time.Saturday || wd == time.Sunday {
		factor = 0.08
	}
	if hr := hourStart.Hour(); hr < 7 || hr >= 18 {
		factor *= 0.04
	}
	if hourStart.Hour() == 0 {
		s.simulateDay(hourStart, r)
	}
	if hourStart.Day() == 1 && hourStart.Hour() == 0 {
		// a new month refills the capacity pool: capacity users denied
		// last month may use it again
		for _, u := range s.users {
			u.capacityMinutesThisMonth = 0
			if u.kind == kindCapacity {
				u.deniedSince = time.Time{}
			}
		}
		s.capUsed = 0
	}
	tokens := s.license.Kind == "tokens"
	firstDenial := len(s.denials)
	// Each user has u.rate sessions per weekday, spread over 11 office
	// hours. Thinning: draw users uniformly at rate maxRate and accept each
	// with probability rate/maxRate, which costs O(sessions), not O(users).
	n := len(s.users)
	k := poisson(r, factor*float64(n)*maxRate/11)
	for i := 0; i < k && n > 0; i++ {
		u := s.users[r.IntN(n)]
		if u.service || u.joined.After(hourStart) || (!u.left.IsZero() && !u.left.After(hourStart)) {
			continue
		}
		if r.Float64()*maxRate > u.rate {
			continue
		}
		at := hourStart.Add(time.Duration(r.IntN(3600000)) * time.Millisecond)
		// a user the license turned away asks less often, and not at all
		// once their patience is gone
		if waiting, gaveUp := s.waiting(u, at); gaveUp || waiting && r.Float64() > s.retryShare() {
			continue
		}
		switch u.kind {
		case kindCapacity:
			if s.license.AnalyzerMinutes > 0 && !tokens {
				if !s.useCapacity(u, at, 6*(1+r.IntN(3))) {
					continue
				}
				u.deniedSince = time.Time{}
			}
			u.lastActive = at
		case kindProfessional, kindAnalyzer:
			t := Professional
			if u.kind == kindAnalyzer {
				t = Analyzer
			}
			if tokens {
				if u.kind != kindProfessional {
					u.lastActive = at
					continue
				}
				t = UserAccess
			}
			a := u.alloc
			if a == nil {
				if q := u.held; q != nil && q.Quarantined {
					// use within the quarantine reinstates the user's own allocation
					a = q
					a.Quarantined, a.QuarantineEnd = false, Never
					u.alloc, u.held = a, nil
					s.recomputeExcess()
				} else if !s.seatFree(t) {
					s.deny(u, deniedType(t), at)
					continue
				} else {
					a = &Alloc{ID: guid(r), Type: t, User: u, Created: at, ModifiedBy: "INTERNAL\\sa_repository"}
					s.addAlloc(a)
					s.recomputeExcess()
				}
				u.deniedSince = time.Time{}
			}
			u.lastActive = at
			a.LastUsed, a.Modified = at, at
		default:
			u.lastActive = at
		}
	}
	s.sortDenialsFrom(firstDenial)
	s.simulateAuthoring(h, hourStart, factor)
	// quarantine ends
	for t := range s.allocs {
		for _, a := range s.allocs[t] {
			if a.Quarantined && !a.QuarantineEnd.After(s.now) {
				s.removeAlloc(a)
			}
		}
	}
}

// maxRate caps the sessions per weekday a simulated user can have.
const maxRate = 4.0

// simulateDay adds joiners (the growth trend) and leavers.
func (s *Site) simulateDay(day time.Time, r *rand.Rand) {
	joins := poisson(r, 0.25*float64(s.opts.Users)/float64(max(s.opts.HistoryDays, 30)))
	for i := 0; i < joins; i++ {
		fn, ln := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		u := &User{ID: guid(r), UserID: fn + "." + ln + "." + day.Format("0102") + string(rune('a'+i%26)), Dir: dir, Name: titleCase(fn) + " " + titleCase(ln),
			ModifiedBy: "INTERNAL\\sa_repository", joined: day.Add(time.Duration(8+r.IntN(8)) * time.Hour)}
		u.Created, u.Modified = u.joined, u.joined
		if r.Float64() < 0.6 {
			u.kind, u.rate = kindProfessional, 0.6+r.ExpFloat64()
		} else {
			u.kind, u.rate = kindAnalyzer, 0.2+r.ExpFloat64()*0.5
		}
		s.addUser(u)
	}
	leaves := poisson(r, 0.07*float64(s.opts.Users)/float64(max(s.opts.HistoryDays, 30)))
	for i := 0; i < leaves && len(s.users) > 0; i++ {
		u := s.users[r.IntN(len(s.users))]
		if u.service || !u.left.IsZero() || len(u.Roles) > 0 {
			continue
		}
		u.left = day.Add(time.Duration(9+r.IntN(8)) * time.Hour)
		u.Inactive = true
		u.Modified = u.left
	}
}

func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 50 {
		v := int(math.Round(mean + r.NormFloat64()*math.Sqrt(mean)))
		return max(v, 0)
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func (s *Site) removeAlloc(a *Alloc) {
	list := s.allocs[a.Type]
	for i, x := range list {
		if x == a {
			s.allocs[a.Type] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	delete(s.allocByID, a.ID)
	if a.User != nil && a.User.alloc == a {
		a.User.alloc = nil
	}
	if a.User != nil && a.User.held == a {
		a.User.held = nil
	}
}

// simulateAuthoring lets authors create sheets and change their objects
// during the hour, so that authoring dates move like on a real site. It
// draws from its own stream so the rest of the hour does not depend on it.
func (s *Site) simulateAuthoring(h int64, hourStart time.Time, factor float64) {
	if len(s.authors) == 0 || len(s.apps) <= 7 {
		return
	}
	r := s.hourRand(h, 2)
	k := poisson(r, factor*float64(len(s.authors))*0.01)
	for i := 0; i < k; i++ {
		u := s.authors[r.IntN(len(s.authors))]
		if u.joined.After(hourStart) || (!u.left.IsZero() && !u.left.After(hourStart)) {
			continue
		}
		at := hourStart.Add(time.Duration(r.IntN(3600000)) * time.Millisecond)
		if r.Float64() < 0.3 || len(s.objects) == 0 {
			a := s.apps[7+r.IntN(len(s.apps)-7)]
			o := &AppObject{ID: guid(r), EngineID: hexID(a.ID + at.String())[:10], Name: "Sheet " + at.Format("0102-1504"),
				ObjectType: "sheet", App: a, Owner: u, Created: at, Modified: at}
			s.objects = append(s.objects, o)
			continue
		}
		o := s.objects[r.IntN(len(s.objects))]
		if o.Owner == u || r.Float64() < 0.5 {
			o.Modified = at
		}
	}
}
