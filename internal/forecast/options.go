package forecast

import (
	"fmt"
	"math"
	"time"
)

// Day is the length of one step of the daily series.
const Day = 24 * time.Hour

// Defaults applied when an Options field is left at its zero value.
const (
	DefaultHorizonDays    = 365
	DefaultLevel          = 0.8
	DefaultMinHistoryDays = 28
	DefaultMinPoints      = 14
	DefaultBootstrap      = 500
)

// Limits on Options that keep a single fit bounded in time and memory.
const (
	maxHorizonDays = 3650
	minBootstrap   = 20
	maxBootstrap   = 20000
)

// Options tunes a forecast. The zero value is valid and means: one year ahead, 80% intervals,
// at least 28 days and 14 data points of history, damping chosen by the fit, 500 bootstrap paths,
// seed 0, reconstructed points ignored.
type Options struct {
	// Horizon is how far ahead to forecast; it is rounded up to whole days (default 365 days,
	// at most 3650 days). Run-out dates beyond it are reported as "not within horizon".
	Horizon time.Duration
	// Level is the coverage of prediction intervals, in (0, 1) (default 0.8: an 80% interval).
	Level float64
	// MinHistory is the shortest history (first to last day) that is forecast at all
	// (default 28 days). Shorter series give the status "not-enough-history".
	MinHistory time.Duration
	// MinPoints is the fewest distinct observed days needed (default 14).
	MinPoints int
	// Damping fixes the per-day trend damping factor φ in (0, 1]; 1 is an undamped linear
	// trend. Zero (the default) lets the fit choose between an undamped and a damped trend.
	Damping float64
	// Bootstrap is the number of simulated future paths behind each interval (default 500,
	// at least 20).
	Bootstrap int
	// Seed makes the bootstrap reproducible: the same series, options and seed give the same
	// result, bit for bit.
	Seed uint64
	// IncludeReconstructed uses points marked Reconstructed (lower bounds backfilled from
	// createdDate). They are ignored by default because they understate past allocations and so
	// overstate growth; a measured point on the same day always wins over a reconstructed one.
	IncludeReconstructed bool
}

// config is Options with defaults applied and every value validated.
type config struct {
	horizon      int // days
	level        float64
	minDays      int
	minPoints    int
	phi          float64 // 0 = choose by fit
	paths        int
	seed         uint64
	includeRecon bool
	holtOnly     bool // the Holt model alone, as before the combination; only tests set it
}

// resolve applies defaults and validates, returning an error that says which field to fix.
func (o Options) resolve() (config, error) {
	c := config{
		horizon:      DefaultHorizonDays,
		level:        DefaultLevel,
		minDays:      DefaultMinHistoryDays,
		minPoints:    DefaultMinPoints,
		phi:          o.Damping,
		paths:        DefaultBootstrap,
		seed:         o.Seed,
		includeRecon: o.IncludeReconstructed,
	}
	switch {
	case o.Horizon < 0:
		return c, fmt.Errorf("invalid Options.Horizon %v: must not be negative", o.Horizon)
	case o.Horizon > 0:
		c.horizon = int((o.Horizon + Day - 1) / Day)
		if c.horizon > maxHorizonDays {
			return c, fmt.Errorf("invalid Options.Horizon %v: at most %d days are supported", o.Horizon, maxHorizonDays)
		}
	}
	if o.Level != 0 {
		if !(o.Level > 0 && o.Level < 1) {
			return c, fmt.Errorf("invalid Options.Level %v: use a fraction between 0 and 1, such as 0.8", o.Level)
		}
		c.level = o.Level
	}
	switch {
	case o.MinHistory < 0:
		return c, fmt.Errorf("invalid Options.MinHistory %v: must not be negative", o.MinHistory)
	case o.MinHistory > 0:
		c.minDays = max(2, int((o.MinHistory+Day-1)/Day))
	}
	switch {
	case o.MinPoints < 0:
		return c, fmt.Errorf("invalid Options.MinPoints %d: must not be negative", o.MinPoints)
	case o.MinPoints > 0:
		c.minPoints = max(3, o.MinPoints)
	}
	if o.Damping != 0 && !(o.Damping > 0 && o.Damping <= 1) || math.IsNaN(o.Damping) {
		return c, fmt.Errorf("invalid Options.Damping %v: use 0 to choose by fit, or a per-day factor in (0, 1] such as 0.995", o.Damping)
	}
	switch {
	case o.Bootstrap < 0:
		return c, fmt.Errorf("invalid Options.Bootstrap %d: must not be negative", o.Bootstrap)
	case o.Bootstrap > 0:
		if o.Bootstrap < minBootstrap || o.Bootstrap > maxBootstrap {
			return c, fmt.Errorf("invalid Options.Bootstrap %d: use between %d and %d paths", o.Bootstrap, minBootstrap, maxBootstrap)
		}
		c.paths = o.Bootstrap
	}
	return c, nil
}
