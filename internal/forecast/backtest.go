package forecast

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/licmon/licmon/internal/numtext"
)

// Backtest statuses.
const (
	BacktestOK               = "ok"
	BacktestNotEnoughHistory = "not-enough-history"
)

// maxOrigins is how many forecast origins each horizon is evaluated from.
const maxOrigins = 12

// minOrigins is the fewest origins that make a horizon's score worth reporting.
const minOrigins = 3

// DefaultBacktestHorizons are the horizons (days) scored when Backtest is given none.
var DefaultBacktestHorizons = []int{30, 90}

// HorizonScore is the accuracy of forecasts made a fixed number of days ahead.
type HorizonScore struct {
	Days int `json:"days"`
	// N is the number of origins scored; 0 means the history is too short for this horizon.
	N int `json:"n"`
	// MAPE is the mean absolute percentage error of the point forecast, in percent (days where the actual
	// value is 0 are left out of it); MAE the mean absolute error in units.
	MAPE float64 `json:"mape"`
	MAE  float64 `json:"mae"`
	// Coverage is the share of actual values inside the forecast interval.
	Coverage float64 `json:"coverage"`
	// Reason explains N = 0.
	Reason string `json:"reason,omitempty"`
}

// BacktestResult is a rolling-origin evaluation of the forecast on a series' own history.
type BacktestResult struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Origins is the number of distinct forecast origins fitted.
	Origins  int            `json:"origins"`
	Level    float64        `json:"level"`
	Horizons []HorizonScore `json:"horizons"`
}

// Backtest measures how well the forecast would have done on this series: for up to 12 origins
// spread evenly over the history (per horizon), it fits on data up to the origin only and compares
// the forecast h days later with the value actually observed then. horizons default to 30 and 90
// days. Too short a history gives Status "not-enough-history" with a Reason; errors are for invalid
// options or values.
func Backtest(series []Point, opts Options, horizons ...int) (BacktestResult, error) {
	c, err := opts.resolve()
	if err != nil {
		return BacktestResult{}, fmt.Errorf("backtest forecast: %w", err)
	}
	if len(horizons) == 0 {
		horizons = DefaultBacktestHorizons
	}
	for _, h := range horizons {
		if h < 1 || h > maxHorizonDays {
			return BacktestResult{}, fmt.Errorf("backtest forecast: horizon %d days must be between 1 and %d", h, maxHorizonDays)
		}
	}
	d, err := resample(series, c.includeRecon)
	if err != nil {
		return BacktestResult{}, fmt.Errorf("backtest forecast: %w", err)
	}
	res := BacktestResult{Status: BacktestOK, Level: c.level}

	// First origin: the earliest observed day at which the history check passes.
	first := -1
	seen := 0
	for i, o := range d.observed {
		if o {
			seen++
			if i+1 >= c.minDays && seen >= c.minPoints {
				first = i
				break
			}
		}
	}

	// Pick origins per horizon; an origin must be observed (no interpolation from later data)
	// and so must the day it is scored against.
	need := map[int][]int{} // origin -> horizons scored from it
	for _, h := range horizons {
		var cand []int
		if first >= 0 {
			for o := first; o+h < len(d.values); o++ {
				if d.observed[o] && d.observed[o+h] {
					cand = append(cand, o)
				}
			}
		}
		for _, o := range spread(cand, maxOrigins) {
			need[o] = append(need[o], h)
		}
	}

	type acc struct {
		n, nPct, in int
		ape, ae     float64
	}
	scores := map[int]*acc{}
	for _, h := range horizons {
		scores[h] = &acc{}
	}
	origins := make([]int, 0, len(need))
	for o := range need {
		origins = append(origins, o)
	}
	slices.Sort(origins)
	for _, o := range origins {
		hs := need[o]
		cc := c
		cc.horizon = slices.Max(hs)
		m := fitDaily(d.truncate(o), cc)
		for _, h := range hs {
			actual := d.values[o+h]
			mean, lo, hi := m.mean[h-1], m.lo[h-1], m.hi[h-1]
			a := scores[h]
			a.n++
			a.ae += math.Abs(mean - actual)
			if actual != 0 {
				a.nPct++
				a.ape += math.Abs(mean-actual) / math.Abs(actual)
			}
			// A relative tolerance keeps float rounding from scoring a perfect forecast as a miss.
			eps := 1e-9 * max(1, math.Abs(actual))
			if actual >= lo-eps && actual <= hi+eps {
				a.in++
			}
		}
	}
	res.Origins = len(origins)

	var short []string
	for _, h := range horizons {
		a := scores[h]
		s := HorizonScore{Days: h, N: a.n}
		if a.n < minOrigins {
			s.N = 0
			s.Reason = fmt.Sprintf("only %d %s of history; need at least %d to score %d days ahead from %d origins",
				len(d.values), numtext.Plural(len(d.values), "day", "days"), max(c.minDays, first+1)+h+minOrigins-1, h, minOrigins)
			short = append(short, fmt.Sprintf("+%d days: %s", h, s.Reason))
		} else {
			s.MAE = a.ae / float64(a.n)
			s.Coverage = float64(a.in) / float64(a.n)
			if a.nPct > 0 {
				s.MAPE = 100 * a.ape / float64(a.nPct)
			}
		}
		res.Horizons = append(res.Horizons, s)
	}
	if len(short) == len(horizons) {
		res.Status = BacktestNotEnoughHistory
		if d.points == 0 {
			res.Reason = "no data points"
		} else {
			res.Reason = strings.Join(short, "; ")
		}
	}
	return res, nil
}

// spread picks up to n elements evenly spaced over cand, always including the last.
func spread(cand []int, n int) []int {
	if len(cand) <= n {
		return cand
	}
	out := make([]int, n)
	for i := range n {
		out[i] = cand[(len(cand)-1)*i/(n-1)]
	}
	return out
}
