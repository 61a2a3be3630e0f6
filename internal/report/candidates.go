package report

import (
	"fmt"
	"sort"
	"time"

	"github.com/licmon/licmon/internal/license"
)

func candidateOf(kind string, a license.Allocation, users map[string]license.User, asOf time.Time) Candidate {
	c := Candidate{Kind: kind, UserGUID: a.UserGUID, Directory: a.Directory, UserID: a.UserID, Type: a.Type,
		AllocationID: a.ID, Created: ptr(a.Created), LastUsed: ptr(a.LastUsed), IdleDays: idleDays(a, asOf)}
	if c.IdleDays == 1<<30 {
		c.IdleDays = -1
	}
	if u, ok := users[a.UserGUID]; ok {
		c.Name = u.Name
		if c.Directory == "" {
			c.Directory, c.UserID = u.Directory, u.UserID
		}
	}
	return c
}

// reclaimCandidates lists allocations unused for at least days, after
// exclusions, most idle first (never used before used).
func reclaimCandidates(allocs []license.Allocation, users map[string]license.User, ex exclusions, asOf time.Time, days int) []Candidate {
	out := []Candidate{}
	for _, a := range allocs {
		if !a.Type.PerUser() || a.Quarantined || ex.excluded(a) || idleDays(a, asOf) < days {
			continue
		}
		c := candidateOf(KindReclaim, a, users, asOf)
		if a.LastUsed.IsZero() {
			c.Reason = fmt.Sprintf("never used since it was allocated %s", dateOr(a.Created, "at an unknown date"))
		} else {
			c.Reason = fmt.Sprintf("not used for %d days (last used %s)", c.IdleDays, a.LastUsed.UTC().Format(time.DateOnly))
		}
		if inQuarantineWindow(a, asOf) {
			c.FreesAfter = ptr(asOf.Add(QuarantineDays * day))
			c.Reason += fmt.Sprintf("; used within %d days, so the seat frees only after the quarantine", QuarantineDays)
		}
		out = append(out, c)
	}
	sortCandidates(out)
	return out
}

func sortCandidates(cs []Candidate) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		ai, bi := a.IdleDays, b.IdleDays
		if ai < 0 {
			ai = 1 << 30
		}
		if bi < 0 {
			bi = 1 << 30
		}
		if ai != bi {
			return ai > bi
		}
		if a.Type != b.Type {
			return typeOrder(a.Type) < typeOrder(b.Type)
		}
		return a.UserGUID < b.UserGUID
	})
}

func dateOr(t time.Time, s string) string {
	if t.IsZero() {
		return s
	}
	return "on " + t.UTC().Format(time.DateOnly)
}

// downgradeCandidates lists Professional users still using their seat (not
// already reclaim candidates) with no authoring signal in the window: no
// content they own changed since then. Users who own content with no known
// change date are left out: the data cannot show they stopped authoring.
func downgradeCandidates(allocs []license.Allocation, users map[string]license.User, auth map[string]license.Authoring,
	ex exclusions, reclaim map[string]bool, asOf time.Time, days int) []Candidate {
	out := []Candidate{}
	cut := asOf.Add(-time.Duration(days) * day)
	for _, a := range allocs {
		if a.Type != license.Professional || a.Quarantined || reclaim[a.ID] || ex.excluded(a) {
			continue
		}
		au, has := auth[a.UserGUID]
		owns := has && au.AppsOwned+au.AppsPublished+au.ObjectsOwned+au.ObjectsPublished+au.DataConnectionsOwned > 0
		if has && !au.LastAuthored.IsZero() && !au.LastAuthored.Before(cut) {
			continue // authored within the window
		}
		if owns && au.LastAuthored.IsZero() {
			continue
		}
		c := candidateOf(KindDowngrade, a, users, asOf)
		if has {
			c.LastAuthored = ptr(au.LastAuthored)
			c.AppsOwned, c.ObjectsOwned, c.Connections = au.AppsOwned, au.ObjectsOwned, au.DataConnectionsOwned
		}
		if owns {
			c.Reason = fmt.Sprintf("no authoring in %d days (owns %s, %s, %s; last change %s); Analyzer is enough to use apps",
				days, count(au.AppsOwned, "app", "apps"), count(au.ObjectsOwned, "object", "objects"),
				count(au.DataConnectionsOwned, "data connection", "data connections"), au.LastAuthored.UTC().Format(time.DateOnly))
		} else {
			c.Reason = fmt.Sprintf("no authoring in %d days (owns no apps, objects or data connections); Analyzer is enough to use apps", days)
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].IdleDays != out[j].IdleDays {
			return out[i].IdleDays < out[j].IdleDays // most active users first: the largest saving per user
		}
		return out[i].UserGUID < out[j].UserGUID
	})
	return out
}

// dualCandidates lists users holding both a Professional and an Analyzer
// allocation: the Analyzer one is redundant.
func dualCandidates(allocs []license.Allocation, users map[string]license.User) []Candidate {
	prof := map[string]bool{}
	for _, a := range allocs {
		if a.Type == license.Professional && !a.Quarantined {
			prof[a.UserGUID] = true
		}
	}
	out := []Candidate{}
	for _, a := range allocs {
		if a.Type != license.Analyzer || a.Quarantined || !prof[a.UserGUID] || a.UserGUID == "" {
			continue
		}
		c := candidateOf(KindDual, a, users, time.Time{})
		c.IdleDays = 0
		c.Reason = "holds both Professional and Analyzer; release the Analyzer allocation"
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].UserGUID < out[j].UserGUID })
	return out
}

// capacityCandidates lists analyzer-capacity users whose minutes in the
// last complete month, or so far this month, reach the break-even of an
// Analyzer seat, largest first. Users who already hold an Analyzer or
// Professional allocation are left out.
func capacityCandidates(now, last []license.CapacityUse, users map[string]license.User, allocs []license.Allocation,
	breakEven int64, asOf time.Time) []Candidate {
	seat := map[string]bool{}
	for _, a := range allocs {
		if (a.Type == license.Professional || a.Type == license.Analyzer) && !a.Quarantined {
			seat[a.UserGUID] = true
		}
	}
	best := map[string]license.CapacityUse{}
	for _, list := range [][]license.CapacityUse{last, now} {
		for _, c := range list {
			if c.Minutes >= breakEven && c.Minutes > best[c.UserGUID].Minutes && !seat[c.UserGUID] {
				best[c.UserGUID] = c
			}
		}
	}
	out := []Candidate{}
	for id, c := range best {
		u := users[id]
		out = append(out, Candidate{Kind: KindCapacity, UserGUID: id, Directory: u.Directory, UserID: u.UserID, Name: u.Name,
			Type: license.AnalyzerCapacity, Minutes: c.Minutes, MinutesMonth: c.Month, IdleDays: 0,
			Reason: fmt.Sprintf("used %d capacity minutes in %s, at or above the %d minutes one Analyzer seat costs; allocate an Analyzer seat",
				c.Minutes, c.Month, breakEven)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Minutes != out[j].Minutes {
			return out[i].Minutes > out[j].Minutes
		}
		return out[i].UserGUID < out[j].UserGUID
	})
	return out
}

// capacityMonth is the analyzer-capacity burn of the month of asOf.
func capacityMonth(counters []license.Counters, now, last []license.CapacityUse, lastKnown bool, dataAt time.Time) *CapacityMonth {
	var cnt *license.Counters
	for i := range counters {
		if counters[i].Type == license.AnalyzerCapacity {
			cnt = &counters[i]
		}
	}
	if (cnt == nil || (cnt.Total == 0 && cnt.Used == 0)) && len(now) == 0 && len(last) == 0 {
		return nil
	}
	c := &CapacityMonth{Month: license.MonthOf(dataAt)}
	var perUser int64
	for _, u := range now {
		perUser += u.Minutes
		if u.Minutes > 0 {
			c.Users++
		}
	}
	if lastKnown || len(last) > 0 {
		var m int64
		for _, u := range last {
			m += u.Minutes
		}
		c.LastMonth = &m
	}
	c.Used = perUser
	if cnt != nil {
		c.Licensed = cnt.Total
		if cnt.Total > 0 || cnt.Used > 0 {
			c.Used = cnt.Used // the site's own counter is authoritative when present
		}
	}
	start := monthStart(dataAt)
	end := start.AddDate(0, 1, 0)
	elapsed := dataAt.Sub(start).Hours() / 24
	total := end.Sub(start).Hours() / 24
	if elapsed < 1 {
		elapsed = 1 // less than a day of data says little; avoid a huge burn rate
	}
	c.BurnPerDay = round1(float64(c.Used) / elapsed)
	c.Projected = int64(float64(c.Used)/elapsed*total + 0.5)
	switch {
	case c.Licensed == 0:
		c.Reason = fmt.Sprintf("%d minutes used in %s with no minutes licensed", c.Used, c.Month)
	case c.Used >= c.Licensed:
		c.RunsOut = ptr(license.Day(dataAt))
		c.Reason = fmt.Sprintf("the %d-minute pool of %s is used up", c.Licensed, c.Month)
	case c.Projected > c.Licensed && c.BurnPerDay > 0:
		left := float64(c.Licensed-c.Used) / (float64(c.Used) / elapsed)
		ro := license.Day(dataAt.Add(time.Duration(left * float64(day))))
		c.RunsOut = &ro
		c.Reason = fmt.Sprintf("at %.0f minutes a day the %d-minute pool of %s runs out on %s (projected %d minutes by month end)",
			c.BurnPerDay, c.Licensed, c.Month, ro.Format(time.DateOnly), c.Projected)
	default:
		c.Reason = fmt.Sprintf("at %.0f minutes a day %s ends at about %d of %d minutes; the pool lasts the month",
			c.BurnPerDay, c.Month, c.Projected, c.Licensed)
	}
	return c
}
