package report

import (
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/svgchart"
)

// HistoryChart is the history-and-forecast chart of one type, built once
// here for the HTML report and the dashboard alike (docs/CHARTS.md): the
// measured history as a filled area, the licensed total as a step line
// drawn through to the forecast horizon, the forecast band with its level,
// demand refused at the total, an "as of" line and the run-out, marked
// where the forecast reaches the licensed total. Analyzer Capacity is
// minutes used of the month's pool, with the day the pool runs out at the
// current burn rate. Nil when the type has no history.
func HistoryChart(r *Report, t *TypeReport) *svgchart.TimeSeriesChart {
	if len(t.History) == 0 {
		return nil
	}
	capacity := t.Type == license.AnalyzerCapacity
	used, total, unit := "allocated", "licensed", "seats"
	switch {
	case capacity:
		used, total, unit = "minutes used", "pool", "minutes"
	case t.Type == license.UserAccess || t.Type == license.LoginAccess:
		unit = "passes"
	}
	hist := svgchart.Series{Name: used, Style: svgchart.Area, Color: svgchart.ColorHistory, Class: "sc-allocated"}
	lic := svgchart.Series{Name: total, Style: svgchart.Step, Color: svgchart.ColorLicensed, Class: "sc-licensed"}
	for _, h := range t.History {
		hist.Points = append(hist.Points, svgchart.Point{T: h.Day, V: float64(h.Allocated), Reconstructed: h.Reconstructed})
		// A reconstructed day knows no licensed total unless it was
		// recorded; the line then starts with the first known one.
		if !h.Reconstructed || h.Licensed > 0 {
			lic.Points = append(lic.Points, svgchart.Point{T: h.Day, V: float64(h.Licensed)})
		}
	}
	title := t.Label
	if !capacity && unit == "seats" {
		title += " seats"
	}
	c := &svgchart.TimeSeriesChart{Title: title, YLabel: unit, Downsample: true}

	var bands []svgchart.Band
	interval := false
	for _, b := range t.Forecast.Band {
		bands = append(bands, svgchart.Band{T: b.Day, Mean: b.Mean, Lo: b.Lo, Hi: b.Hi})
		interval = interval || b.Hi > b.Lo
	}
	if len(bands) > 0 {
		c.Forecast = svgchart.Forecast{Name: "forecast", Bands: bands}
		if interval {
			c.Forecast.Name = fmt.Sprintf("forecast, %.0f%% interval", intervalPct(r.Settings.IntervalLevel))
		}
		// The licensed total as it stands, through to the horizon, so the
		// reader sees where the forecast reaches it.
		if n := len(lic.Points); n > 0 {
			end := bands[len(bands)-1].T
			if end.After(lic.Points[n-1].T) {
				lic.Points = append(lic.Points, svgchart.Point{T: end, V: lic.Points[n-1].V})
			}
		}
	}
	c.Series = []svgchart.Series{hist, lic}
	if dem := demandSeries(*t); len(dem.Points) > 0 {
		c.Series = append(c.Series, dem)
	}

	if !r.AsOf.IsZero() {
		c.Markers = append(c.Markers, svgchart.Marker{T: r.AsOf, Label: "as of " + r.AsOf.Format(time.DateOnly)})
	}
	if f := t.Forecast; f.Status == string(forecast.StatusRunsOut) && f.Date != nil {
		m := svgchart.Marker{T: *f.Date, Label: "run-out " + f.Date.Format(time.DateOnly), Color: svgchart.ColorLicensed,
			Dot: true, Value: float64(t.Licensed)}
		if f.Earliest != nil && f.Latest != nil {
			m.From, m.To = *f.Earliest, *f.Latest
		}
		c.Markers = append(c.Markers, m)
	}
	if cm := r.Capacity; capacity && cm != nil && cm.RunsOut != nil {
		c.Markers = append(c.Markers, svgchart.Marker{T: *cm.RunsOut, Label: "pool runs out " + cm.RunsOut.Format(time.DateOnly),
			Color: svgchart.ColorLicensed, Dot: true, Value: float64(cm.Licensed)})
	}
	return c
}

// intervalPct is the interval level in percent; the report's settings
// give it as a fraction (0.8), and 80 when unset.
func intervalPct(level float64) float64 {
	switch {
	case level <= 0:
		return 80
	case level <= 1:
		return level * 100
	}
	return level
}

// demandSeries is allocated plus unmet demand on the days it differs from
// allocated (empty when it never does).
func demandSeries(t TypeReport) svgchart.Series {
	s := svgchart.Series{Name: "demand (allocated + unmet)", Style: svgchart.Line, Color: svgchart.ColorDemand, Class: "sc-demand"}
	for _, h := range t.History {
		if h.Demand != nil {
			s.Points = append(s.Points, svgchart.Point{T: h.Day, V: *h.Demand})
		}
	}
	return s
}
