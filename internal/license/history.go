package license

import "time"

// HistoryDay is one day of one type's counts in the report's terms, the
// form an admin keeps in a spreadsheet and licmon history import and export
// exchange: Licensed and Allocated are seats for Professional and Analyzer,
// minutes a month and minutes used for analyzer capacity, and tokens of the
// pool and tokens in use for user and login access passes (see Seats).
//
// Used (Professional and Analyzer: the QRS "used" count), Quarantined
// (Professional, Analyzer, user access) and Denied (access denials that day)
// are optional: the *Known flag says whether the value was given, so an
// unknown value is never mistaken for 0.
type HistoryDay struct {
	Day       time.Time // UTC midnight
	Type      Type
	Licensed  int64
	Allocated int64

	Used, Quarantined, Denied                int64
	UsedKnown, QuarantinedKnown, DeniedKnown bool
}

// HasUsed reports whether a type has a "used" count apart from Allocated:
// only Professional and Analyzer do (for capacity and passes, Allocated
// already is what was used).
func (t Type) HasUsed() bool { return t == Professional || t == Analyzer }

// HasQuarantine reports whether a type's allocations go to quarantine.
func (t Type) HasQuarantine() bool { return t.PerUser() }

// Counters returns the day as a daily point in the store's terms (the QRS
// counters' fields, see Counters), marked Imported. An unknown Used or
// Quarantined becomes 0 there; HistoryDay keeps the difference.
func (h HistoryDay) Counters() DailyCounters {
	p := DailyCounters{Day: Day(h.Day), Type: h.Type, Imported: true}
	switch h.Type {
	case UserAccess, LoginAccess:
		p.Allocated, p.Used = h.Licensed, h.Allocated
	case AnalyzerCapacity:
		p.Total, p.Used = h.Licensed, h.Allocated
	default:
		p.Total, p.Allocated, p.Used = h.Licensed, h.Allocated, h.Used
		p.Excess = max(0, h.Allocated-h.Licensed)
	}
	if h.Type != UserAccess && h.Type != LoginAccess {
		// As the QRS reports it: an over-allocated pool has 0 available.
		p.Available = max(0, h.Licensed-h.Allocated)
	}
	if h.Type.HasQuarantine() {
		p.Quarantined = h.Quarantined
	}
	return p
}

// HistoryDayOf returns a daily point in the report's terms, the inverse of
// HistoryDay.Counters. Used and Quarantined are known where the type has
// them; Denied is never known here (denials are kept apart, by source).
func HistoryDayOf(p DailyCounters) HistoryDay {
	h := HistoryDay{Day: Day(p.Day), Type: p.Type}
	h.Allocated, h.Licensed = p.Seats()
	if p.Type.HasUsed() {
		h.Used, h.UsedKnown = p.Used, true
	}
	if p.Type.HasQuarantine() {
		h.Quarantined, h.QuarantinedKnown = p.Quarantined, true
	}
	return h
}

// Seats returns a daily point's allocated and licensed figures in the
// report's terms: seats for Professional and Analyzer, minutes used and
// minutes a month for analyzer capacity, tokens in use and tokens of the
// pool for passes. Reconstructed user-access points count allocations (passes
// in use) in Allocated and know no pool size.
func (p DailyCounters) Seats() (allocated, licensed int64) {
	switch {
	case p.Type == UserAccess && p.Reconstructed:
		return p.Allocated, p.Total
	case p.Type == UserAccess, p.Type == LoginAccess:
		return p.Used, p.Allocated
	case p.Type == AnalyzerCapacity:
		return p.Used, p.Total
	}
	return p.Allocated, p.Total
}
