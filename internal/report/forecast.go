package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

// historyYears bounds how far back the report reads daily points.
const historyYears = 10

// forecastType fills the history, growth and forecast of one type.
func forecastType(ctx context.Context, st store.Store, site string, tr *TypeReport, asOf, end time.Time, o Options) error {
	pts, err := st.CounterSeries(ctx, site, tr.Type, asOf.AddDate(-historyYears, 0, 0), asOf)
	if err != nil {
		return fmt.Errorf("read %s history of %s: %w", tr.Type, site, err)
	}
	series := make([]forecast.Point, 0, len(pts))
	tr.History = make([]HistoryPoint, 0, len(pts))
	for _, p := range pts {
		a, l := dailyValues(p)
		tr.History = append(tr.History, HistoryPoint{Day: p.Day.UTC(), Allocated: a, Licensed: l, Reconstructed: p.Reconstructed})
		series = append(series, forecast.Point{Day: p.Day.UTC(), Value: float64(a), Reconstructed: p.Reconstructed})
	}
	f := &tr.Forecast
	f.DaysLeft = -1
	if tr.Type == license.AnalyzerCapacity {
		f.Status, f.Reason = StatusNotApplicable, "capacity minutes renew each calendar month; see the capacity section for this month's burn"
		return nil
	}
	fo := forecast.Options{Seed: o.Seed, Bootstrap: o.Bootstrap, IncludeReconstructed: o.IncludeReconstructed}
	// The horizon counts from the last observation, which may be before asOf.
	last := lastDay(series, o.IncludeReconstructed)
	if !last.IsZero() {
		fo.Horizon = max(day, license.Day(end).Sub(last))
	}
	m, ferr := forecast.Fit(series, fo)
	var res forecast.Result
	switch {
	case ferr == nil:
		res = m.RunOut(float64(tr.Licensed))
	case errors.Is(ferr, forecast.ErrNotEnoughHistory):
		res, err = forecast.RunOut(series, float64(tr.Licensed), fo)
		if err != nil {
			return fmt.Errorf("forecast %s of %s: %w", tr.Type, site, err)
		}
	default:
		return fmt.Errorf("forecast %s of %s: %w", tr.Type, site, ferr)
	}
	tr.Growth30PerMonth, tr.Growth90PerMonth = round1(res.Slope30), round1(res.Slope90)
	f.Status, f.Reason = string(res.Status), res.Reason
	f.Date, f.Earliest, f.Latest = res.Date, res.Earliest, res.Latest
	f.DaysLeft, f.Probability, f.Method = res.DaysLeft, res.Probability, res.Method
	if tr.Licensed == 0 && res.Status != forecast.StatusNotEnoughHistory {
		f.Status, f.Reason = StatusNoLicense, "nothing is licensed for this type"
		f.Date, f.Earliest, f.Latest, f.DaysLeft, f.Probability = nil, nil, nil, -1, 0
	}
	if m == nil {
		return nil
	}
	f.Points, f.ReconstructedPoints = m.Points, m.ReconstructedPoints
	if mean, lo, hi, err := m.Predict(end); err == nil {
		f.Demand = &Demand{Day: license.Day(end), Mean: round1(mean), Lo: round1(lo), Hi: round1(hi)}
	}
	for _, b := range m.Path(license.Day(end).Sub(m.LastDay)) {
		f.Band = append(f.Band, BandPoint{Day: b.Day.UTC(), Mean: round1(b.Mean), Lo: round1(b.Lo), Hi: round1(b.Hi)})
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

func lastDay(s []forecast.Point, recon bool) time.Time {
	for i := len(s) - 1; i >= 0; i-- {
		if recon || !s[i].Reconstructed {
			return license.Day(s[i].Day)
		}
	}
	return time.Time{}
}

func round2(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*100) / 100
}
