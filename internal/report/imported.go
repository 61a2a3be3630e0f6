package report

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// historyOnly tells whether the report rests on imported history alone:
// the site has no collection on or before asOf (zero: ever) but imported
// days. Then the report is made at the end of asOf, or of the last imported
// day, and its data are those of the last imported day on or before it.
func historyOnly(ctx context.Context, st Source, site string, asOf time.Time) (at, dataAt time.Time, ok bool, err error) {
	first, last, err := st.ImportedRange(ctx, site)
	if errors.Is(err, license.ErrUnknownSite) || (err == nil && first.IsZero()) {
		return time.Time{}, time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, time.Time{}, false, fmt.Errorf("build report for %s: %w", site, err)
	}
	endOf := func(d time.Time) time.Time { return license.Day(d).Add(day - time.Second) }
	if asOf.IsZero() {
		latest, err := st.LatestSnapshotTime(ctx, site)
		if err != nil || !latest.IsZero() {
			return time.Time{}, time.Time{}, false, err
		}
		return endOf(last), endOf(last), true, nil
	}
	if license.Day(asOf).Before(first) {
		return time.Time{}, time.Time{}, false, nil
	}
	cs, err := st.Collections(ctx, site, time.Time{}, asOf)
	if err != nil || len(cs) > 0 {
		return time.Time{}, time.Time{}, false, err
	}
	if license.Day(asOf).Before(last) {
		last = license.Day(asOf)
	}
	return asOf.UTC(), endOf(last), true, nil
}

// countersFromHistory stands in for a collection's counters: each type's
// last daily point on or before at.
func countersFromHistory(ctx context.Context, st Source, site string, at time.Time) ([]license.Counters, error) {
	var out []license.Counters
	for _, typ := range license.Types() {
		pts, err := st.CounterSeries(ctx, site, typ, at.AddDate(-historyYears, 0, 0), at)
		if err != nil {
			return nil, fmt.Errorf("read %s history of %s: %w", typ, site, err)
		}
		for i := len(pts) - 1; i >= 0; i-- {
			if p := pts[i]; !p.Reconstructed {
				out = append(out, license.Counters{Type: typ, Enabled: true, Total: p.Total, Allocated: p.Allocated, Used: p.Used,
					Quarantined: p.Quarantined, Excess: p.Excess, Available: p.Available})
				break
			}
		}
	}
	return out, nil
}
