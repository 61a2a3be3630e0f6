package svgchart

import (
	"math"
	"time"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// history is a deterministic growing series with weekly wiggle: step days between points from
// from to to, values from v0 to v1.
func history(from, to time.Time, step int, v0, v1 float64) []Point {
	var pts []Point
	n := int(to.Sub(from).Hours()/24) / step
	for i := 0; i <= n; i++ {
		f := float64(i) / float64(max(n, 1))
		v := math.Round(v0 + (v1-v0)*f + 6*math.Sin(float64(i)*0.7))
		pts = append(pts, Point{T: addDays(from, i*step), V: v})
	}
	return pts
}

// bands is a widening forecast fan from start for days days at the given step.
func bands(start time.Time, days, step int, v0, perDay float64) []Band {
	var out []Band
	for k := step; k <= days; k += step {
		m := v0 + perDay*float64(k)
		w := 3 + 1.6*math.Sqrt(float64(k))*2
		out = append(out, Band{T: addDays(start, k), Mean: m, Lo: m - w, Hi: m + w})
	}
	return out
}

// forecastChart is the report's main chart: history, licensed line, forecast fan, run-out.
func forecastChart(step int) *TimeSeriesChart {
	last := day(2026, 11, 26)
	return &TimeSeriesChart{
		Title:      "Professional allocated",
		YLabel:     "seats",
		Series:     []Series{{Name: "Professional allocated", Points: history(day(2024, 1, 1), last, step, 310, 460), Style: Area}},
		Thresholds: []Threshold{{Value: 500, Label: "licensed"}},
		Forecast:   Forecast{Name: "forecast, 80% interval", Bands: bands(last, 365, step, 460, 0.25)},
		Markers: []Marker{
			{T: last, Label: "as of 2026-11-26"},
			{T: day(2027, 5, 3), Label: "run-out 2027-05-03", From: day(2027, 4, 10), To: day(2027, 7, 20), Color: ColorLicensed, Dot: true, Value: 500},
		},
	}
}

// reconChart mixes backfilled (reconstructed) and measured points, plus a step series.
func reconChart() *TimeSeriesChart {
	pro := history(day(2026, 9, 1), day(2026, 10, 10), 1, 120, 180)
	for i := range pro[:15] {
		pro[i].Reconstructed = true
	}
	an := history(day(2026, 9, 1), day(2026, 10, 10), 5, 40, 60)
	return &TimeSeriesChart{
		Title:  "Allocated by type",
		Series: []Series{{Name: "Professional", Points: pro}, {Name: "Analyzer", Points: an, Style: Step}},
	}
}

var (
	gauge40  = &Gauge{Label: "Professional", Value: 200, Max: 500, RunOut: "no run-out within a year"}
	gauge85  = &Gauge{Label: "Analyzer", Value: 425, Max: 500, RunOut: "run-out 2027-05-03"}
	gauge101 = &Gauge{Label: "Professional", Value: 505, Max: 500, RunOut: "already exceeded"}
)

func nan() float64 { return math.NaN() }
