package report

import (
	"time"

	"github.com/licmon/licmon/internal/license"
)

// SchemaVersion is the version of the JSON form of Report. It changes only
// when a field is removed or its meaning changes; new fields may be added
// within a version. `licmon serve` returns the same model from its JSON API.
//
// Version 3: candidate lists carry their first DefaultCandidateLimit
// entries unless asked for in full (candidates.complete, candidates.limit),
// and candidates.counts has the sizes of the full lists.
//
// Version 2: unknown figures are null instead of 0 (growth, last month's
// capacity minutes, forecast interval bounds), unmetDemand is per type with
// its source (unmetDemand.denials is gone), and plan demand may rest on
// demand at capacity rather than allocation.
const SchemaVersion = 3

// Report is everything `licmon report` knows about one site as of one day:
// per-type figures, forecasts, the purchase plan, reclaim what-ifs and the
// candidate lists. It is plain data (no methods that touch I/O) so the
// report command, the dashboard and the JSON API render the same model.
type Report struct {
	SchemaVersion int    `json:"schemaVersion"`
	Site          string `json:"site"`
	// AsOf is the moment the report describes (end of the --as-of day, or the
	// latest collection). DataAt is the collection it reads, the latest at
	// or before AsOf.
	AsOf   time.Time `json:"asOf"`
	DataAt time.Time `json:"dataAt"`
	// HorizonEnd is the planning date (for example the renewal), HorizonDays
	// the days from AsOf to it.
	HorizonEnd  time.Time    `json:"horizonEnd"`
	HorizonDays int          `json:"horizonDays"`
	Settings    Settings     `json:"settings"`
	License     *LicenseInfo `json:"license,omitempty"`
	// Types holds one entry per license type the site has, in display order.
	Types []TypeReport `json:"types"`
	// Plan is the purchase / reclaim recommendation for the horizon.
	Plan Plan `json:"plan"`
	// WhatIf shows what reclaiming at other inactivity thresholds would free.
	WhatIf     []WhatIf   `json:"whatIf"`
	Candidates Candidates `json:"candidates"`
	// Capacity is the analyzer-capacity month; nil when the site has none.
	Capacity    *CapacityMonth `json:"capacity,omitempty"`
	UnmetDemand UnmetDemand    `json:"unmetDemand"`
	// Notes are caveats a reader must see (stale data, reconstructed history…).
	Notes []string `json:"notes"`
}

// Settings echoes the options the report was built with, so a reader can
// tell what "unused" and "headroom" meant.
type Settings struct {
	InactivityDays       int      `json:"inactivityDays"`
	HeadroomPct          float64  `json:"headroomPct"`
	AuthoringDays        int      `json:"authoringDays"`
	AnalyzerMinutes      int64    `json:"analyzerBreakEvenMinutes"`
	QuarantineDays       int      `json:"quarantineDays"`
	KeepMarkers          []string `json:"keepMarkers"`
	IncludeReconstructed bool     `json:"includeReconstructed"`
	IntervalLevel        float64  `json:"intervalLevel"`
	WhatIfDays           []int    `json:"whatIfDays"`
}

// LicenseInfo is the site license without secrets.
type LicenseInfo struct {
	Model   string     `json:"model"`
	Name    string     `json:"name,omitempty"`
	ValidTo *time.Time `json:"validTo,omitempty"`
	Expired bool       `json:"expired"`
}

// TypeReport is the state, growth and forecast of one license type.
//
// Licensed and Allocated mean, per type: Professional and Analyzer seats
// licensed and allocated; user access passes: tokens set aside for user
// access and passes in use; login access: tokens allocated to login access
// groups and passes in use; analyzer capacity: minutes a month and minutes
// used this month.
type TypeReport struct {
	Type        license.Type `json:"type"`
	Label       string       `json:"label"`
	PerUser     bool         `json:"perUser"`
	Licensed    int64        `json:"licensed"`
	Allocated   int64        `json:"allocated"`
	Quarantined int64        `json:"quarantined"`
	Excess      int64        `json:"excess"`
	// Remaining is Licensed - Allocated (negative when over).
	Remaining int64 `json:"remaining"`
	// Usage is nil for types without per-user allocations.
	Usage *Usage `json:"usage,omitempty"`
	// Growth per month (a month is 365.25/12 days) from least-squares lines
	// over the last 30 and 90 days of the series the forecast is fitted to
	// (Forecast.Series); nil when fewer than two days were observed there.
	Growth30PerMonth *float64 `json:"growth30PerMonth"`
	Growth90PerMonth *float64 `json:"growth90PerMonth"`
	Forecast         Forecast `json:"forecast"`
	// History is the allocated and licensed series, one point per day with
	// data, oldest first (for charts).
	History []HistoryPoint `json:"history"`
	// Unmet is this type's entry of Report.UnmetDemand.
	Unmet *UnmetType `json:"-"`
}

// Usage counts per-user allocations of one type by when they were last used.
// "Unused N days" includes never-used allocations; quarantined allocations
// are not counted in any of these.
type Usage struct {
	Used7     int64 `json:"used7"`
	Used30    int64 `json:"used30"`
	Used90    int64 `json:"used90"`
	NeverUsed int64 `json:"neverUsed"`
	Unused30  int64 `json:"unused30"`
	Unused60  int64 `json:"unused60"`
	Unused90  int64 `json:"unused90"`
	// NewPerMonth is allocations created in the last 90 days per month
	// (current allocations only: a lower bound).
	NewPerMonth float64 `json:"newPerMonth"`
	// FirstTime30 is allocations created in the last 30 days that have been
	// used: users new to the type this month.
	FirstTime30 int64 `json:"firstTime30"`
}

// HistoryPoint is one day of a type's history. Reconstructed points were
// backfilled from allocation dates and are lower bounds, not measurements.
type HistoryPoint struct {
	Day           time.Time `json:"day"`
	Allocated     int64     `json:"allocated"`
	Licensed      int64     `json:"licensed"`
	Reconstructed bool      `json:"reconstructed,omitempty"`
	// Demand is allocated plus the unmet demand still waiting, on days the
	// type sat at its total with unmet demand recorded; absent otherwise.
	Demand *float64 `json:"demand,omitempty"`
}

// Forecast statuses beyond those of the forecast package.
const (
	// StatusNotApplicable: the type is not forecast (capacity minutes renew
	// every month; see Report.Capacity).
	StatusNotApplicable = "not-applicable"
	// StatusNoLicense: nothing is licensed, so nothing can run out.
	StatusNoLicense = "no-license"
)

// Forecast is the run-out forecast of one type's allocated series against
// its licensed total. Status is one of the forecast package's statuses
// ("runs-out", "not-within-horizon", "already-exceeded",
// "not-enough-history", "flat-or-declining") or StatusNotApplicable /
// StatusNoLicense; Reason says it in plain English.
type Forecast struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
	// Series is what the forecast is fitted to: SeriesAllocated,
	// SeriesDemand or SeriesBeforeCapacity; SeriesNote says why when it is
	// not the allocated series.
	Series     string     `json:"series,omitempty"`
	SeriesNote string     `json:"seriesNote,omitempty"`
	Date       *time.Time `json:"date,omitempty"`
	// Earliest and Latest bound the run-out date with the interval level.
	Earliest *time.Time `json:"earliest,omitempty"`
	Latest   *time.Time `json:"latest,omitempty"`
	// DaysLeft is the days to the run-out Date; nil without a date.
	DaysLeft *int `json:"daysLeft"`
	// Probability is the share of simulated paths that reach the licensed
	// total within the horizon; nil when there is no forecast.
	Probability *float64 `json:"probability"`
	Method      string   `json:"method,omitempty"`
	// Points is the number of observed days fitted; ReconstructedPoints how
	// many of them were reconstructed lower bounds (0 unless included).
	Points              int `json:"points"`
	ReconstructedPoints int `json:"reconstructedPoints"`
	// Demand is the forecast value of Series at the horizon; nil when there
	// is no forecast.
	Demand *Demand `json:"demand,omitempty"`
	// MeasuredDemand is the forecast at the horizon from the measured days
	// alone, when reconstructed days were fitted (--include-reconstructed);
	// nil when the measured days are too few to forecast.
	MeasuredDemand *Demand   `json:"measuredOnlyDemand,omitempty"`
	Backtest       *Backtest `json:"backtest,omitempty"`
	// Band is the forecast per day from the last observation to the horizon
	// (for charts).
	Band []BandPoint `json:"band,omitempty"`
}

// Demand is a forecast value with its interval at Level (0.8: an 80%
// interval). Mean and Lo are never below zero. Lo and Hi are nil when the
// forecast gives no interval on that side (a bound equal to the mean is not
// an interval).
type Demand struct {
	Day   time.Time `json:"day"`
	Mean  float64   `json:"mean"`
	Lo    *float64  `json:"lo"`
	Hi    *float64  `json:"hi"`
	Level float64   `json:"level"`
}

// BandPoint is the forecast for one day.
type BandPoint struct {
	Day  time.Time `json:"day"`
	Mean float64   `json:"mean"`
	Lo   float64   `json:"lo"`
	Hi   float64   `json:"hi"`
}

// Backtest is the forecast's measured error on this site's own history.
type Backtest struct {
	Status   string          `json:"status"`
	Reason   string          `json:"reason,omitempty"`
	Horizons []BacktestScore `json:"horizons"`
}

// BacktestScore is the error of forecasts made Days ahead: MAPE in percent,
// MAE in units, Coverage the share of actual values inside the interval,
// over N forecast origins (0: history too short, see Reason).
type BacktestScore struct {
	Days     int     `json:"days"`
	N        int     `json:"n"`
	MAPE     float64 `json:"mape"`
	MAE      float64 `json:"mae"`
	Coverage float64 `json:"coverage"`
	Reason   string  `json:"reason,omitempty"`
}

// Plan basis values: what the demand at the horizon was taken from.
const (
	// BasisForecast: the upper bound of the forecast interval.
	BasisForecast = "forecast"
	// BasisForecastMean: the forecast mean; the forecast gave no upper
	// bound above it, so the plan has no margin for uncertainty beyond the
	// headroom.
	BasisForecastMean = "forecast-mean"
	// BasisCurrent: no forecast; today's count plus headroom. Never a
	// purchase (Buy is 0): it says where the headroom stands, not a need.
	BasisCurrent = "current"
)

// Plan is the recommendation for the horizon over every type with seats.
type Plan struct {
	// Summary is the one-line recommendation, e.g. "buy 12 Professional and
	// 3 Analyzer" or "reclaim 40 Professional first; no purchase needed".
	Summary string     `json:"summary"`
	Lines   []PlanLine `json:"lines"`
	// WithDowngrades is the same plan after moving the Professional users
	// on the downgrade list to Analyzer; nil when there is nobody to move or
	// the site has no Analyzer seats.
	WithDowngrades *PlanVariant `json:"withDowngrades,omitempty"`
}

// PlanVariant is the plan under one lever: Moves Professional users move to
// Analyzer, lowering Professional demand and raising Analyzer demand by as
// many.
type PlanVariant struct {
	Moves   int64      `json:"moves"`
	Summary string     `json:"summary"`
	Lines   []PlanLine `json:"lines"`
}

// PlanLine is the arithmetic for one type:
//
//	Required  = ceil(Demand × (1 + headroom%))
//	Shortfall = max(0, Required − Licensed)
//	Reclaim   = min(Reclaimable, Shortfall)
//	Buy       = Shortfall − Reclaim (0 for BasisCurrent: no forecast, no purchase)
type PlanLine struct {
	Type      license.Type `json:"type"`
	Label     string       `json:"label"`
	Licensed  int64        `json:"licensed"`
	Allocated int64        `json:"allocated"`
	Basis     string       `json:"basis"`
	// RestsOn says in words what Demand rests on.
	RestsOn    string  `json:"restsOn"`
	DemandMean float64 `json:"demandMean"`
	// Demand is the figure planned against (the interval's upper bound for
	// BasisForecast), never below today's demand.
	Demand float64 `json:"demand"`
	// Unmet is the unmet demand still waiting today that Demand includes (0
	// when the type is not at its total or none is recorded).
	Unmet    float64 `json:"unmetDemand"`
	Required int64   `json:"required"`
	// Reclaimable is what the inactivity threshold frees; ReclaimableLater
	// the part of it that frees only after the quarantine.
	Reclaimable      int64 `json:"reclaimable"`
	ReclaimableLater int64 `json:"reclaimableAfterQuarantine"`
	Shortfall        int64 `json:"shortfall"`
	Reclaim          int64 `json:"reclaim"`
	Buy              int64 `json:"buy"`
	// Spare is Licensed − Required when positive: seats not needed.
	Spare int64 `json:"spare"`
	// BuyWithReconstructed is what the plan would buy if it trusted the
	// reconstructed history fitted with --include-reconstructed; set only
	// when that differs from Buy (reconstructed days are lower bounds and
	// never buy seats on their own).
	BuyWithReconstructed *int64 `json:"buyWithReconstructed,omitempty"`
}

// WhatIf is what reclaiming allocations unused for Days would free per type
// and leave to buy.
type WhatIf struct {
	Days  int          `json:"days"`
	Types []WhatIfType `json:"types"`
}

// WhatIfType is one type's line of a WhatIf.
type WhatIfType struct {
	Type license.Type `json:"type"`
	// Free is the allocations that would be released; Later those of them
	// that free their seat only after the quarantine; Excluded those kept by
	// the exclusions (keep markers, INTERNAL accounts, RootAdmins).
	Free     int64 `json:"free"`
	Later    int64 `json:"later"`
	Excluded int64 `json:"excluded"`
	Buy      int64 `json:"buy"`
}

// Candidate kinds.
const (
	KindReclaim   = "reclaim"   // allocation unused for the inactivity threshold
	KindDowngrade = "downgrade" // Professional without authoring → Analyzer
	KindDual      = "dual"      // holds Professional and Analyzer
	KindCapacity  = "capacity"  // capacity minutes above an Analyzer seat's break-even
)

// DefaultCandidateLimit is how many entries of each candidate list the
// report JSON (`licmon report --format json` without --candidates) and the
// API's report carry; the counts are always complete, and the full lists
// are behind --candidates and the paged candidates endpoint.
const DefaultCandidateLimit = 20

// Candidates are the per-user lists behind the plan, sorted (most idle
// first, or most minutes first). Counts are always the full lists' sizes;
// the lists themselves are complete only when Complete is true, else each
// holds its first Limit entries.
type Candidates struct {
	Complete bool `json:"complete"`
	// Limit is the most entries a list holds when Complete is false.
	Limit     int             `json:"limit,omitempty"`
	Counts    CandidateCounts `json:"counts"`
	Reclaim   []Candidate     `json:"reclaim"`
	Downgrade []Candidate     `json:"downgrade"`
	Dual      []Candidate     `json:"dual"`
	Capacity  []Candidate     `json:"capacity"`
}

// CandidateCounts are the sizes of the complete candidate lists.
type CandidateCounts struct {
	Reclaim   int `json:"reclaim"`
	Downgrade int `json:"downgrade"`
	Dual      int `json:"dual"`
	Capacity  int `json:"capacity"`
}

// Sizes are the sizes of the full lists: Counts, or a list's length where
// that is more (a model built by hand, without counts, holds its lists
// whole).
func (c Candidates) Sizes() CandidateCounts {
	return CandidateCounts{Reclaim: max(c.Counts.Reclaim, len(c.Reclaim)), Downgrade: max(c.Counts.Downgrade, len(c.Downgrade)),
		Dual: max(c.Counts.Dual, len(c.Dual)), Capacity: max(c.Counts.Capacity, len(c.Capacity))}
}

// WithCandidateLimit returns r with each candidate list cut to its first
// limit entries (a shallow copy: r is not changed), or r itself when
// limit ≤ 0 or no list is longer. The API's report is the model serve
// keeps, cut so.
func (r *Report) WithCandidateLimit(limit int) *Report {
	c := r.Candidates
	if limit <= 0 || max(len(c.Reclaim), len(c.Downgrade), len(c.Dual), len(c.Capacity)) <= limit {
		return r
	}
	cut := func(l []Candidate) []Candidate { return l[:min(len(l), limit)] }
	out := *r
	out.Candidates = Candidates{Limit: limit, Counts: c.Sizes(),
		Reclaim: cut(c.Reclaim), Downgrade: cut(c.Downgrade), Dual: cut(c.Dual), Capacity: cut(c.Capacity)}
	if c.Limit > 0 {
		out.Candidates.Limit = min(limit, c.Limit)
	}
	return &out
}

// Candidate is one user on a candidate list, with the facts that put them
// there.
type Candidate struct {
	Kind      string       `json:"kind"`
	UserGUID  string       `json:"userGuid"`
	Directory string       `json:"directory"`
	UserID    string       `json:"userId"`
	Name      string       `json:"name,omitempty"`
	Type      license.Type `json:"type,omitempty"`
	// AllocationID is the allocation to release or change, if any.
	AllocationID string     `json:"allocationId,omitempty"`
	Created      *time.Time `json:"created,omitempty"`
	LastUsed     *time.Time `json:"lastUsed,omitempty"`
	// IdleDays is days since LastUsed (since Created when never used).
	IdleDays     int        `json:"idleDays"`
	LastAuthored *time.Time `json:"lastAuthored,omitempty"`
	AppsOwned    int        `json:"appsOwned,omitempty"`
	ObjectsOwned int        `json:"objectsOwned,omitempty"`
	Connections  int        `json:"dataConnectionsOwned,omitempty"`
	// Minutes are capacity minutes in MinutesMonth.
	Minutes      int64  `json:"minutes,omitempty"`
	MinutesMonth string `json:"minutesMonth,omitempty"`
	// FreesAfter is when the seat frees when it is released now (the
	// quarantine end), if later than AsOf.
	FreesAfter *time.Time `json:"freesAfter,omitempty"`
	Reason     string     `json:"reason"`
}

// CapacityMonth is the analyzer-capacity pool of the current month. Minutes
// renew each calendar month.
type CapacityMonth struct {
	Month    string `json:"month"`
	Licensed int64  `json:"licensedMinutes"`
	Used     int64  `json:"usedMinutes"`
	// LastMonth is the minutes of the previous month; nil when no
	// collection of that month recorded them.
	LastMonth  *int64  `json:"lastMonthMinutes"`
	Users      int     `json:"users"`
	BurnPerDay float64 `json:"burnPerDay"`
	// Projected is the month-end use at the current burn rate.
	Projected int64 `json:"projectedMinutes"`
	// RunsOut is the day the pool runs out at the current burn rate, nil if
	// it lasts the month.
	RunsOut *time.Time `json:"runsOut,omitempty"`
	Reason  string     `json:"reason"`
}

// UnmetDemand is demand that the license refused (access denials), per
// type, each from the one source it rests on.
type UnmetDemand struct {
	// Available is false when no type has any denial data; Note says why
	// (or what the figures mean when there are some).
	Available bool        `json:"available"`
	Note      string      `json:"note"`
	Types     []UnmetType `json:"types"`
}

// UnmetType is the unmet demand of one license type. Sources are never
// summed: the figures rest on Source, the most trusted source with data
// (logs, then import, then qrs-estimate); Sources lists every source with
// data so a reader can compare them.
type UnmetType struct {
	Type  license.Type `json:"type"`
	Label string       `json:"label"`
	// Source is license.DenialsFromLogs, DenialsFromImport or
	// DenialsEstimated; nil when no source has data for the type.
	Source *string `json:"source"`
	// Estimate is true when Source is the QRS estimate (users who appeared
	// without a seat while the type was full), not measured refusals.
	Estimate bool `json:"estimate"`
	// AtCapacity: allocated has reached the licensed total today.
	AtCapacity bool `json:"atCapacity"`
	// WindowDays is the period Denials counts, ending on the report day.
	WindowDays int `json:"windowDays"`
	// Denials is the refusals in the window from Source; nil when unknown.
	Denials *int64 `json:"denials"`
	// Waiting is the unmet demand still waiting on the report day by the
	// model of docs/FORECASTING.md ("Demand at capacity"); nil when unknown.
	Waiting *float64 `json:"waiting"`
	// LastDay is the latest day with a refusal from Source.
	LastDay *time.Time    `json:"lastDenialDay,omitempty"`
	Sources []UnmetSource `json:"sources"`
	Note    string        `json:"note"`
}

// UnmetSource is one source's figures for a type.
type UnmetSource struct {
	Source string `json:"source"`
	// Denials is the refusals in the window; Days the days with data in
	// the whole history.
	Denials int64 `json:"denials"`
	Days    int   `json:"days"`
}
