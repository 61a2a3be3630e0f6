package report

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/demand"
	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
)

// historyYears bounds how far back the report reads daily points.
const historyYears = 10

// Series values: what a type's forecast was fitted to.
const (
	// SeriesAllocated: the allocated series (the type is not at its total).
	SeriesAllocated = "allocated"
	// SeriesDemand: allocated plus the unmet demand still waiting, on the
	// days the type sat at its total (see docs/FORECASTING.md).
	SeriesDemand = "demand"
	// SeriesBeforeCapacity: the allocated series up to the day the type
	// reached its total; the plateau after it measures the license, not
	// demand, and no denials are recorded to measure demand on it.
	SeriesBeforeCapacity = "allocated-before-capacity"
)

// minPlateauDays is how many days a type must sit flat at its total before
// the report stops reading the allocated series as demand.
const minPlateauDays = 7

// forecastType fills the history, growth, unmet demand and forecast of one
// type.
func forecastType(ctx context.Context, st Source, site string, tr *TypeReport, asOf, end time.Time, o Options) error {
	from := asOf.AddDate(-historyYears, 0, 0)
	pts, err := st.CounterSeries(ctx, site, tr.Type, from, asOf)
	if err != nil {
		return fmt.Errorf("read %s history of %s: %w", tr.Type, site, err)
	}
	denials, err := st.Denials(ctx, site, tr.Type, from, asOf)
	if err != nil {
		return fmt.Errorf("read %s access denials of %s: %w", tr.Type, site, err)
	}
	source, chosen := demand.Choose(denials)
	waiting := demand.NewWaiting(source, chosen)
	tr.Unmet = unmetType(tr, denials, source, waiting, asOf)

	dp := make([]demand.Point, len(pts))
	tr.History = make([]HistoryPoint, 0, len(pts))
	for i, p := range pts {
		a, l := dailyValues(p)
		dp[i] = demand.Point{Day: p.Day.UTC(), Allocated: float64(a), Licensed: float64(l)}
		tr.History = append(tr.History, HistoryPoint{Day: p.Day.UTC(), Allocated: a, Licensed: l, Reconstructed: p.Reconstructed})
	}
	values := demand.Series(dp, waiting)
	for i := range tr.History {
		if values[i] != dp[i].Allocated {
			v := values[i]
			tr.History[i].Demand = &v
		}
	}
	f := &tr.Forecast
	if tr.Type == license.AnalyzerCapacity {
		f.Status, f.Reason = StatusNotApplicable, "capacity minutes renew each calendar month; see the capacity section for this month's burn"
		return nil
	}

	// What the forecast is fitted to: allocated, demand at capacity, or the
	// allocated history before a plateau nobody measured past.
	series := make([]forecast.Point, 0, len(pts))
	f.Series = SeriesAllocated
	capacity := float64(tr.Licensed)
	atCap := tr.Licensed > 0 && tr.Allocated >= tr.Licensed
	switch {
	case atCap && source != "":
		f.Series = SeriesDemand
		f.SeriesNote = fmt.Sprintf("at its licensed total: fitted to demand = allocated + unmet demand still waiting (%s)", sourceText(source))
		// Days at the total before the source recorded anything have an
		// unknown unmet demand, not none: they are left out (the forecast
		// bridges the gap) rather than read as a plateau.
		since := license.Day(chosen[0].Day)
		skipped := 0
		for i, p := range pts {
			if demand.AtCapacity(dp[i]) && p.Day.Before(since) {
				if !p.Reconstructed || o.IncludeReconstructed {
					skipped++
				}
				continue
			}
			series = append(series, forecast.Point{Day: p.Day.UTC(), Value: values[i], Reconstructed: p.Reconstructed})
		}
		if skipped > 0 {
			f.SeriesNote += fmt.Sprintf("; %d earlier %s at the total, before the source starts on %s, %s left out (their unmet demand is unknown)",
				skipped, plural(skipped, "day", "days"), since.Format(time.DateOnly), plural(skipped, "is", "are"))
		}
	default:
		n := len(pts)
		if atCap {
			if start, ok := flatPlateau(dp, pts); ok {
				n = start
				f.Series = SeriesBeforeCapacity
				f.SeriesNote = fmt.Sprintf("at its licensed total since %s: allocation cannot grow past it, so the plateau measures the license, not demand; fitted to the history before it; no access denials are recorded to measure the demand turned away (import the proxy logs)",
					pts[start].Day.UTC().Format(time.DateOnly))
			}
		}
		for _, p := range pts[:n] {
			series = append(series, forecast.Point{Day: p.Day.UTC(), Value: float64(dailyAllocated(p)), Reconstructed: p.Reconstructed})
		}
	}
	tr.Growth30PerMonth, tr.Growth90PerMonth = nil, nil

	fo := withHorizon(forecast.Options{Seed: o.Seed, Bootstrap: o.Bootstrap, IncludeReconstructed: o.IncludeReconstructed}, series, end)
	m, res, err := fit(series, capacity, fo)
	if err != nil {
		return fmt.Errorf("forecast %s of %s: %w", tr.Type, site, err)
	}
	tr.Growth30PerMonth = growth(series, o.IncludeReconstructed, 30, res.Slope30)
	tr.Growth90PerMonth = growth(series, o.IncludeReconstructed, 90, res.Slope90)
	f.Status, f.Reason = string(res.Status), res.Reason
	if f.Series == SeriesBeforeCapacity && res.Status == forecast.StatusNotEnoughHistory {
		f.Reason = "at its licensed total, and the history before it is too short to forecast (" + res.Reason + ")"
	}
	if f.Series == SeriesDemand {
		f.Reason = "demand: " + res.Reason
	}
	f.Date, f.Earliest, f.Latest = res.Date, res.Earliest, res.Latest
	f.Method = res.Method
	if res.Date != nil && res.DaysLeft >= 0 {
		d := res.DaysLeft
		f.DaysLeft = &d
	}
	if res.Status != forecast.StatusNotEnoughHistory {
		p := res.Probability
		f.Probability = &p
	}
	if tr.Licensed == 0 && res.Status != forecast.StatusNotEnoughHistory {
		f.Status, f.Reason = StatusNoLicense, "nothing is licensed for this type"
		f.Date, f.Earliest, f.Latest, f.DaysLeft, f.Probability = nil, nil, nil, nil, nil
	}
	if m == nil {
		return nil
	}
	f.Points, f.ReconstructedPoints = m.Points, m.ReconstructedPoints
	if mean, lo, hi, err := m.Predict(end); err == nil {
		f.Demand = demandOf(license.Day(end), mean, lo, hi, m.IntervalLevel)
	}
	for _, b := range m.Path(license.Day(end).Sub(m.LastDay)) {
		f.Band = append(f.Band, BandPoint{Day: b.Day.UTC(), Mean: round1(max(0, b.Mean)), Lo: round1(max(0, b.Lo)), Hi: round1(max(0, b.Hi))})
	}
	if m.ReconstructedPoints > 0 {
		// Reconstructed history never buys seats on its own: the plan needs
		// the forecast of the measured days too.
		mo := fo
		mo.IncludeReconstructed = false
		if mm, _, err := fit(series, capacity, withHorizon(mo, series, end)); err == nil && mm != nil {
			if mean, lo, hi, err := mm.Predict(end); err == nil {
				f.MeasuredDemand = demandOf(license.Day(end), mean, lo, hi, mm.IntervalLevel)
			}
		}
	}
	if !o.NoBacktest {
		bt, err := forecast.Backtest(series, fo, 30, 90)
		if err != nil {
			return fmt.Errorf("backtest %s of %s: %w", tr.Type, site, err)
		}
		f.Backtest = &Backtest{Status: bt.Status, Reason: bt.Reason}
		for _, h := range bt.Horizons {
			f.Backtest.Horizons = append(f.Backtest.Horizons, BacktestScore{Days: h.Days, N: h.N,
				MAPE: round2(h.MAPE), MAE: round2(h.MAE), Coverage: round2(h.Coverage), Reason: h.Reason})
		}
	}
	return nil
}

// withHorizon sets the horizon to reach end from the last observation,
// which may be before the report date (a plateau left out, a late
// collection).
func withHorizon(fo forecast.Options, series []forecast.Point, end time.Time) forecast.Options {
	if last := lastDay(series, fo.IncludeReconstructed); !last.IsZero() {
		fo.Horizon = max(day, license.Day(end).Sub(last))
	}
	return fo
}

// fit fits the series and evaluates its run-out against capacity; m is nil
// when the history is too short (res then says why).
func fit(series []forecast.Point, capacity float64, fo forecast.Options) (*forecast.Model, forecast.Result, error) {
	m, err := forecast.Fit(series, fo)
	switch {
	case err == nil:
		return m, m.RunOut(capacity), nil
	case errors.Is(err, forecast.ErrNotEnoughHistory):
		res, err := forecast.RunOut(series, capacity, fo)
		return nil, res, err
	}
	return nil, forecast.Result{}, err
}

// flatPlateau finds the trailing run of days at capacity and reports
// whether it is a plateau: at least minPlateauDays measured days, none
// above the licensed total by more than 1% (a site whose allocation keeps
// growing past its total is not capped, and its series still measures
// demand). It returns the index of the plateau's first point.
func flatPlateau(dp []demand.Point, pts []license.DailyCounters) (int, bool) {
	start := demand.PlateauStart(dp)
	measured := 0
	for i := start; i < len(dp); i++ {
		if dp[i].Allocated > dp[i].Licensed*1.01+1 {
			return 0, false
		}
		if !pts[i].Reconstructed {
			measured++
		}
	}
	return start, measured >= minPlateauDays
}

// dailyAllocated is the allocated value of a daily point (see dailyValues).
func dailyAllocated(p license.DailyCounters) int64 {
	a, _ := dailyValues(p)
	return a
}

// growth is the growth per month over the last window days of the fitted
// series, or nil when fewer than two days of it were observed there (one
// collection says nothing about growth).
func growth(series []forecast.Point, recon bool, window int, slope float64) *float64 {
	last := lastDay(series, recon)
	if last.IsZero() {
		return nil
	}
	cut := last.AddDate(0, 0, -window)
	seen := map[time.Time]bool{}
	for _, p := range series {
		if (recon || !p.Reconstructed) && license.Day(p.Day).After(cut) {
			seen[license.Day(p.Day)] = true
		}
	}
	if len(seen) < 2 {
		return nil
	}
	v := round1(slope)
	return &v
}

// demandOf is a forecast value as the report shows it: never below zero,
// and an interval only where it is one. A lower bound below zero seats is
// clipped to zero; a bound that coincides with the mean is no interval and
// is left unknown, so nothing downstream reads it as uncertainty.
func demandOf(d time.Time, mean, lo, hi, level float64) *Demand {
	out := &Demand{Day: d, Mean: round1(max(0, mean)), Level: level}
	const eps = 0.05
	if lo < mean-eps {
		v := round1(max(0, lo))
		out.Lo = &v
	}
	if hi > mean+eps {
		v := round1(hi)
		out.Hi = &v
	}
	return out
}

func lastDay(s []forecast.Point, recon bool) time.Time {
	for i := len(s) - 1; i >= 0; i-- {
		if recon || !s[i].Reconstructed {
			return license.Day(s[i].Day)
		}
	}
	return time.Time{}
}
