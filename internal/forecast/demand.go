package forecast

import (
	"fmt"
	"time"
)

// Demand forecasts the value on a given day, for purchase advice ("how many seats will we need at
// renewal?"). Options.Horizon is ignored: the paths are simulated exactly up to that day. It returns
// the point forecast and the Options.Level interval; lo and hi are the numbers to plan against
// (hi for "enough seats with 1−(1−Level)/2 confidence"). Too little history returns a
// *HistoryError, which matches ErrNotEnoughHistory.
func Demand(series []Point, at time.Time, opts Options) (mean, lo, hi float64, err error) {
	c, err := opts.resolve()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("forecast demand: %w", err)
	}
	d, err := resample(series, c.includeRecon)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("forecast demand: %w", err)
	}
	if err := checkHistory(d, c); err != nil {
		return 0, 0, 0, err
	}
	ahead := dayNumber(at) - dayNumber(d.day(len(d.values)-1))
	if ahead > maxHorizonDays {
		return 0, 0, 0, fmt.Errorf("forecast demand at %s: %d days ahead; at most %d days are supported",
			at.Format(time.DateOnly), ahead, maxHorizonDays)
	}
	c.horizon = max(ahead, 1)
	return fitDaily(d, c).Predict(at)
}
