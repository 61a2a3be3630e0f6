package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Defaults applied when an Options field is zero.
const (
	DefaultInactivityDays = 90
	DefaultHeadroomPct    = 10
	DefaultAuthoringDays  = 90
	// DefaultAnalyzerMinutes is the capacity minutes a month that cost as
	// much as one Analyzer seat. It is an assumption (about six hours a
	// month); set your own from your price list.
	DefaultAnalyzerMinutes = 360
	// QuarantineDays is the QSEoW quarantine: an allocation used within the
	// last 7 days keeps counting against the license for 7 days after it
	// is released.
	QuarantineDays = 7
	// DefaultHorizonMonths is the planning horizon when none is given.
	DefaultHorizonMonths = 12
)

// DefaultKeepMarkers are the tag names and custom-property names or values
// that exclude a user from reclaim and downgrade lists.
var DefaultKeepMarkers = []string{"keep"}

// DefaultWhatIfDays are the inactivity thresholds of the what-if table.
var DefaultWhatIfDays = []int{30, 60, 90}

// Options tune Build. The zero value is valid: the latest collection, a
// 12-month horizon and the defaults above.
type Options struct {
	// AsOf is the moment to report on; zero means the latest collection.
	AsOf time.Time
	// HorizonEnd is the planning date; zero means AsOf + 12 months.
	HorizonEnd time.Time
	// InactivityDays is the reclaim threshold: allocations unused (or never
	// used) for at least this many days can be released.
	InactivityDays int
	// HeadroomPct is the safety margin added to forecast demand, in percent.
	// Negative values are invalid; use NoHeadroom for zero.
	HeadroomPct float64
	// NoHeadroom plans with no margin (HeadroomPct zero means the default).
	NoHeadroom bool
	// AuthoringDays is the window for the authoring signal of downgrade
	// candidates.
	AuthoringDays int
	// AnalyzerMinutes is the break-even of one Analyzer seat in capacity
	// minutes a month.
	AnalyzerMinutes int64
	// KeepMarkers exclude a user from reclaim and downgrade lists when one
	// of them equals (case-insensitively) a tag, a custom-property name or
	// a custom-property value of the user. Nil means DefaultKeepMarkers.
	KeepMarkers []string
	// IncludeReconstructed fits forecasts on reconstructed (lower-bound)
	// history too.
	IncludeReconstructed bool
	// WhatIfDays are the thresholds of the what-if table; nil means
	// DefaultWhatIfDays.
	WhatIfDays []int
	// Seed and Bootstrap tune the forecast's bootstrap (see forecast.Options).
	Seed      uint64
	Bootstrap int
	// NoBacktest skips the backtests (the dashboard may want speed).
	NoBacktest bool
	// CandidateLimit, when > 0, keeps only the first CandidateLimit
	// entries of each candidate list (Candidates.Counts stay complete):
	// the lists of a large site are tens of thousands of users, which a
	// report that shows twenty need not build. Zero keeps every candidate.
	CandidateLimit int
}

func (o Options) resolve() (Options, error) {
	if o.InactivityDays == 0 {
		o.InactivityDays = DefaultInactivityDays
	}
	if o.InactivityDays < 1 {
		return o, fmt.Errorf("invalid inactivity threshold %d days: use a number of days ≥ 1, such as 90", o.InactivityDays)
	}
	if o.HeadroomPct < 0 || o.HeadroomPct > 1000 {
		return o, fmt.Errorf("invalid headroom %v%%: use a percentage between 0 and 1000, such as 10", o.HeadroomPct)
	}
	if o.HeadroomPct == 0 && !o.NoHeadroom {
		o.HeadroomPct = DefaultHeadroomPct
	}
	if o.AuthoringDays == 0 {
		o.AuthoringDays = DefaultAuthoringDays
	}
	if o.AuthoringDays < 1 {
		return o, fmt.Errorf("invalid authoring window %d days: use a number of days ≥ 1, such as 90", o.AuthoringDays)
	}
	if o.AnalyzerMinutes == 0 {
		o.AnalyzerMinutes = DefaultAnalyzerMinutes
	}
	if o.AnalyzerMinutes < 1 {
		return o, fmt.Errorf("invalid Analyzer break-even %d minutes: use the capacity minutes a month that cost as much as one Analyzer seat", o.AnalyzerMinutes)
	}
	if o.KeepMarkers == nil {
		o.KeepMarkers = DefaultKeepMarkers
	}
	if o.WhatIfDays == nil {
		o.WhatIfDays = DefaultWhatIfDays
	}
	for _, d := range o.WhatIfDays {
		if d < 1 {
			return o, fmt.Errorf("invalid what-if threshold %d days: use days ≥ 1", d)
		}
	}
	return o, nil
}

// ParseHorizon reads a planning horizon as a user types it: "12mo", "18mo",
// "1y", "26w", "365d", or a date "2027-03-31". It returns the end date
// counted from asOf (months and years are calendar months).
func ParseHorizon(s string, asOf time.Time) (time.Time, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if !t.After(asOf) {
			return time.Time{}, fmt.Errorf("invalid horizon %q: the date must be after %s", s, asOf.Format(time.DateOnly))
		}
		return t, nil
	}
	unit := ""
	for _, u := range []string{"mo", "m", "y", "w", "d"} {
		if strings.HasSuffix(v, u) {
			unit, v = u, strings.TrimSuffix(v, u)
			break
		}
	}
	n, err := strconv.Atoi(v)
	if unit == "" || err != nil || n < 1 {
		return time.Time{}, fmt.Errorf("invalid horizon %q: use a count and a unit such as 12mo, 1y, 26w or 180d, or a date such as 2027-03-31", s)
	}
	var end time.Time
	switch unit {
	case "mo", "m":
		end = asOf.AddDate(0, n, 0)
	case "y":
		end = asOf.AddDate(n, 0, 0)
	case "w":
		end = asOf.AddDate(0, 0, 7*n)
	case "d":
		end = asOf.AddDate(0, 0, n)
	}
	if end.Sub(asOf) > 10*365*24*time.Hour {
		return time.Time{}, fmt.Errorf("invalid horizon %q: at most 10 years", s)
	}
	return end, nil
}
