package report

import (
	"context"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// Source is what the report reads of a site's history: exactly these
// reads and nothing that writes. The history store (store.Store) satisfies
// it as it is, so callers pass their store; the report itself stays pure
// and knows nothing of SQL or files.
//
// The methods mean what the store's do: times returned are UTC; the *At
// reads return the state recorded by the last collection at or before at
// (empty when there is none), sorted by ID or user GUID; a site the
// history does not know is license.ErrUnknownSite.
type Source interface {
	// LatestSnapshotTime is the time of the site's latest collection, zero
	// if it has none.
	LatestSnapshotTime(ctx context.Context, site string) (time.Time, error)
	// Collections lists the site's collections with at in [from, to],
	// oldest first.
	Collections(ctx context.Context, site string, from, to time.Time) ([]license.Collection, error)
	// ImportedRange is the first and last imported day of the site, zero
	// when it has none.
	ImportedRange(ctx context.Context, site string) (first, last time.Time, err error)

	CountersAt(ctx context.Context, site string, at time.Time) ([]license.Counters, error)
	LicenseAt(ctx context.Context, site string, at time.Time) (*license.SiteLicense, error)
	AllocationsAt(ctx context.Context, site string, at time.Time) ([]license.Allocation, error)
	UsersAt(ctx context.Context, site string, at time.Time) ([]license.User, error)
	AuthoringAt(ctx context.Context, site string, at time.Time) ([]license.Authoring, error)
	// CapacityUse is the analyzer-capacity minutes per user of a month
	// ("2006-01").
	CapacityUse(ctx context.Context, site, month string) ([]license.CapacityUse, error)

	// CounterSeries is one point per day in [from, to] with data: measured,
	// else imported, else reconstructed.
	CounterSeries(ctx context.Context, site string, typ license.Type, from, to time.Time) ([]license.DailyCounters, error)
	// Denials is the daily denial counts of typ in [from, to] from every
	// source, by day and then source.
	Denials(ctx context.Context, site string, typ license.Type, from, to time.Time) ([]license.DenialDay, error)
}
