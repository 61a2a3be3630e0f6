package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/termtext"
)

// TextWidth is the width of the default text report: it fits an 80-column
// terminal, as an admin reads it over SSH or in a narrow console window.
const TextWidth = 80

// TextOptions choose the layout of the text report.
type TextOptions struct {
	// Wide writes one table row per type with every figure (about 145
	// columns), for a wide terminal or a file. The default is per-type
	// blocks wrapped at TextWidth.
	Wide bool
}

// WriteText writes the one-screen summary a manager reads, in the default
// layout that fits 80 columns: the plan first, then a block per type with
// its figures and forecast, the needs, the what-if thresholds, candidate
// counts, capacity and caveats.
func WriteText(w io.Writer, r *Report) error {
	return WriteTextWith(w, r, TextOptions{})
}

// WriteTextWith writes the text report in the layout o chooses.
func WriteTextWith(w io.Writer, r *Report, o TextOptions) error {
	t := &textOut{width: TextWidth}
	if o.Wide {
		t.width = 0
	}
	b := &t.b
	if o.Wide {
		fmt.Fprintf(b, "License report for %s as of %s (data collected %s), horizon %s (%d days)\n\n",
			r.Site, r.AsOf.Format(time.DateOnly), r.DataAt.Format("2006-01-02 15:04 MST"), r.HorizonEnd.Format(time.DateOnly), r.HorizonDays)
	} else {
		t.para("", "  ", fmt.Sprintf("License report for %s as of %s", r.Site, r.AsOf.Format(time.DateOnly)))
		t.para("", "  ", fmt.Sprintf("Data collected %s, horizon %s (%d days)",
			r.DataAt.Format("2006-01-02 15:04 MST"), r.HorizonEnd.Format(time.DateOnly), r.HorizonDays))
		b.WriteString("\n")
	}
	t.para("PLAN: ", "  ", r.Plan.Summary)
	b.WriteString("\n")

	if o.Wide {
		typeTable(b, r.Types)
		fmt.Fprintln(b, "\nFORECAST (run-out of the licensed total, 80% interval; error measured by backtest on this site's history)")
		for _, ty := range r.Types {
			fmt.Fprintf(b, "  %-28s %s\n", ty.Label+":", runoutText(ty.Forecast))
			if s := seriesText(ty.Forecast); s != "" {
				fmt.Fprintf(b, "  %-28s %s\n", "", s)
			}
			if bt := backtestText(ty.Forecast.Backtest, unitOf(ty)); bt != "" {
				fmt.Fprintf(b, "  %-28s %s\n", "", bt)
			}
		}
	} else {
		t.para("", "  ", "LICENSES (forecast: run-out of the licensed total, 80% interval; error measured by backtest on this site's history)")
		for _, ty := range r.Types {
			t.typeBlock(ty)
		}
	}

	b.WriteString("\n")
	t.para("", "  ", fmt.Sprintf("NEEDS BY %s (demand never below today; + %.0f%% headroom; reclaim = unused ≥ %d days)",
		r.HorizonEnd.Format(time.DateOnly), r.Settings.HeadroomPct, r.Settings.InactivityDays))
	t.plan(r.Plan.Lines, true)
	if v := r.Plan.WithDowngrades; v != nil {
		b.WriteString("\n")
		t.para("WITH DOWNGRADES: ", "  ", v.Summary)
		t.plan(v.Lines, false)
	}

	if len(r.WhatIf) > 0 {
		b.WriteString("\n")
		t.para("", "  ", "WHAT IF we reclaim allocations unused for … (after exclusions; seats to buy then)")
		for _, wi := range r.WhatIf {
			var parts []string
			for _, ty := range wi.Types {
				parts = append(parts, fmt.Sprintf("%s frees %d, buy %d", shortLabel(ty.Type), ty.Free, ty.Buy))
			}
			t.para(fmt.Sprintf("  %3d days: ", wi.Days), "             ", strings.Join(parts, "; "))
		}
	}

	c := r.Candidates.Sizes()
	b.WriteString("\n")
	t.para("CANDIDATES: ", "  ", fmt.Sprintf("%d to reclaim (unused ≥ %d days), %d Professional→Analyzer (no authoring in %d days), %d holding both Professional and Analyzer, %d capacity %s over %d minutes a month",
		c.Reclaim, r.Settings.InactivityDays, c.Downgrade, r.Settings.AuthoringDays, c.Dual, c.Capacity, plural(c.Capacity, "user", "users"), r.Settings.AnalyzerMinutes))
	fmt.Fprintln(b, "  (the lists: licmon report --format csv --candidates)")

	if cp := r.Capacity; cp != nil {
		b.WriteString("\n")
		t.para("", "  ", fmt.Sprintf("ANALYZER CAPACITY %s: %d of %d minutes used by %d %s (last month %s); %s",
			cp.Month, cp.Used, cp.Licensed, cp.Users, plural(cp.Users, "user", "users"), optInt(cp.LastMonth), cp.Reason))
	}
	t.unmet(r.UnmetDemand)
	if len(r.Notes) > 0 {
		fmt.Fprintln(b, "\nNOTES")
		for _, n := range r.Notes {
			t.para("  - ", "    ", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// textOut builds the text report; width 0 writes every paragraph on one
// line (the wide layout).
type textOut struct {
	b     strings.Builder
	width int
}

// para writes text as one paragraph, wrapped at the width: first starts
// the first line, rest the others.
func (t *textOut) para(first, rest, text string) {
	for _, l := range termtext.Wrap(text, t.width, first, rest) {
		t.b.WriteString(l)
		t.b.WriteByte('\n')
	}
}

// typeTable writes the wide table: one row per type with every figure.
func typeTable(b *strings.Builder, types []TypeReport) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TYPE\tLICENSED\tALLOCATED\tREMAINING\tUSED 7/30/90D\tNEVER USED\tUNUSED 30/60/90D\tQUARANTINED\tGROWTH/MONTH 30D/90D\t")
	for _, t := range types {
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
}

// typeBlock writes one type's figures and forecast as a block of short
// lines (the default layout).
func (t *textOut) typeBlock(ty TypeReport) {
	t.b.WriteString("\n")
	t.para("", "  ", fmt.Sprintf("%s: %d licensed, %d allocated, %d remaining, %d quarantined",
		ty.Label, ty.Licensed, ty.Allocated, ty.Remaining, ty.Quarantined))
	if u := ty.Usage; u != nil {
		t.para("  ", "    ", fmt.Sprintf("used in the last 7/30/90 days: %d/%d/%d; never used: %d", u.Used7, u.Used30, u.Used90, u.NeverUsed))
		t.para("  ", "    ", fmt.Sprintf("unused for 30/60/90 days: %d/%d/%d", u.Unused30, u.Unused60, u.Unused90))
	}
	g := fmt.Sprintf("growth a month: %s over 30 days, %s over 90 days", optSigned(ty.Growth30PerMonth), optSigned(ty.Growth90PerMonth))
	if w := growthOf(ty); w != "" {
		g += " (" + w + ")"
	}
	t.para("  ", "    ", g)
	t.para("  forecast: ", "    ", runoutText(ty.Forecast))
	if s := seriesText(ty.Forecast); s != "" {
		t.para("    ", "    ", s)
	}
	if bt := backtestText(ty.Forecast.Backtest, unitOf(ty)); bt != "" {
		t.para("  ", "    ", bt)
	}
}

// seriesText says what a forecast was fitted to when it is not simply the
// allocation.
func seriesText(f Forecast) string {
	switch f.Series {
	case SeriesDemand:
		return "fitted to demand (allocated + unmet demand still waiting), not to the allocation held at the licensed total"
	case SeriesBeforeCapacity:
		return "fitted before the plateau: allocation sits at the licensed total"
	}
	return ""
}

// unitOf is what a type's counts are counted in.
func unitOf(ty TypeReport) string {
	if ty.Type == license.AnalyzerCapacity {
		return "minutes"
	}
	return "seats"
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
	if w := growthOf(t); w != "" {
		s += " " + w
	}
	return s
}

// growthOf names what a type's growth measures when it is not the
// allocation: "demand", "before full", or "" (the allocation, or unknown).
func growthOf(t TypeReport) string {
	if t.Growth30PerMonth == nil && t.Growth90PerMonth == nil {
		return ""
	}
	switch t.Forecast.Series {
	case SeriesDemand:
		return "demand"
	case SeriesBeforeCapacity:
		return "before full"
	}
	return ""
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

// plan writes the arithmetic of plan lines: a table in the wide layout, a
// block per line in the default one. restsOn adds what each demand figure
// rests on.
func (t *textOut) plan(lines []PlanLine, restsOn bool) {
	if t.width == 0 {
		tw := tabwriter.NewWriter(&t.b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "TYPE\tLICENSED\tDEMAND\tREQUIRED\tRECLAIMABLE\tRECLAIM\tBUY\tSPARE\t")
		for _, l := range lines {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%s\t%d\t\n", l.Label, l.Licensed, demandText(l), l.Required, l.Reclaimable, l.Reclaim, planBuy(l), l.Spare)
		}
		tw.Flush()
		if restsOn {
			for _, l := range lines {
				fmt.Fprintf(&t.b, "  %s demand: %s\n", l.Label, l.RestsOn)
			}
		}
		return
	}
	for _, l := range lines {
		t.para("  ", "    ", fmt.Sprintf("%s: demand %s, required %d of %d licensed; reclaim %d of %d reclaimable, buy %s, spare %d",
			l.Label, demandText(l), l.Required, l.Licensed, l.Reclaim, l.Reclaimable, planBuy(l), l.Spare))
		if restsOn {
			t.para("    demand: ", "      ", l.RestsOn)
		}
	}
}

// demandText is a plan line's demand with its basis when that is not the
// forecast interval.
func demandText(l PlanLine) string {
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
	return demand
}

// planBuy is a plan line's purchase; without a forecast there is none.
func planBuy(l PlanLine) string {
	if l.Basis == BasisCurrent {
		return "none (no forecast)"
	}
	return fmt.Sprint(l.Buy)
}

// unmet writes unmet demand per type with its source.
func (t *textOut) unmet(u UnmetDemand) {
	if !u.Available {
		t.b.WriteString("\n")
		t.para("UNMET DEMAND: ", "  ", u.Note)
		return
	}
	t.b.WriteString("\n")
	t.para("", "  ", fmt.Sprintf("UNMET DEMAND (refusals in the last %d days, per type from one source; sources are never summed)", UnmetWindowDays))
	for _, ty := range u.Types {
		first, rest := fmt.Sprintf("  %-28s ", ty.Label+":"), strings.Repeat(" ", 31)
		if t.width > 0 {
			first, rest = "  "+ty.Label+": ", "    "
		}
		if ty.Source == nil {
			t.para(first, rest, fmt.Sprintf("%s (%s)", unknown, ty.Note))
			continue
		}
		line := fmt.Sprintf("%d %s, source %s", *ty.Denials, plural(int(*ty.Denials), "refusal", "refusals"), *ty.Source)
		if ty.Estimate {
			line += " (an estimate: users who appeared without a seat while the type was full)"
		}
		if ty.AtCapacity {
			line += fmt.Sprintf("; %s still waiting today, added to demand", optNum(ty.Waiting))
		}
		var others []string
		for _, s := range ty.Sources {
			if s.Source != *ty.Source {
				others = append(others, fmt.Sprintf("%s %d", s.Source, s.Denials))
			}
		}
		if len(others) > 0 {
			line += "; also recorded, not used: " + strings.Join(others, ", ")
		}
		t.para(first, rest, line)
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

// backtestText is a forecast's measured error: MAPE in percent and the mean
// absolute error in the type's unit.
func backtestText(b *Backtest, unit string) string {
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
		parts = append(parts, fmt.Sprintf("MAPE %.1f%% (mean error ±%.1f %s) at %d days", h.MAPE, h.MAE, unit, h.Days))
	}
	return "backtest: " + strings.Join(parts, ", ")
}

// count is n with its noun: "1 object", "3 objects".
func count(n int, one, many string) string { return fmt.Sprint(n) + " " + plural(n, one, many) }

// sentence starts s with a capital letter, for a clause the model writes
// in lower case that a renderer shows as a sentence of its own.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
