package synth

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Horizons are the days ahead at which forecasts are scored.
var Horizons = []int{30, 90, 180}

// Alpha is the Winkler score's α for an 80% interval.
const Alpha = 0.2

// Forecast is one method's forecast of one series: Mean[k-1], Lo[k-1] and Hi[k-1] are the point
// forecast and the 80% interval k days after the last history day.
type Forecast struct {
	Mean, Lo, Hi []float64
}

// Winkler is the interval score of [lo, hi] for the outcome y at level 1−α: the width, plus 2/α
// times the distance by which y falls outside. Lower is better; it rewards narrow intervals only
// as long as they hold the outcome.
func Winkler(lo, hi, y, alpha float64) float64 {
	s := hi - lo
	switch {
	case y < lo:
		s += 2 / alpha * (lo - y)
	case y > hi:
		s += 2 / alpha * (y - hi)
	}
	return s
}

// Tally accumulates the scores of many forecasts at one horizon.
type Tally struct {
	N, In   int     // forecasts scored, outcomes inside the interval
	NPct    int     // forecasts with a non-zero outcome (the MAPE denominator)
	APE     float64 // sum of absolute percentage errors, in percent
	Winkler float64 // sum of Winkler scores (α = 0.2)
}

// Add scores one forecast against its outcome.
func (t *Tally) Add(mean, lo, hi, y float64) {
	t.N++
	eps := 1e-9 * max(1, math.Abs(y))
	if y >= lo-eps && y <= hi+eps {
		t.In++
	}
	if y != 0 {
		t.NPct++
		t.APE += 100 * math.Abs(mean-y) / math.Abs(y)
	}
	t.Winkler += Winkler(lo, hi, y, Alpha)
}

// Coverage is the share of outcomes inside the interval.
func (t Tally) Coverage() float64 { return float64(t.In) / float64(max(t.N, 1)) }

// MAPE is the mean absolute percentage error of the point forecast, in percent.
func (t Tally) MAPE() float64 { return t.APE / float64(max(t.NPct, 1)) }

// MeanWinkler is the mean interval score, in seats.
func (t Tally) MeanWinkler() float64 { return t.Winkler / float64(max(t.N, 1)) }

// Key names one cell of a results table.
type Key struct {
	Method  string
	Group   Group
	Horizon int
}

// Results holds a Tally per method, group and horizon.
type Results map[Key]*Tally

// Add scores a method's forecast of a series at every horizon in Horizons.
func (r Results) Add(method string, s Series, f Forecast) {
	for _, h := range Horizons {
		k := Key{method, s.Group, h}
		if r[k] == nil {
			r[k] = &Tally{}
		}
		r[k].Add(f.Mean[h-1], f.Lo[h-1], f.Hi[h-1], s.Future[h-1])
	}
}

// Table renders the results as a Markdown table, one row per group, horizon and method.
func (r Results) Table() string {
	var methods []string
	groups := map[Group]bool{}
	for k := range r {
		if !slices.Contains(methods, k.Method) {
			methods = append(methods, k.Method)
		}
		groups[k.Group] = true
	}
	slices.Sort(methods)
	var b strings.Builder
	b.WriteString("| history | horizon | method | series | coverage of 80% interval | MAPE | mean Winkler score (α = 0.2) |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, g := range []Group{Short, Long} {
		if !groups[g] {
			continue
		}
		for _, h := range Horizons {
			for _, m := range methods {
				t := r[Key{m, g, h}]
				if t == nil {
					continue
				}
				fmt.Fprintf(&b, "| %s | +%d days | %s | %d | %.1f%% | %.1f%% | %.1f |\n",
					g, h, m, t.N, 100*t.Coverage(), t.MAPE(), t.MeanWinkler())
			}
		}
	}
	return b.String()
}

// Drift forecasts a random walk with drift h days ahead with a level interval (0.8 for 80%), as R's
// forecast::rwf(y, drift = TRUE, h, level) does: the drift is the mean daily change, and the
// standard error at step k is √(mse·k + k²·se_b²), where se_b is the standard error of the
// estimated drift. It is the reference the calibration is held to, and reproduces R (forecast
// 8.20) to rounding, except when the drift is zero: R then divides the mse by n−1 or n−2
// depending on whether lm's round-off left the drift at exactly 0, which changes bounds by
// hundredths of a seat.
func Drift(y []float64, h int, level float64) Forecast {
	n := len(y)
	f := Forecast{Mean: make([]float64, h), Lo: make([]float64, h), Hi: make([]float64, h)}
	if n < 3 {
		for k := range h {
			f.Mean[k], f.Lo[k], f.Hi[k] = y[n-1], y[n-1], y[n-1]
		}
		return f
	}
	c := (y[n-1] - y[0]) / float64(n-1)
	var rss float64
	for t := 1; t < n; t++ {
		d := y[t] - y[t-1] - c
		rss += d * d
	}
	seB := math.Sqrt(rss/float64(n-2)) / math.Sqrt(float64(n-1)) // lm(diff(y) ~ 1): coefficient's standard error
	mse := rss / float64(n-2)
	z := math.Sqrt2 * math.Erfinv(level) // the (1+level)/2 quantile of the standard normal
	for k := range h {
		s := float64(k + 1)
		se := math.Sqrt(mse*s + s*s*seB*seB)
		f.Mean[k] = y[n-1] + s*c
		f.Lo[k], f.Hi[k] = f.Mean[k]-z*se, f.Mean[k]+z*se
	}
	return f
}
