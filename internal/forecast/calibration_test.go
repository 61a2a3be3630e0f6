package forecast

import (
	"fmt"
	"sync"
	"testing"

	"github.com/licmon/licmon/internal/forecast/synth"
)

// The calibration test forecasts generated series with known futures (internal/forecast/synth:
// eight growth shapes, weekday batches, integer counts) and scores the 80% interval 30, 90 and
// 180 days ahead. bench/forecast.sh runs the same measurement with more series and paths, side
// by side with R's ets and rwf; docs/FORECASTING.md records its table.
const (
	calibSeries = 320 // per group: 40 of each shape
	calibPaths  = 200
	calibSeed   = 2026
	calibMethod = "licmon"
	driftMethod = "rwf"
)

// calibForecasts fits every generated series once per test binary.
var calibForecasts = sync.OnceValues(func() ([]synth.Series, []synth.Forecast) {
	return forecastGenerated(false)
})

func forecastGenerated(holtOnly bool) ([]synth.Series, []synth.Forecast) {
	var series []synth.Series
	for _, g := range []synth.Group{synth.Short, synth.Long} {
		series = append(series, synth.Generate(g, calibSeries, 180, calibSeed)...)
	}
	fs := make([]synth.Forecast, len(series))
	for i, s := range series {
		c, err := Options{Horizon: 180 * Day, Bootstrap: calibPaths, Seed: uint64(i)}.resolve()
		if err != nil {
			panic(err)
		}
		c.holtOnly = holtOnly
		d, err := resample(seriesPoints(s.History), false)
		if err != nil {
			panic(err)
		}
		m := fitDaily(d, c)
		fs[i] = synth.Forecast{Mean: m.mean, Lo: m.lo, Hi: m.hi}
	}
	return series, fs
}

func seriesPoints(y []float64) []Point {
	p := make([]Point, len(y))
	for i, v := range y {
		p[i] = Point{Day: day0.AddDate(0, 0, i), Value: v}
	}
	return p
}

// coverageProblems lists every group and horizon where the method's 80% interval held less than
// 70% or more than 90% of the outcomes.
func coverageProblems(res synth.Results, method string) []string {
	var out []string
	for _, g := range []synth.Group{synth.Short, synth.Long} {
		for _, h := range synth.Horizons {
			t := res[synth.Key{Method: method, Group: g, Horizon: h}]
			if t == nil {
				continue
			}
			if c := t.Coverage(); c < 0.70 || c > 0.90 {
				out = append(out, fmt.Sprintf("%s history, +%d days: coverage %.1f%%", g, h, 100*c))
			}
		}
	}
	return out
}

// meanWinkler is the method's mean interval score over all horizons of a group.
func meanWinkler(res synth.Results, method string, g synth.Group) float64 {
	var sum float64
	var n int
	for _, h := range synth.Horizons {
		t := res[synth.Key{Method: method, Group: g, Horizon: h}]
		sum += t.Winkler
		n += t.N
	}
	return sum / float64(n)
}

// scaled returns the forecast with its interval's half-widths multiplied by f.
func scaled(fc synth.Forecast, f float64) synth.Forecast {
	out := synth.Forecast{Mean: fc.Mean, Lo: make([]float64, len(fc.Lo)), Hi: make([]float64, len(fc.Hi))}
	for k := range fc.Mean {
		out.Lo[k] = fc.Mean[k] - f*(fc.Mean[k]-fc.Lo[k])
		out.Hi[k] = fc.Mean[k] + f*(fc.Hi[k]-fc.Mean[k])
	}
	return out
}

// TestCalibration is the promise behind "80% interval": over generated series of short (45–90
// days) and long (8–20 months) history, the interval holds between 70% and 90% of the outcomes
// 30, 90 and 180 days ahead, and its interval score is no worse than a random walk with drift
// (R's rwf), the method that is honest on short histories. On short histories the forecast is
// 90% that random walk, so the two tie there: the test allows 1% either way (the benchmark
// against R's ets, which cannot run in CI, is in docs/FORECASTING.md). On long histories it must
// be strictly better.
func TestCalibration(t *testing.T) {
	series, fs := calibForecasts()
	res := synth.Results{}
	for i, s := range series {
		res.Add(calibMethod, s, fs[i])
		res.Add(driftMethod, s, synth.Drift(s.History, 180, 0.8))
	}
	t.Logf("%d series per group, %d paths:\n%s", calibSeries, calibPaths, res.Table())
	for _, p := range coverageProblems(res, calibMethod) {
		t.Errorf("80%% interval: %s, want 70%% to 90%%", p)
	}
	for g, tolerance := range map[synth.Group]float64{synth.Short: 1.01, synth.Long: 1} {
		ours, ref := meanWinkler(res, calibMethod, g), meanWinkler(res, driftMethod, g)
		t.Logf("%s history: mean Winkler score %.2f, random walk with drift %.2f", g, ours, ref)
		if ours > ref*tolerance {
			t.Errorf("%s history: mean Winkler score %.2f is worse than the random walk with drift's %.2f", g, ours, ref)
		}
	}
}

// TestCalibrationCanFail proves that the calibration test catches an interval that does not
// mean 80%: the Holt model alone (the forecaster before the combination), and the current
// interval narrowed or widened, all fall outside the bounds.
func TestCalibrationCanFail(t *testing.T) {
	series, fs := calibForecasts()
	narrow, wide := synth.Results{}, synth.Results{}
	for i, s := range series {
		narrow.Add(calibMethod, s, scaled(fs[i], 0.6))
		wide.Add(calibMethod, s, scaled(fs[i], 1.8))
	}
	if p := coverageProblems(narrow, calibMethod); len(p) == 0 {
		t.Error("an interval narrowed to 60% of its width passed the coverage bounds")
	} else {
		t.Logf("narrowed to 60%%: %v", p)
	}
	if p := coverageProblems(wide, calibMethod); len(p) == 0 {
		t.Error("an interval widened to 180% of its width passed the coverage bounds")
	} else {
		t.Logf("widened to 180%%: %v", p)
	}

	series, old := forecastGenerated(true)
	res := synth.Results{}
	for i, s := range series {
		res.Add(calibMethod, s, old[i])
	}
	p := coverageProblems(res, calibMethod)
	if len(p) == 0 {
		t.Error("the Holt model alone passed the coverage bounds")
	}
	t.Logf("Holt model alone: %v\n%s", p, res.Table())
}
