package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/license"
)

func candidateOf(kind string, a license.Allocation, p *population, idle int) Candidate {
	c := Candidate{Kind: kind, UserGUID: a.UserGUID, Directory: a.Directory, UserID: a.UserID, Type: a.Type,
		AllocationID: a.ID, Created: ptr(a.Created), LastUsed: ptr(a.LastUsed), IdleDays: shownIdle(idle)}
	if u, ok := p.user(a.UserGUID); ok {
		c.Name = u.Name
		if c.Directory == "" {
			c.Directory, c.UserID = u.Directory, u.UserID
		}
	}
	return c
}

// shownIdle is idle days as a candidate shows them: -1 when unknown (never
// used, no creation date).
func shownIdle(idle int) int {
	if idle == 1<<30 {
		return -1
	}
	return idle
}

// ranked is an allocation on a candidate list with the key it is sorted
// by: lists are sorted as small keys, and only the entries shown are made
// into Candidates (a 100k-user site has tens of thousands of candidates,
// of which the report shows twenty).
type ranked struct {
	i    int // index in population.allocs
	key  int
	typ  int
	guid string
	id   string
}

// firstRanked returns the first limit of rs (all when limit ≤ 0) in order:
// by key (descending when desc), then type, user GUID and allocation ID.
// With a limit it keeps only the best limit entries as it goes, so a list of
// tens of thousands is never sorted to show twenty.
func firstRanked(rs []ranked, desc bool, limit int) []ranked {
	less := func(a, b ranked) int {
		if a.key != b.key {
			if desc {
				return cmp.Compare(b.key, a.key)
			}
			return cmp.Compare(a.key, b.key)
		}
		if a.typ != b.typ {
			return cmp.Compare(a.typ, b.typ)
		}
		if a.guid != b.guid {
			return strings.Compare(a.guid, b.guid)
		}
		return strings.Compare(a.id, b.id)
	}
	if limit <= 0 || len(rs) <= limit {
		slices.SortFunc(rs, less)
		return rs
	}
	top := make([]ranked, 0, limit+1)
	for _, r := range rs {
		if len(top) == limit && less(r, top[limit-1]) >= 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, r, less)
		top = slices.Insert(top, i, r)
		if len(top) > limit {
			top = top[:limit]
		}
	}
	return top
}

// reclaimCandidates lists allocations unused for at least days, after
// exclusions, most idle first (never used before used): the first limit
// of them (all when limit ≤ 0), how many there are, and which allocations
// are on the list.
func reclaimCandidates(p *population, days, limit int) ([]Candidate, int, []bool) {
	on := make([]bool, len(p.allocs))
	var rs []ranked
	for i, a := range p.allocs {
		if !a.Type.PerUser() || a.Quarantined || p.kept[i] || p.idle[i] < days {
			continue
		}
		on[i] = true
		rs = append(rs, ranked{i: i, key: p.idle[i], typ: typeOrder(a.Type), guid: a.UserGUID, id: a.ID})
	}
	n := len(rs)
	out := make([]Candidate, 0, shown(n, limit))
	for _, r := range firstRanked(rs, true, limit) {
		a := p.allocs[r.i]
		c := candidateOf(KindReclaim, a, p, p.idle[r.i])
		if a.LastUsed.IsZero() {
			c.Reason = fmt.Sprintf("never used since it was allocated %s", dateOr(a.Created, "at an unknown date"))
		} else {
			c.Reason = fmt.Sprintf("not used for %d days (last used %s)", c.IdleDays, a.LastUsed.UTC().Format(time.DateOnly))
		}
		if inQuarantineWindow(a, p.asOf) {
			c.FreesAfter = ptr(p.asOf.Add(QuarantineDays * day))
			c.Reason += fmt.Sprintf("; used within %d days, so the seat frees only after the quarantine", QuarantineDays)
		}
		out = append(out, c)
	}
	return out, n, on
}

// shown is how many of n candidates a list cut to limit holds.
func shown(n, limit int) int {
	if limit > 0 {
		return min(n, limit)
	}
	return n
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
// Most active users first (the largest saving per user); the first limit
// of them (all when limit ≤ 0) and how many there are.
func downgradeCandidates(p *population, auth map[string]license.Authoring, reclaimed []bool, days, limit int) ([]Candidate, int) {
	cut := p.asOf.Add(-time.Duration(days) * day)
	var rs []ranked
	for i, a := range p.allocs {
		if a.Type != license.Professional || a.Quarantined || reclaimed[i] || p.kept[i] {
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
		rs = append(rs, ranked{i: i, key: shownIdle(p.idle[i]), guid: a.UserGUID, id: a.ID})
	}
	n := len(rs)
	out := make([]Candidate, 0, shown(n, limit))
	for _, r := range firstRanked(rs, false, limit) {
		a := p.allocs[r.i]
		au, has := auth[a.UserGUID]
		owns := has && au.AppsOwned+au.AppsPublished+au.ObjectsOwned+au.ObjectsPublished+au.DataConnectionsOwned > 0
		c := candidateOf(KindDowngrade, a, p, p.idle[r.i])
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
	return out, n
}

// dualCandidates lists users holding both a Professional and an Analyzer
// allocation: the Analyzer one is redundant. By user; the first limit (all
// when limit ≤ 0) and how many there are.
func dualCandidates(p *population, limit int) ([]Candidate, int) {
	prof := make(map[string]bool, len(p.allocs)/2)
	for _, a := range p.allocs {
		if a.Type == license.Professional && !a.Quarantined {
			prof[a.UserGUID] = true
		}
	}
	var rs []ranked
	for i, a := range p.allocs {
		if a.Type != license.Analyzer || a.Quarantined || !prof[a.UserGUID] || a.UserGUID == "" {
			continue
		}
		rs = append(rs, ranked{i: i, guid: a.UserGUID, id: a.ID})
	}
	n := len(rs)
	out := make([]Candidate, 0, shown(n, limit))
	for _, r := range firstRanked(rs, false, limit) {
		c := candidateOf(KindDual, p.allocs[r.i], p, 0)
		c.IdleDays = 0
		c.Reason = "holds both Professional and Analyzer; release the Analyzer allocation"
		out = append(out, c)
	}
	return out, n
}

// capacityCandidates lists analyzer-capacity users whose minutes in the
// last complete month, or so far this month, reach the break-even of an
// Analyzer seat, largest first. Users who already hold an Analyzer or
// Professional allocation are left out. The first limit (all when limit ≤
// 0) and how many there are.
func capacityCandidates(now, last []license.CapacityUse, p *population, breakEven int64, limit int) ([]Candidate, int) {
	best := map[string]license.CapacityUse{}
	for _, list := range [][]license.CapacityUse{last, now} {
		for _, c := range list {
			if c.Minutes >= breakEven && c.Minutes > best[c.UserGUID].Minutes {
				best[c.UserGUID] = c
			}
		}
	}
	// Only the few users over the break-even are looked up among the
	// allocations: a set of every seat holder would be most of the site.
	for _, a := range p.allocs {
		if (a.Type == license.Professional || a.Type == license.Analyzer) && !a.Quarantined {
			delete(best, a.UserGUID)
		}
	}
	out := []Candidate{}
	for id, c := range best {
		u, _ := p.user(id)
		out = append(out, Candidate{Kind: KindCapacity, UserGUID: id, Directory: u.Directory, UserID: u.UserID, Name: u.Name,
			Type: license.AnalyzerCapacity, Minutes: c.Minutes, MinutesMonth: c.Month, IdleDays: 0,
			Reason: fmt.Sprintf("used %d capacity minutes in %s, at or above the %d minutes one Analyzer seat costs; allocate an Analyzer seat",
				c.Minutes, c.Month, breakEven)})
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		if a.Minutes != b.Minutes {
			return cmp.Compare(b.Minutes, a.Minutes)
		}
		return strings.Compare(a.UserGUID, b.UserGUID)
	})
	n := len(out)
	if limit > 0 && n > limit {
		out = out[:limit]
	}
	return out, n
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
