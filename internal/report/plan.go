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
func reclaimable(p *population, typ license.Type, days int) (free, later, excluded int64) {
	for i, a := range p.allocs {
		if a.Type != typ || a.Quarantined || p.idle[i] < days {
			continue
		}
		if p.kept[i] {
			excluded++
			continue
		}
		free++
		if inQuarantineWindow(a, p.asOf) {
			later++
		}
	}
	return free, later, excluded
}

// inQuarantineWindow reports whether releasing a now would quarantine it.
func inQuarantineWindow(a license.Allocation, asOf time.Time) bool {
	return !a.LastUsed.IsZero() && asOf.Sub(a.LastUsed) < QuarantineDays*day
}

// planDemand is the demand a line plans against and what it rests on: the
// forecast's upper bound when it has one, else its mean (a bound equal to
// the mean is no uncertainty), else today's demand. Never below today.
func planDemand(d *Demand, today float64) (basis string, mean, demand float64) {
	switch {
	case d == nil:
		return BasisCurrent, today, today
	case d.Hi != nil:
		return BasisForecast, d.Mean, math.Max(*d.Hi, today)
	}
	return BasisForecastMean, d.Mean, math.Max(d.Mean, today)
}

// today is the type's demand today: allocated, plus the unmet demand still
// waiting when it sits at its total.
func today(t TypeReport) (float64, float64) {
	var unmet float64
	if u := t.Unmet; u != nil && u.AtCapacity && u.Waiting != nil {
		unmet = *u.Waiting
	}
	return float64(t.Allocated) + unmet, unmet
}

// planLine is the arithmetic documented on PlanLine, on the planned demand
// shifted by shift (the downgrade lever).
func planLine(t TypeReport, reclaim, later int64, headroomPct, shift float64) PlanLine {
	l := PlanLine{Type: t.Type, Label: t.Label, Licensed: t.Licensed, Allocated: t.Allocated,
		Reclaimable: reclaim, ReclaimableLater: later}
	now, unmet := today(t)
	d := t.Forecast.Demand
	recon := t.Forecast.ReconstructedPoints > 0
	if recon {
		d = t.Forecast.MeasuredDemand // reconstructed days never buy on their own
	}
	l.Basis, l.DemandMean, l.Demand = planDemand(d, now)
	l.Unmet = unmet
	l.arithmetic(headroomPct, shift)
	l.RestsOn = restsOn(t, l, headroomPct)
	if recon {
		alt := l
		alt.Basis, alt.DemandMean, alt.Demand = planDemand(t.Forecast.Demand, now)
		alt.arithmetic(headroomPct, shift)
		if alt.Buy != l.Buy {
			b := alt.Buy
			l.BuyWithReconstructed = &b
		}
	}
	return l
}

func (l *PlanLine) arithmetic(headroomPct, shift float64) {
	l.DemandMean = round1(max(0, l.DemandMean+shift))
	l.Demand = round1(max(0, l.Demand+shift))
	// The small epsilon keeps 110.00000001 (float noise of 100 × 1.1) from
	// becoming 111.
	l.Required = int64(math.Ceil(l.Demand*(1+headroomPct/100) - 1e-9))
	l.Shortfall = max(0, l.Required-l.Licensed)
	l.Reclaim = min(l.Reclaimable, l.Shortfall)
	l.Buy = l.Shortfall - l.Reclaim
	if l.Basis == BasisCurrent {
		l.Buy = 0 // today's count plus headroom is no purchase need
	}
	l.Spare = max(0, l.Licensed-l.Required)
}

// restsOn says what a line's demand figure rests on.
func restsOn(t TypeReport, l PlanLine, headroomPct float64) string {
	what := "allocated"
	if l.Unmet > 0 {
		what = fmt.Sprintf("demand (allocated + %.0f unmet, %s)", l.Unmet, sourceLabel(t.Unmet))
	}
	var s string
	switch l.Basis {
	case BasisCurrent:
		s = fmt.Sprintf("no forecast: today's %s plus %.0f%% headroom; not a purchase need", what, headroomPct)
	case BasisForecastMean:
		s = fmt.Sprintf("forecast mean of %s; the forecast gives no upper bound above it, so there is no margin for uncertainty beyond the %.0f%% headroom", what, headroomPct)
	default:
		lvl := 80.0
		if d := t.Forecast.Demand; d != nil && d.Level > 0 {
			lvl = d.Level * 100
		}
		s = fmt.Sprintf("upper end of the %.0f%% forecast interval of %s, plus %.0f%% headroom", lvl, what, headroomPct)
	}
	switch t.Forecast.Series {
	case SeriesDemand:
		s += "; fitted to demand at capacity"
	case SeriesBeforeCapacity:
		s += "; fitted to the history before the type reached its total (unmet demand not measured)"
	}
	if t.Forecast.ReconstructedPoints > 0 {
		if t.Forecast.MeasuredDemand == nil {
			s += "; the measured days are too few to forecast and reconstructed days never buy on their own"
		} else {
			s += "; measured days only (reconstructed days never buy on their own)"
		}
	}
	return s
}

func sourceLabel(u *UnmetType) string {
	if u == nil || u.Source == nil {
		return "no source"
	}
	if u.Estimate {
		return "qrs-estimate, an estimate"
	}
	return *u.Source
}

// planTypes are the types a plan covers: those bought as seats or passes.
func planType(t license.Type) bool { return t != license.AnalyzerCapacity }

// plan computes the lines and, when there are downgrade candidates and
// Analyzer seats, the same plan with them moved to Analyzer.
func plan(types []TypeReport, pop *population, days int, headroom float64, downgrades int64) Plan {
	var p Plan
	hasAnalyzer := false
	for _, t := range types {
		hasAnalyzer = hasAnalyzer || t.Type == license.Analyzer
	}
	var moved []PlanLine
	for _, t := range types {
		if !planType(t.Type) {
			continue
		}
		var free, later int64
		if t.PerUser {
			free, later, _ = reclaimable(pop, t.Type, days)
		}
		p.Lines = append(p.Lines, planLine(t, free, later, headroom, 0))
		shift := 0.0
		switch t.Type {
		case license.Professional:
			shift = -float64(downgrades)
		case license.Analyzer:
			shift = float64(downgrades)
		}
		moved = append(moved, planLine(t, free, later, headroom, shift))
	}
	p.Summary = summary(p.Lines, headroom)
	if downgrades > 0 && hasAnalyzer {
		p.WithDowngrades = &PlanVariant{Moves: downgrades, Lines: moved,
			Summary: fmt.Sprintf("with %d Professional users moved to Analyzer: %s", downgrades, summary(moved, headroom))}
	}
	return p
}

// summary turns the plan lines into the one sentence a manager reads.
func summary(lines []PlanLine, headroom float64) string {
	var buy, reclaim, current []string
	for _, l := range lines {
		if l.Buy > 0 {
			buy = append(buy, fmt.Sprintf("%d %s", l.Buy, shortLabel(l.Type)))
		}
		if l.Reclaim > 0 {
			reclaim = append(reclaim, fmt.Sprintf("%d %s", l.Reclaim, shortLabel(l.Type)))
		}
		if l.Basis == BasisCurrent && l.Shortfall > 0 {
			current = append(current, fmt.Sprintf("%s (%d)", shortLabel(l.Type), l.Shortfall))
		}
	}
	var s string
	switch {
	case len(lines) == 0:
		return "no licensed types found; nothing to plan"
	case len(buy) == 0 && len(reclaim) == 0 && len(current) > 0:
		s = "no purchase supported by a forecast"
	case len(buy) == 0 && len(reclaim) == 0:
		return "no purchase needed: the licensed seats cover the forecast demand and headroom"
	case len(buy) == 0:
		s = "reclaim " + join(reclaim) + " first; no purchase needed"
	case len(reclaim) == 0:
		s = "buy " + join(buy)
	default:
		s = "reclaim " + join(reclaim) + ", then buy " + join(buy)
	}
	if len(current) > 0 {
		s += fmt.Sprintf("; no forecast yet for %s: today's count plus %.0f%% headroom exceeds the licensed total by that many, which is not a purchase need", join(current), headroom)
	}
	return s
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

func whatIf(types []TypeReport, pop *population, days int, headroom float64) WhatIf {
	w := WhatIf{Days: days}
	for _, t := range types {
		if !t.PerUser {
			continue
		}
		free, later, excl := reclaimable(pop, t.Type, days)
		l := planLine(t, free, later, headroom, 0)
		w.Types = append(w.Types, WhatIfType{Type: t.Type, Free: free, Later: later, Excluded: excl, Buy: l.Buy})
	}
	return w
}

// planNotes are the caveats the plan needs next to it: where the
// reconstructed history would change the purchase, and which types were
// planned on demand at capacity.
func planNotes(types []TypeReport, p Plan) []string {
	var out []string
	byType := map[license.Type]TypeReport{}
	for _, t := range types {
		byType[t.Type] = t
	}
	for _, l := range p.Lines {
		t := byType[l.Type]
		if f := t.Forecast; f.SeriesNote != "" {
			out = append(out, fmt.Sprintf("%s: %s", l.Label, f.SeriesNote))
		}
		if b := l.BuyWithReconstructed; b != nil {
			out = append(out, fmt.Sprintf("%s: --include-reconstructed fits %d reconstructed days; trusting them would change the purchase from %d to %d (%+d). They are lower bounds rebuilt from allocation dates (released allocations left no trace), so they understate the past and overstate growth; the plan keeps %d, from the measured days",
				l.Label, t.Forecast.ReconstructedPoints, l.Buy, *b, *b-l.Buy, l.Buy))
		}
	}
	return out
}
