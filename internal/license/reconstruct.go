package license

import (
	"sort"
	"time"
)

// Reconstruct backfills a daily history for the days before the first
// collection, from the only data a first collection has: each current
// allocation's Created and LastUsed and the per-month capacity use. It
// returns points for every UTC day from Day(from) up to, not including,
// Day(s.At), ordered by day and then by type (Types order), all marked
// Reconstructed. A zero from starts at the earliest Created or LastUsed seen.
//
// Honesty limits (why every figure is a lower bound, not a measurement):
//   - Allocated counts only allocations that still exist (or are still in
//     quarantine) at s.At, on each day from their Created day on. Allocations
//     released before s.At left no trace, so the true past allocation count
//     may have been higher. A quarantined allocation counts from Created up
//     to its LastUsed day only: it was released at an unknown time after that.
//     Allocations without a Created time are left out. Times before 2000
//     (QRS "never set" sentinels) count as unknown, see Known.
//   - Active counts, per day, the distinct users whose LastUsed falls on that
//     day. QRS keeps only the last use of each allocation, so every earlier
//     use is lost and past days look quieter than they were.
//   - Total is the license size at s.At, assumed unchanged (the only size we
//     know); Available is Total-Allocated clamped at zero, so an upper bound.
//   - Used, Quarantined and Excess are unknown and left zero.
//   - AnalyzerCapacity gets one point per completed month, on the month's
//     last day, with Used = the month's minutes and Active = users with
//     minutes in that month. The month of s.At is partial and is skipped.
//   - LoginAccess has no per-user history at all and gets no points.
func Reconstruct(s *Snapshot, from time.Time) []DailyCounters {
	if s == nil || s.At.IsZero() {
		return nil
	}
	end := Day(s.At) // exclusive
	start := from
	if start.IsZero() {
		for _, a := range s.Allocations {
			for _, t := range []time.Time{a.Created, a.LastUsed} {
				if Known(t) && (start.IsZero() || t.Before(start)) {
					start = t
				}
			}
		}
		for _, c := range s.Capacity {
			if m, err := time.Parse("2006-01", c.Month); err == nil && (start.IsZero() || m.Before(start)) {
				start = m
			}
		}
		if start.IsZero() {
			return nil
		}
	}
	start = Day(start)
	if !start.Before(end) {
		return nil
	}
	n := int(end.Sub(start).Hours()/24 + 0.5)
	idx := func(t time.Time) int { return int(Day(t).Sub(start).Hours()/24 + 0.5) }

	totals := map[Type]int64{}
	enabled := map[Type]bool{}
	for _, c := range s.Counters {
		totals[c.Type] = c.Total
		if c.Enabled {
			enabled[c.Type] = true
		}
	}

	type key struct {
		t    Type
		day  int
		user string
	}
	diff := map[Type][]int64{}
	active := map[Type][]int64{}
	seen := map[key]bool{}
	for _, a := range s.Allocations {
		if !a.Type.PerUser() {
			continue
		}
		if diff[a.Type] == nil {
			diff[a.Type] = make([]int64, n+1)
			active[a.Type] = make([]int64, n)
		}
		if Known(a.Created) {
			lo := max(idx(a.Created), 0)
			hi := n - 1
			if a.Quarantined {
				last := a.Created
				if Known(a.LastUsed) && a.LastUsed.After(last) {
					last = a.LastUsed
				}
				hi = min(hi, idx(last))
			}
			if lo <= hi {
				diff[a.Type][lo]++
				diff[a.Type][hi+1]--
			}
		}
		if Known(a.LastUsed) {
			d := idx(a.LastUsed)
			if d >= 0 && d < n {
				k := key{a.Type, d, a.UserGUID}
				if !seen[k] {
					seen[k] = true
					active[a.Type][d]++
				}
			}
		}
	}

	var out []DailyCounters
	for d := range n {
		day := start.AddDate(0, 0, d)
		for _, t := range AllocationTypes() {
			if diff[t] == nil && !enabled[t] {
				continue
			}
			p := DailyCounters{Day: day, Type: t, Total: totals[t], Reconstructed: true}
			if diff[t] != nil {
				p.Active = active[t][d]
			}
			out = append(out, p)
		}
	}
	// Turn the difference arrays into running totals, in place on out.
	running := map[Type]int64{}
	for i := range out {
		p := &out[i]
		if diff[p.Type] != nil {
			running[p.Type] += diff[p.Type][idx(p.Day)]
		}
		p.Allocated = running[p.Type]
		p.Available = max(p.Total-p.Allocated, 0)
	}

	// Analyzer capacity: one point per completed month in range.
	minutes := map[string]int64{}
	users := map[string]map[string]bool{}
	for _, c := range s.Capacity {
		minutes[c.Month] += c.Minutes
		if c.Minutes > 0 {
			if users[c.Month] == nil {
				users[c.Month] = map[string]bool{}
			}
			users[c.Month][c.UserGUID] = true
		}
	}
	for month, used := range minutes {
		m, err := time.Parse("2006-01", month)
		if err != nil || month >= MonthOf(s.At) {
			continue
		}
		last := m.AddDate(0, 1, -1)
		if last.Before(start) || !last.Before(end) {
			continue
		}
		total := totals[AnalyzerCapacity]
		out = append(out, DailyCounters{
			Day: last, Type: AnalyzerCapacity, Total: total, Used: used,
			Available: max(total-used, 0), Active: int64(len(users[month])),
			Reconstructed: true,
		})
	}
	order := map[Type]int{}
	for i, t := range Types() {
		order[t] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Day.Equal(out[j].Day) {
			return out[i].Day.Before(out[j].Day)
		}
		return order[out[i].Type] < order[out[j].Type]
	})
	return out
}
