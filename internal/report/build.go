package report

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
)

const day = 24 * time.Hour

// Build computes the report of one site from the history store only (it
// never talks to the QRS). Build is deterministic for a given store, site
// and Options.
func Build(ctx context.Context, st Source, site string, opts Options) (*Report, error) {
	o, err := opts.resolve()
	if err != nil {
		return nil, fmt.Errorf("build report: %w", err)
	}
	asOf, dataAt, fromHistory, err := historyOnly(ctx, st, site, o.AsOf)
	if err != nil {
		return nil, err
	}
	if !fromHistory {
		if asOf, dataAt, err = resolveAsOf(ctx, st, site, o.AsOf); err != nil {
			return nil, err
		}
	}
	end := o.HorizonEnd
	if end.IsZero() {
		end = asOf.AddDate(0, DefaultHorizonMonths, 0)
	}
	if !end.After(asOf) {
		return nil, fmt.Errorf("build report: the horizon %s must be after the report date %s", end.Format(time.DateOnly), asOf.Format(time.DateOnly))
	}
	r := &Report{
		SchemaVersion: SchemaVersion, Site: site, AsOf: asOf.UTC(), DataAt: dataAt,
		HorizonEnd: end.UTC(), HorizonDays: int(license.Day(end).Sub(license.Day(asOf)) / day),
		Settings: Settings{InactivityDays: o.InactivityDays, HeadroomPct: o.HeadroomPct, AuthoringDays: o.AuthoringDays,
			AnalyzerMinutes: o.AnalyzerMinutes, QuarantineDays: QuarantineDays, KeepMarkers: o.KeepMarkers,
			IncludeReconstructed: o.IncludeReconstructed, IntervalLevel: forecast.DefaultLevel, WhatIfDays: o.WhatIfDays},
		Notes: []string{},
	}
	if age := asOf.Sub(dataAt); age > 2*day && !fromHistory {
		r.Notes = append(r.Notes, fmt.Sprintf("the latest collection is %d days older than the report date; run licmon collect daily", int(age/day)))
	}

	// The counters decide which types the report has; then the per-user
	// state and the per-type histories and forecasts are read and computed
	// concurrently: on a large site each is a large part of the time.
	counters, err := st.CountersAt(ctx, site, dataAt)
	if err != nil {
		return nil, fmt.Errorf("read counters of %s: %w", site, err)
	}
	if fromHistory {
		if counters, err = countersFromHistory(ctx, st, site, dataAt); err != nil {
			return nil, err
		}
		r.Notes = append(r.Notes, fmt.Sprintf("no collection on or before %s: the figures are the imported history's of %s (licmon history import); usage, candidates and capacity use need licmon collect",
			asOf.Format(time.DateOnly), dataAt.Format(time.DateOnly)))
	}
	for _, c := range counters {
		if !c.Enabled && c.Total == 0 && c.Allocated == 0 && c.Used == 0 {
			continue
		}
		tr := TypeReport{Type: c.Type, Label: c.Type.Label(), PerUser: c.Type.PerUser(), Quarantined: c.Quarantined, Excess: c.Excess}
		tr.Allocated, tr.Licensed = counterValues(c)
		tr.Remaining = tr.Licensed - tr.Allocated
		r.Types = append(r.Types, tr)
	}
	sort.SliceStable(r.Types, func(i, j int) bool { return typeOrder(r.Types[i].Type) < typeOrder(r.Types[j].Type) })

	var wg sync.WaitGroup
	errs := make([]error, len(r.Types)+1)
	var in *inputs
	wg.Add(1)
	go func() {
		defer wg.Done()
		in, errs[len(r.Types)] = load(ctx, st, site, dataAt, counters)
	}()
	for i := range r.Types {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = forecastType(ctx, st, site, &r.Types[i], asOf, end, o)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if in.lic != nil && in.lic.Model != "" {
		li := &LicenseInfo{Model: in.lic.Model, Name: in.lic.Name, Expired: in.lic.Expired}
		if !in.lic.ValidTo.IsZero() {
			v := in.lic.ValidTo.UTC()
			li.ValidTo = &v
		}
		r.License = li
	}
	pop := newPopulation(in.allocs, in.users, o.KeepMarkers, asOf)
	for i := range r.Types {
		if r.Types[i].PerUser && !fromHistory { // imported counts name no users: usage unknown
			r.Types[i].Usage = usage(pop, r.Types[i].Type)
		}
	}
	for _, t := range r.Types {
		if t.Forecast.ReconstructedPoints > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: the forecast includes %d reconstructed days (lower bounds; they overstate growth)", t.Label, t.Forecast.ReconstructedPoints))
		}
	}
	if hasRecon(r.Types) && !o.IncludeReconstructed {
		r.Notes = append(r.Notes, "reconstructed history (lower bounds rebuilt from allocation dates) is shown dashed and left out of the forecasts; --include-reconstructed fits on it too, but it never buys seats on its own")
	}

	limit := o.CandidateLimit
	c := &r.Candidates
	var reclaimed []bool
	c.Reclaim, c.Counts.Reclaim, reclaimed = reclaimCandidates(pop, o.InactivityDays, limit)
	c.Downgrade, c.Counts.Downgrade = downgradeCandidates(pop, in.authoring, reclaimed, o.AuthoringDays, limit)
	r.UnmetDemand = unmetDemand(r.Types)
	r.Plan = plan(r.Types, pop, o.InactivityDays, o.HeadroomPct, int64(c.Counts.Downgrade))
	for _, d := range o.WhatIfDays {
		r.WhatIf = append(r.WhatIf, whatIf(r.Types, pop, d, o.HeadroomPct))
	}
	r.Notes = append(r.Notes, planNotes(r.Types, r.Plan)...)
	c.Dual, c.Counts.Dual = dualCandidates(pop, limit)
	r.Capacity = capacityMonth(in.counters, in.capNow, in.capLast, in.lastMonthKnown, dataAt)
	c.Capacity, c.Counts.Capacity = capacityCandidates(in.capNow, in.capLast, pop, o.AnalyzerMinutes, limit)
	c.Complete = limit <= 0 || max(c.Counts.Reclaim, c.Counts.Downgrade, c.Counts.Dual, c.Counts.Capacity) <= limit
	if !c.Complete {
		c.Limit = limit
	}
	return r, nil
}

// resolveAsOf returns the report moment and the collection it reads.
func resolveAsOf(ctx context.Context, st Source, site string, asOf time.Time) (time.Time, time.Time, error) {
	if asOf.IsZero() {
		t, err := st.LatestSnapshotTime(ctx, site)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("build report for %s: %w", site, err)
		}
		if t.IsZero() {
			return time.Time{}, time.Time{}, fmt.Errorf("build report for %s: %w", site, license.ErrUnknownSite)
		}
		return t.UTC(), t.UTC(), nil
	}
	cs, err := st.Collections(ctx, site, asOf.AddDate(0, 0, -400), asOf)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("build report for %s: %w", site, err)
	}
	if len(cs) == 0 {
		first, err := st.Collections(ctx, site, time.Time{}, time.Now().AddDate(100, 0, 0))
		if err == nil && len(first) > 0 {
			return time.Time{}, time.Time{}, fmt.Errorf("build report for %s: no collection on or before %s; history starts %s",
				site, asOf.Format(time.DateOnly), first[0].At.Format(time.DateOnly))
		}
		return time.Time{}, time.Time{}, fmt.Errorf("build report for %s: %w", site, license.ErrUnknownSite)
	}
	return asOf.UTC(), cs[len(cs)-1].At.UTC(), nil
}

// inputs is the per-user state the report reads from one collection.
type inputs struct {
	counters        []license.Counters
	lic             *license.SiteLicense
	allocs          []license.Allocation
	users           []license.User
	authoring       map[string]license.Authoring
	capNow, capLast []license.CapacityUse
	// lastMonthKnown: a collection of the previous month recorded its
	// capacity minutes.
	lastMonthKnown bool
}

func load(ctx context.Context, st Source, site string, at time.Time, counters []license.Counters) (*inputs, error) {
	in := &inputs{counters: counters}
	var (
		wg   sync.WaitGroup
		errs [4]error
		au   []license.Authoring
	)
	wg.Add(3)
	go func() {
		defer wg.Done()
		if in.allocs, errs[0] = st.AllocationsAt(ctx, site, at); errs[0] != nil {
			errs[0] = fmt.Errorf("read allocations of %s: %w", site, errs[0])
		}
	}()
	go func() {
		defer wg.Done()
		if in.users, errs[1] = st.UsersAt(ctx, site, at); errs[1] != nil {
			errs[1] = fmt.Errorf("read users of %s: %w", site, errs[1])
		}
	}()
	go func() {
		defer wg.Done()
		if au, errs[2] = st.AuthoringAt(ctx, site, at); errs[2] != nil {
			errs[2] = fmt.Errorf("read authoring of %s: %w", site, errs[2])
			return
		}
		var err error
		if in.lic, err = st.LicenseAt(ctx, site, at); err != nil {
			errs[3] = fmt.Errorf("read license of %s: %w", site, err)
			return
		}
		month := license.MonthOf(at)
		if in.capNow, err = st.CapacityUse(ctx, site, month); err != nil {
			errs[3] = fmt.Errorf("read capacity use of %s: %w", site, err)
			return
		}
		last := monthStart(at).AddDate(0, -1, 0)
		if in.capLast, err = st.CapacityUse(ctx, site, license.MonthOf(last)); err != nil {
			errs[3] = fmt.Errorf("read capacity use of %s: %w", site, err)
			return
		}
		cs, err := st.Collections(ctx, site, last, monthStart(at).Add(-time.Second))
		if err != nil {
			errs[3] = fmt.Errorf("read collections of %s: %w", site, err)
		}
		in.lastMonthKnown = len(cs) > 0
	}()
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	in.authoring = make(map[string]license.Authoring, len(au))
	for _, a := range au {
		in.authoring[a.UserGUID] = a
	}
	return in, nil
}

// counterValues maps a type's counters to (allocated, licensed) in the
// report's terms (see TypeReport).
func counterValues(c license.Counters) (allocated, licensed int64) { return c.Seats() }

// dailyValues maps a daily point the same way (license.DailyCounters.Seats,
// which history import and export share).
func dailyValues(p license.DailyCounters) (allocated, licensed int64) { return p.Seats() }

func typeOrder(t license.Type) int {
	for i, k := range license.Types() {
		if k == t {
			return i
		}
	}
	return len(license.Types())
}

func hasRecon(ts []TypeReport) bool {
	for _, t := range ts {
		for _, h := range t.History {
			if h.Reconstructed {
				return true
			}
		}
	}
	return false
}

func monthStart(t time.Time) time.Time {
	y, m, _ := t.UTC().Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}

// usage counts allocations of typ by last use, as of asOf.
func usage(p *population, typ license.Type) *Usage {
	u := &Usage{}
	var created90 int64
	asOf := p.asOf
	for i, a := range p.allocs {
		if a.Type != typ || a.Quarantined {
			continue
		}
		idle := p.idle[i]
		switch {
		case a.LastUsed.IsZero():
			u.NeverUsed++
		default:
			since := asOf.Sub(a.LastUsed)
			if since < 7*day {
				u.Used7++
			}
			if since < 30*day {
				u.Used30++
			}
			if since < 90*day {
				u.Used90++
			}
		}
		if idle >= 30 {
			u.Unused30++
		}
		if idle >= 60 {
			u.Unused60++
		}
		if idle >= 90 {
			u.Unused90++
		}
		if !a.Created.IsZero() && asOf.Sub(a.Created) < 90*day {
			created90++
			if asOf.Sub(a.Created) < 30*day && !a.LastUsed.IsZero() {
				u.FirstTime30++
			}
		}
	}
	u.NewPerMonth = round1(float64(created90) / 90 * 365.25 / 12)
	return u
}

// idleDays is whole days since the allocation was last used, or since it was
// created when it never was (a never-used allocation with no creation date
// counts as idle forever).
func idleDays(a license.Allocation, asOf time.Time) int {
	ref := a.LastUsed
	if ref.IsZero() {
		ref = a.Created
	}
	if ref.IsZero() {
		return 1 << 30
	}
	return max(0, int(asOf.Sub(ref)/day))
}

func ptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// excludedWhy says why a user is excluded, or "" when not.
func excludedWhy(u license.User, markers []string) string {
	if strings.EqualFold(u.Directory, "INTERNAL") {
		return "INTERNAL service account"
	}
	for _, r := range u.Roles {
		if strings.EqualFold(r, "RootAdmin") {
			return "RootAdmin"
		}
	}
	for _, m := range markers {
		for _, t := range u.Tags {
			if strings.EqualFold(t, m) {
				return "tagged " + t
			}
		}
		for name, vals := range u.CustomProperties {
			if strings.EqualFold(name, m) {
				return "custom property " + name
			}
			for _, v := range vals {
				if strings.EqualFold(v, m) {
					return "custom property " + name + "=" + v
				}
			}
		}
	}
	return ""
}
