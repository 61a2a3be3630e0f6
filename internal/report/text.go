package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/licmon/licmon/internal/forecast"
)

// WriteText writes the one-screen summary a manager reads: the plan first,
// then the table per type, the forecasts with their measured error, the
// what-if thresholds, candidate counts, capacity and caveats.
func WriteText(w io.Writer, r *Report) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "License report for %s as of %s (data collected %s), horizon %s (%d days)\n\n",
		r.Site, r.AsOf.Format(time.DateOnly), r.DataAt.Format("2006-01-02 15:04 MST"), r.HorizonEnd.Format(time.DateOnly), r.HorizonDays)
	fmt.Fprintf(b, "PLAN: %s\n\n", r.Plan.Summary)

	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TYPE\tLICENSED\tALLOCATED\tREMAINING\tUSED 7/30/90D\tNEVER USED\tUNUSED 30/60/90D\tQUARANTINED\tGROWTH/MONTH 30D/90D\t")
	for _, t := range r.Types {
		used, never, unused := "-", "-", "-"
		if u := t.Usage; u != nil {
			used = fmt.Sprintf("%d/%d/%d", u.Used7, u.Used30, u.Used90)
			never = fmt.Sprint(u.NeverUsed)
			unused = fmt.Sprintf("%d/%d/%d", u.Unused30, u.Unused60, u.Unused90)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t%s\t\n", t.Label, t.Licensed, t.Allocated, t.Remaining,
			used, never, unused, t.Quarantined, growthText(t, "/"))
	}
	tw.Flush()

	fmt.Fprintln(b, "\nFORECAST (run-out of the licensed total, 80% interval; error measured by backtest on this site's history)")
	for _, t := range r.Types {
		fmt.Fprintf(b, "  %-28s %s\n", t.Label+":", runoutText(t.Forecast))
		if t.Forecast.Series == SeriesDemand {
			fmt.Fprintf(b, "  %-28s %s\n", "", "fitted to demand (allocated + unmet demand still waiting), not to the allocation held at the licensed total")
		} else if t.Forecast.Series == SeriesBeforeCapacity {
			fmt.Fprintf(b, "  %-28s %s\n", "", "fitted before the plateau: allocation sits at the licensed total")
		}
		if bt := backtestText(t.Forecast.Backtest); bt != "" {
			fmt.Fprintf(b, "  %-28s %s\n", "", bt)
		}
	}

	fmt.Fprintf(b, "\nNEEDS BY %s (demand never below today; + %.0f%% headroom; reclaim = unused ≥ %d days)\n",
		r.HorizonEnd.Format(time.DateOnly), r.Settings.HeadroomPct, r.Settings.InactivityDays)
	planTable(b, r.Plan.Lines)
	for _, l := range r.Plan.Lines {
		fmt.Fprintf(b, "  %s demand: %s\n", l.Label, l.RestsOn)
	}
	if v := r.Plan.WithDowngrades; v != nil {
		fmt.Fprintf(b, "\nWITH DOWNGRADES: %s\n", v.Summary)
		planTable(b, v.Lines)
	}

	if len(r.WhatIf) > 0 {
		fmt.Fprintln(b, "\nWHAT IF we reclaim allocations unused for … (after exclusions; seats to buy then)")
		for _, wi := range r.WhatIf {
			var parts []string
			for _, t := range wi.Types {
				parts = append(parts, fmt.Sprintf("%s frees %d, buy %d", shortLabel(t.Type), t.Free, t.Buy))
			}
			fmt.Fprintf(b, "  %3d days: %s\n", wi.Days, strings.Join(parts, "; "))
		}
	}

	c := r.Candidates
	fmt.Fprintf(b, "\nCANDIDATES: %d to reclaim (unused ≥ %d days), %d Professional→Analyzer (no authoring in %d days), %d holding both Professional and Analyzer, %d capacity users over %d minutes a month\n",
		len(c.Reclaim), r.Settings.InactivityDays, len(c.Downgrade), r.Settings.AuthoringDays, len(c.Dual), len(c.Capacity), r.Settings.AnalyzerMinutes)
	fmt.Fprintln(b, "  (the lists: licmon report --format csv --candidates)")

	if cp := r.Capacity; cp != nil {
		fmt.Fprintf(b, "\nANALYZER CAPACITY %s: %d of %d minutes used by %d %s (last month %s); %s\n",
			cp.Month, cp.Used, cp.Licensed, cp.Users, plural(cp.Users, "user", "users"), optInt(cp.LastMonth), cp.Reason)
	}
	writeUnmetText(b, r.UnmetDemand)
	if len(r.Notes) > 0 {
		fmt.Fprintln(b, "\nNOTES")
		for _, n := range r.Notes {
			fmt.Fprintf(b, "  - %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// unknown is how every renderer shows a figure that is not known.
const unknown = "–"

func optSigned(v *float64) string {
	if v == nil {
		return unknown
	}
	return signed(*v)
}

// growthText is a type's growth per month over 30 and 90 days (joined by
// sep), naming what grew when it is not the allocation: a type at its
// licensed total holds its allocation flat, and its growth is that of the
// series its forecast is fitted to (demand, or the history before it
// became full).
func growthText(t TypeReport, sep string) string {
	s := optSigned(t.Growth30PerMonth) + sep + optSigned(t.Growth90PerMonth)
	if t.Growth30PerMonth == nil && t.Growth90PerMonth == nil {
		return s
	}
	switch t.Forecast.Series {
	case SeriesDemand:
		s += " demand"
	case SeriesBeforeCapacity:
		s += " before full"
	}
	return s
}

func optInt(v *int64) string {
	if v == nil {
		return unknown
	}
	return fmt.Sprint(*v)
}

func optIntv(v *int) string {
	if v == nil {
		return unknown
	}
	return fmt.Sprint(*v)
}

func optNum(v *float64) string {
	if v == nil {
		return unknown
	}
	return fmt.Sprintf("%.0f", *v)
}

// planTable writes the arithmetic of plan lines.
func planTable(b *strings.Builder, lines []PlanLine) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TYPE\tLICENSED\tDEMAND\tREQUIRED\tRECLAIMABLE\tRECLAIM\tBUY\tSPARE\t")
	for _, l := range lines {
		demand := fmt.Sprintf("%.0f", l.Demand)
		switch l.Basis {
		case BasisCurrent:
			demand += " (today; no forecast)"
		case BasisForecastMean:
			demand += " (forecast mean; no interval)"
		}
		if l.Unmet > 0 {
			demand += fmt.Sprintf(" incl. %.0f unmet", l.Unmet)
		}
		buy := fmt.Sprint(l.Buy)
		if l.Basis == BasisCurrent {
			buy = "none (no forecast)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%s\t%d\t\n", l.Label, l.Licensed, demand, l.Required, l.Reclaimable, l.Reclaim, buy, l.Spare)
	}
	tw.Flush()
}

// writeUnmetText writes unmet demand per type with its source.
func writeUnmetText(b *strings.Builder, u UnmetDemand) {
	if !u.Available {
		fmt.Fprintf(b, "\nUNMET DEMAND: %s\n", u.Note)
		return
	}
	fmt.Fprintf(b, "\nUNMET DEMAND (refusals in the last %d days, per type from one source; sources are never summed)\n", UnmetWindowDays)
	for _, t := range u.Types {
		if t.Source == nil {
			fmt.Fprintf(b, "  %-28s %s (%s)\n", t.Label+":", unknown, t.Note)
			continue
		}
		line := fmt.Sprintf("%d refusals, source %s", *t.Denials, *t.Source)
		if t.Estimate {
			line += " (an estimate: users who appeared without a seat while the type was full)"
		}
		if t.AtCapacity {
			line += fmt.Sprintf("; %s still waiting today, added to demand", optNum(t.Waiting))
		}
		var others []string
		for _, s := range t.Sources {
			if s.Source != *t.Source {
				others = append(others, fmt.Sprintf("%s %d", s.Source, s.Denials))
			}
		}
		if len(others) > 0 {
			line += "; also recorded, not used: " + strings.Join(others, ", ")
		}
		fmt.Fprintf(b, "  %-28s %s\n", t.Label+":", line)
	}
}

func signed(v float64) string {
	if v > 0 {
		return fmt.Sprintf("+%.1f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func dateText(t *time.Time) string {
	if t == nil {
		return "beyond the horizon"
	}
	return t.Format(time.DateOnly)
}

// runoutText is the forecast in one line.
func runoutText(f Forecast) string {
	switch f.Status {
	case string(forecast.StatusRunsOut):
		return fmt.Sprintf("runs out %s (80%% interval %s to %s), in %s days", f.Date.Format(time.DateOnly), dateText(f.Earliest), dateText(f.Latest), optIntv(f.DaysLeft))
	case string(forecast.StatusAlreadyExceeded):
		return "already at or above the licensed total"
	case string(forecast.StatusNotEnoughHistory):
		return "not enough history to forecast: " + f.Reason
	case string(forecast.StatusNotWithinHorizon), string(forecast.StatusFlatOrDeclining):
		s := "does not run out within the horizon"
		if f.Earliest != nil && f.Probability != nil {
			s += fmt.Sprintf(" (%.0f%% of simulated paths do, earliest %s)", *f.Probability*100, f.Earliest.Format(time.DateOnly))
		}
		if f.Status == string(forecast.StatusFlatOrDeclining) {
			s += "; flat or declining"
		}
		return s
	}
	return f.Reason
}

func backtestText(b *Backtest) string {
	if b == nil {
		return ""
	}
	if b.Status != forecast.BacktestOK {
		return "backtest: " + b.Reason
	}
	var parts []string
	for _, h := range b.Horizons {
		if h.N == 0 {
			parts = append(parts, fmt.Sprintf("%d days: %s", h.Days, h.Reason))
			continue
		}
		parts = append(parts, fmt.Sprintf("MAPE %.1f%% (±%.1f) at %d days", h.MAPE, h.MAE, h.Days))
	}
	return "backtest: " + strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
