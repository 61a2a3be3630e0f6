package forecast

import (
	"errors"
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/numtext"
)

// ErrNotEnoughHistory is matched (with errors.Is) by every *HistoryError.
var ErrNotEnoughHistory = errors.New("not enough history")

// HistoryError reports that a series is too short to forecast, with the numbers a user needs to
// know how long to wait.
type HistoryError struct {
	Days       int // days from first to last usable point, inclusive
	Points     int // distinct observed days
	NeedDays   int
	NeedPoints int
	// Excluded counts reconstructed points left out because Options.IncludeReconstructed is false.
	Excluded int
}

// Reason is the plain-English explanation, such as "only 9 days of history; need at least 28".
func (e *HistoryError) Reason() string {
	var s string
	switch {
	case e.Points == 0:
		s = "no data points"
	case e.Days < e.NeedDays:
		s = fmt.Sprintf("only %d %s of history; need at least %d", e.Days, numtext.Plural(e.Days, "day", "days"), e.NeedDays)
	default:
		s = fmt.Sprintf("only %d %s; need at least %d", e.Points, numtext.Plural(e.Points, "data point", "data points"), e.NeedPoints)
	}
	if e.Excluded > 0 {
		s += fmt.Sprintf(" (%d reconstructed %s left out; include reconstructed history to use them)",
			e.Excluded, numtext.Plural(e.Excluded, "point was", "points were"))
	}
	return s
}

func (e *HistoryError) Error() string { return "not enough history: " + e.Reason() }

// Is makes errors.Is(err, ErrNotEnoughHistory) true.
func (e *HistoryError) Is(target error) bool { return target == ErrNotEnoughHistory }

// HorizonError reports a prediction asked for outside the fitted range.
type HorizonError struct {
	Day         time.Time
	First, Last time.Time
	HorizonDays int
}

func (e *HorizonError) Error() string {
	if e.Day.Before(e.First) {
		return fmt.Sprintf("predict %s: before the first day of history %s", e.Day.Format(time.DateOnly), e.First.Format(time.DateOnly))
	}
	return fmt.Sprintf("predict %s: beyond the forecast horizon of %d days after %s; fit with a longer Options.Horizon",
		e.Day.Format(time.DateOnly), e.HorizonDays, e.Last.Format(time.DateOnly))
}
