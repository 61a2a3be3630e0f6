package forecast

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Status classifies a run-out forecast.
type Status string

// Run-out statuses.
const (
	// StatusRunsOut: the point forecast reaches capacity within the horizon; Date is set.
	StatusRunsOut Status = "runs-out"
	// StatusNotWithinHorizon: growing, but the point forecast stays below capacity.
	StatusNotWithinHorizon Status = "not-within-horizon"
	// StatusAlreadyExceeded: the latest value is already at or above capacity.
	StatusAlreadyExceeded Status = "already-exceeded"
	// StatusNotEnoughHistory: too little data to forecast; Reason says how much is needed.
	StatusNotEnoughHistory Status = "not-enough-history"
	// StatusFlatOrDeclining: the forecast grows by less than one unit over the whole horizon.
	StatusFlatOrDeclining Status = "flat-or-declining"
)

// flatGrowth is the growth over the whole horizon below which a series counts as flat: less than
// one seat.
const flatGrowth = 1.0

// Result is the answer to "when does this license type run out?".
type Result struct {
	Status Status `json:"status"`
	// Date is the first day the point forecast reaches capacity (runs-out), or the latest day
	// (already-exceeded).
	Date *time.Time `json:"date,omitempty"`
	// Earliest and Latest bound the run-out date with the requested interval level. They are the
	// (1−Level)/2 and 1−(1−Level)/2 quantiles of the per-path crossing days of the bootstrap paths;
	// nil means that quantile does not cross within the horizon. Earliest can be set even when
	// Date is nil: "probably not this year, but it could happen as early as …".
	Earliest *time.Time `json:"earliest,omitempty"`
	Latest   *time.Time `json:"latest,omitempty"`
	// DaysLeft is the number of days from the last observation to Date; -1 when Date is nil.
	DaysLeft int `json:"days_left"`
	// Probability is the share of simulated paths that reach capacity within the horizon.
	Probability float64 `json:"probability"`
	// Current is the latest observed value; Capacity the licensed total it is compared with.
	Current  float64 `json:"current"`
	Capacity float64 `json:"capacity"`
	// LastDay is the day of the latest observation (zero when there is no usable data).
	LastDay time.Time `json:"last_day"`
	// Slope30 and Slope90 are least-squares growth per month over the last 30 and 90 days.
	Slope30 float64 `json:"slope30_per_month"`
	Slope90 float64 `json:"slope90_per_month"`
	// HorizonDays and Level echo the options used.
	HorizonDays int     `json:"horizon_days"`
	Level       float64 `json:"level"`
	// Method names the model; Reason explains the status in plain English.
	Method string `json:"method"`
	Reason string `json:"reason"`
}

// RunOut forecasts when the series reaches capacity. Too little history is not an error: it gives
// StatusNotEnoughHistory with a Reason. Errors are for invalid options, values or capacity.
func RunOut(series []Point, capacity float64, opts Options) (Result, error) {
	if math.IsNaN(capacity) || math.IsInf(capacity, 0) || capacity < 0 {
		return Result{}, fmt.Errorf("forecast run-out: capacity %v must be a finite number ≥ 0", capacity)
	}
	c, err := opts.resolve()
	if err != nil {
		return Result{}, fmt.Errorf("forecast run-out: %w", err)
	}
	d, err := resample(series, c.includeRecon)
	if err != nil {
		return Result{}, fmt.Errorf("forecast run-out: %w", err)
	}
	r := Result{Capacity: capacity, DaysLeft: -1, HorizonDays: c.horizon, Level: c.level}
	if d.points > 0 {
		r.Current, r.LastDay = d.last(), d.day(len(d.values)-1)
		r.Slope30, r.Slope90 = recentSlope(d, 30), recentSlope(d, 90)
		if r.Current >= capacity {
			exceeded(&r)
			return r, nil
		}
	}
	if err := checkHistory(d, c); err != nil {
		r.Status, r.Reason = StatusNotEnoughHistory, err.(*HistoryError).Reason()
		return r, nil
	}
	return fitDaily(d, c).RunOut(capacity), nil
}

func exceeded(r *Result) {
	day := r.LastDay
	r.Status, r.Date, r.DaysLeft, r.Probability = StatusAlreadyExceeded, &day, 0, 1
	r.Reason = fmt.Sprintf("%s is already at or above the licensed %s", num(r.Current), num(r.Capacity))
}

// RunOut evaluates a fitted model against a capacity, so several capacities (for example the
// current total and a planned purchase) can share one fit.
func (m *Model) RunOut(capacity float64) Result {
	r := Result{
		Capacity: capacity, Current: m.LastValue, LastDay: m.LastDay, DaysLeft: -1,
		Slope30: m.slope30, Slope90: m.slope90,
		HorizonDays: m.HorizonDays, Level: m.IntervalLevel, Method: m.Method(),
	}
	if m.LastValue >= capacity {
		exceeded(&r)
		return r
	}

	// Crossing day of every path (HorizonDays+1 = never), then its quantiles.
	h, paths := m.HorizonDays, m.Paths
	never := h + 1
	cross := make([]int, paths)
	for i := range cross {
		cross[i] = never
	}
	left := paths
	for k := 0; k < h && left > 0; k++ {
		row := m.sims[k*paths : (k+1)*paths]
		for p, v := range row {
			if cross[p] == never && v >= capacity {
				cross[p] = k + 1
				left--
			}
		}
	}
	r.Probability = float64(paths-left) / float64(paths)
	slices.Sort(cross)
	rank := func(q float64) int { // nearest-rank quantile: crossing days are whole days
		i := int(math.Ceil(q*float64(paths))) - 1
		return cross[min(max(i, 0), paths-1)]
	}
	if k := rank((1 - m.IntervalLevel) / 2); k != never {
		r.Earliest = m.dayAhead(k)
	}
	if k := rank(1 - (1-m.IntervalLevel)/2); k != never {
		r.Latest = m.dayAhead(k)
	}

	for k, v := range m.mean {
		if v >= capacity {
			r.Status, r.Date, r.DaysLeft = StatusRunsOut, m.dayAhead(k+1), k+1
			r.Reason = fmt.Sprintf("at current growth (%s per month over the last 90 days) it reaches %s on %s, in %d days; %s",
				signed(r.Slope90), num(capacity), r.Date.Format(time.DateOnly), r.DaysLeft, m.intervalText(r))
			return r
		}
	}
	growth := m.mean[h-1] - m.start
	if growth < flatGrowth {
		r.Status = StatusFlatOrDeclining
		r.Reason = fmt.Sprintf("flat or declining (%s per month over the last 90 days; forecast %s in %d days); no run-out expected",
			signed(r.Slope90), num(m.mean[h-1]), h)
	} else {
		r.Status = StatusNotWithinHorizon
		r.Reason = fmt.Sprintf("growing (%s per month over the last 90 days) but the forecast stays below %s for the next %d days (%s by %s)",
			signed(r.Slope90), num(capacity), h, num(m.mean[h-1]), m.dayAhead(h).Format(time.DateOnly))
	}
	if r.Earliest != nil {
		r.Reason += fmt.Sprintf("; %.0f%% of simulated paths run out within the horizon, the earliest plausible date is %s",
			r.Probability*100, r.Earliest.Format(time.DateOnly))
	}
	return r
}

func (m *Model) intervalText(r Result) string {
	lvl := fmt.Sprintf("%.0f%% interval", m.IntervalLevel*100)
	switch {
	case r.Earliest != nil && r.Latest != nil:
		return fmt.Sprintf("%s %s to %s", lvl, r.Earliest.Format(time.DateOnly), r.Latest.Format(time.DateOnly))
	case r.Earliest != nil:
		return fmt.Sprintf("%s %s to beyond %s", lvl, r.Earliest.Format(time.DateOnly), m.dayAhead(m.HorizonDays).Format(time.DateOnly))
	}
	return lvl + " not available" // cannot happen when the mean crosses, kept for safety
}

// dayAhead returns the calendar day k days after LastDay.
func (m *Model) dayAhead(k int) *time.Time {
	t := m.hist.day(len(m.hist.values) - 1 + k)
	return &t
}

// num formats a count without a spurious ".0".
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// signed formats a rate with its sign, never as "-0.0".
func signed(v float64) string {
	v = math.Round(v*10) / 10
	if v == 0 {
		v = 0 // drop a negative zero
	}
	return fmt.Sprintf("%+.1f", v)
}
