package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// reclaimable counts the allocations of typ an inactivity threshold of days
// would release, after exclusions: free now, free only after the quarantine
// (used within the quarantine period, so their seat stays counted for
// QuarantineDays after release), and kept by exclusions.
func reclaimable(allocs []license.Allocation, ex exclusions, typ license.Type, asOf time.Time, days int) (free, later, excluded int64) {
	for _, a := range allocs {
		if a.Type != typ || a.Quarantined || idleDays(a, asOf) < days {
			continue
		}
		if ex.excluded(a) {
			excluded++
			continue
		}
		free++
		if inQuarantineWindow(a, asOf) {
			later++
		}
	}
	return free, later, excluded
}

// inQuarantineWindow reports whether releasing a now would quarantine it.
func inQuarantineWindow(a license.Allocation, asOf time.Time) bool {
	return !a.LastUsed.IsZero() && asOf.Sub(a.LastUsed) < QuarantineDays*day
}

// planLine is the arithmetic documented on PlanLine.
func planLine(t TypeReport, reclaim, later int64, headroomPct float64) PlanLine {
	l := PlanLine{Type: t.Type, Label: t.Label, Licensed: t.Licensed, Allocated: t.Allocated,
		Reclaimable: reclaim, ReclaimableLater: later}
	if d := t.Forecast.Demand; d != nil {
		l.Basis, l.DemandMean, l.Demand = BasisForecast, d.Mean, math.Max(d.Hi, float64(t.Allocated))
	} else {
		l.Basis, l.DemandMean, l.Demand = BasisCurrent, float64(t.Allocated), float64(t.Allocated)
	}
	// The small epsilon keeps 110.00000001 (float noise of 100 × 1.1) from
	// becoming 111.
	l.Required = int64(math.Ceil(l.Demand*(1+headroomPct/100) - 1e-9))
	l.Shortfall = max(0, l.Required-l.Licensed)
	l.Reclaim = min(l.Reclaimable, l.Shortfall)
	l.Buy = l.Shortfall - l.Reclaim
	l.Spare = max(0, l.Licensed-l.Required)
	return l
}

// planTypes are the types a plan covers: those bought as seats or passes.
func planType(t license.Type) bool { return t != license.AnalyzerCapacity }

func plan(types []TypeReport, allocs []license.Allocation, ex exclusions, asOf time.Time, days int, headroom float64) Plan {
	var p Plan
	for _, t := range types {
		if !planType(t.Type) {
			continue
		}
		var free, later int64
		if t.PerUser {
			free, later, _ = reclaimable(allocs, ex, t.Type, asOf, days)
		}
		p.Lines = append(p.Lines, planLine(t, free, later, headroom))
	}
	p.Summary = summary(p.Lines)
	return p
}

// summary turns the plan lines into the one sentence a manager reads.
func summary(lines []PlanLine) string {
	var buy, reclaim []string
	for _, l := range lines {
		if l.Buy > 0 {
			buy = append(buy, fmt.Sprintf("%d %s", l.Buy, shortLabel(l.Type)))
		}
		if l.Reclaim > 0 {
			reclaim = append(reclaim, fmt.Sprintf("%d %s", l.Reclaim, shortLabel(l.Type)))
		}
	}
	switch {
	case len(lines) == 0:
		return "no licensed types found; nothing to plan"
	case len(buy) == 0 && len(reclaim) == 0:
		return "no purchase needed: the licensed seats cover the forecast demand and headroom"
	case len(buy) == 0:
		return "reclaim " + join(reclaim) + " first; no purchase needed"
	case len(reclaim) == 0:
		return "buy " + join(buy)
	}
	return "reclaim " + join(reclaim) + ", then buy " + join(buy)
}

func shortLabel(t license.Type) string {
	switch t {
	case license.UserAccess:
		return "user access passes"
	case license.LoginAccess:
		return "login access tokens"
	}
	return t.Label()
}

func join(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

func whatIf(types []TypeReport, allocs []license.Allocation, ex exclusions, asOf time.Time, days int, headroom float64) WhatIf {
	w := WhatIf{Days: days}
	for _, t := range types {
		if !t.PerUser {
			continue
		}
		free, later, excl := reclaimable(allocs, ex, t.Type, asOf, days)
		l := planLine(t, free, later, headroom)
		w.Types = append(w.Types, WhatIfType{Type: t.Type, Free: free, Later: later, Excluded: excl, Buy: l.Buy})
	}
	return w
}
