package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// Store is licmon's license history. Every command reads and writes history
// through it. One implementation over database/sql serves SQLite (a file,
// the default) and PostgreSQL (a postgres:// DSN), with the same queries
// and the same behaviour (see dialect.go).
//
// Times passed in may be in any location; times returned are UTC. All times
// are kept at one-second precision.
type Store interface {
	// SaveSnapshot records one collection in a single transaction and
	// returns what changed since the previous collection of the site.
	SaveSnapshot(ctx context.Context, s *license.Snapshot) (*SaveResult, error)
	// SaveSnapshotBackfill is SaveSnapshot that also stores, in the same
	// transaction, reconstruct's backfilled daily points for the days before
	// the site's first collection when the site has none yet (its first
	// collection, or a later one after a backfill was lost).
	// SaveResult.Backfilled counts the points written.
	SaveSnapshotBackfill(ctx context.Context, s *license.Snapshot, reconstruct func(*license.Snapshot) []license.DailyCounters) (*SaveResult, error)
	// SaveReconstructed stores (replacing by site, type and day) backfilled
	// daily points from license.Reconstruct.
	SaveReconstructed(ctx context.Context, site string, points []license.DailyCounters) error
	// ImportHistory stores daily counts brought in from outside licmon
	// (licmon history import) in one transaction, creating the site if
	// new: a day and type with a measured collection keeps the measured
	// values (a row that contradicts them is returned as a conflict and not
	// stored), other rows replace the site's earlier imported values of
	// their day and type, and known Denied counts go to the denials with
	// source license.DenialsFromImport. Importing the same rows again
	// changes nothing.
	ImportHistory(ctx context.Context, site string, days []license.HistoryDay, opts ImportOptions) (*ImportResult, error)
	// ImportedHistory returns the site's imported days in [from, to] (UTC
	// days) by day and type, as imported (Denied is not filled: see Denials).
	ImportedHistory(ctx context.Context, site string, from, to time.Time) ([]license.HistoryDay, error)
	// ImportedRange returns the first and last imported day of the site,
	// zero when it has none.
	ImportedRange(ctx context.Context, site string) (first, last time.Time, err error)

	// Sites lists the sites that have history, by name.
	Sites(ctx context.Context) ([]string, error)
	// LatestSnapshotTime is the time of the site's latest collection, zero
	// if it has none.
	LatestSnapshotTime(ctx context.Context, site string) (time.Time, error)
	// Collections lists the site's collections with at in [from, to], oldest first.
	Collections(ctx context.Context, site string, from, to time.Time) ([]Collection, error)

	// CountersAt, LicenseAt, AllocationsAt, UsersAt and AuthoringAt return
	// the state recorded by the last collection at or before at (empty, nil
	// error if there is none; ErrUnknownSite for a site never saved).
	// Slices are sorted by ID / UserGUID.
	CountersAt(ctx context.Context, site string, at time.Time) ([]license.Counters, error)
	LicenseAt(ctx context.Context, site string, at time.Time) (*license.SiteLicense, error)
	AllocationsAt(ctx context.Context, site string, at time.Time) ([]license.Allocation, error)
	UsersAt(ctx context.Context, site string, at time.Time) ([]license.User, error)
	AuthoringAt(ctx context.Context, site string, at time.Time) ([]license.Authoring, error)

	// UnusedAllocations returns the non-quarantined allocations as of at
	// that were never used or last used before at-idle: never-used first,
	// then by LastUsed ascending.
	UnusedAllocations(ctx context.Context, site string, at time.Time, idle time.Duration) ([]license.Allocation, error)

	// DailyCounters returns one point per day in [from, to] (UTC days) that
	// has data, by day: the last collection of the day when there is one,
	// else the imported value (Imported), else, before the first
	// collection, the reconstructed one (Reconstructed). Active on measured
	// points of per-user types comes from ActiveUsers; it is zero for
	// capacity, login access and imported points.
	DailyCounters(ctx context.Context, site string, typ license.Type, from, to time.Time) ([]license.DailyCounters, error)
	// CounterSeries is DailyCounters without the Active column, which costs
	// a read of every use ever observed; charts and forecasts need only the
	// counters.
	CounterSeries(ctx context.Context, site string, typ license.Type, from, to time.Time) ([]license.DailyCounters, error)
	// ActiveUsers counts distinct users with a use of typ in each period
	// from the period of from to the period of to, inclusive (zeros
	// included), from every lastUsed value ever observed.
	ActiveUsers(ctx context.Context, site string, typ license.Type, from, to time.Time, g Granularity) ([]ActivePoint, error)
	// CapacityUse returns the analyzer-capacity minutes per user of a month
	// ("2006-01"), sorted by UserGUID.
	CapacityUse(ctx context.Context, site, month string) ([]license.CapacityUse, error)

	// SaveDenials stores daily access-denial counts from one source
	// (license.DenialsFromLogs, DenialsFromImport or DenialsEstimated),
	// replacing what that source had for the same site, type and day; other
	// sources' counts for those days are kept. The site is created if new
	// (history can be imported before the first collection).
	SaveDenials(ctx context.Context, site, source string, days []license.DenialDay) error
	// Denials returns the daily denial counts of typ in [from, to] (UTC
	// days) from every source, ordered by day and then source.
	Denials(ctx context.Context, site string, typ license.Type, from, to time.Time) ([]license.DenialDay, error)

	// SaveCheck records one licmon check result and returns its id.
	SaveCheck(ctx context.Context, c CheckResult) (int64, error)
	// Checks returns the site's latest check results, newest first.
	Checks(ctx context.Context, site string, limit int) ([]CheckResult, error)

	// ActionStore holds plans and the audit trail of changes to sites.
	ActionStore
	// LogStore holds what licmon logs import reads from the Qlik Sense logs.
	LogStore

	// Stats reports rows and bytes per table and the date range per site.
	Stats(ctx context.Context) (*Stats, error)
	// Close closes the database.
	Close() error
}

// Granularity is the period of an ActiveUsers series.
type Granularity int

// Granularities of ActiveUsers.
const (
	Day Granularity = iota
	Month
)

// ActivePoint is the number of distinct active users in a period starting at Period (UTC).
type ActivePoint struct {
	Period time.Time
	Count  int64
}

// Collection is one recorded collection (the type lives in license so
// that the report, which must not import the store, reads the same one).
type Collection = license.Collection

// SaveResult describes what SaveSnapshot did.
type SaveResult struct {
	CollectionID int64
	// First is true for the first collection of the site (time to backfill).
	First bool
	// Duplicate is true when the snapshot had the same time and content as
	// the latest collection: nothing was written and CollectionID is that
	// collection's.
	Duplicate bool
	Changes   ChangeSummary
	// Backfilled is the number of reconstructed daily points
	// SaveSnapshotBackfill wrote (0 for SaveSnapshot).
	Backfilled int
}

// ChangeSummary counts the per-user changes of one collection against the
// previous one. The maps are keyed by the allocation's (new) type and hold
// only non-zero counts. On the first collection every allocation and user
// counts as added.
type ChangeSummary struct {
	Allocated     map[license.Type]int // new allocation IDs
	Released      map[license.Type]int // allocation IDs gone (quarantine over or released immediately)
	Quarantined   map[license.Type]int // became quarantined
	Unquarantined map[license.Type]int // quarantine lifted (reinstated)
	// TypeChanged counts users whose allocation type changed: the same
	// allocation ID with a new type, or a user who lost one type and gained
	// another in this collection (also counted in Released/Allocated).
	TypeChanged      map[license.Type]int
	LastUsedAdvanced map[license.Type]int
	ExcessChanged    map[license.Type]int
	// OtherChanged counts allocation rows changed in other fields (user
	// directory/ID, created, quarantine end, deleted user).
	OtherChanged map[license.Type]int

	UsersAdded       int
	UsersRemoved     int
	UsersChanged     int
	AuthoringChanged int
	// CapacityChanged counts capacity-use rows (user, month) new or updated.
	CapacityChanged int
	LicenseChanged  bool
}

// Total is the number of changes counted (a row changed in several ways
// counts once per way); zero means the per-user state did not change.
func (c ChangeSummary) Total() int {
	n := c.UsersAdded + c.UsersRemoved + c.UsersChanged + c.AuthoringChanged + c.CapacityChanged
	for _, m := range []map[license.Type]int{c.Allocated, c.Released, c.Quarantined, c.Unquarantined,
		c.LastUsedAdvanced, c.ExcessChanged, c.OtherChanged} {
		for _, v := range m {
			n += v
		}
	}
	if c.LicenseChanged {
		n++
	}
	return n
}

// CheckResult is one stored `licmon check` outcome.
type CheckResult struct {
	ID       int64
	Site     string
	At       time.Time
	Status   string // e.g. "ok", "warning", "critical"
	ExitCode int
	// JSON is the check's full -json output.
	JSON []byte
}

// Stats describes the database for `licmon store stats` style output.
type Stats struct {
	// Path is the SQLite file, or the PostgreSQL DSN without its password.
	Path string
	// Engine is "SQLite" or "PostgreSQL".
	Engine string
	// FileBytes is the main file + WAL (SQLite), or the bytes of the
	// store's tables with their indexes (PostgreSQL).
	FileBytes int64
	// PageSize, Pages and FreePages are SQLite's; zero on PostgreSQL.
	PageSize  int64
	Pages     int64
	FreePages int64
	// BytesExact is true when table sizes come from the dbstat virtual
	// table, false when they are estimates.
	BytesExact bool
	Tables     []TableStats
	Sites      []SiteStats
	Schema     int
}

// TableStats is the size of one table including its indexes.
type TableStats struct {
	Name  string
	Rows  int64
	Bytes int64
}

// SiteStats is the history range of one site.
type SiteStats struct {
	Site        string
	Collections int64
	First, Last time.Time
	// ReconstructedFrom is the first backfilled day, zero if none.
	ReconstructedFrom time.Time
	// ImportedFrom and ImportedTo are the first and last imported day,
	// zero if none.
	ImportedFrom, ImportedTo time.Time
}

// Options tune Open.
type Options struct {
	// ReadOnly opens an existing store for reading only (report, db
	// stats): a missing or empty file is ErrNoStore instead of a new
	// store, nothing is migrated and every write fails.
	ReadOnly bool
	// hook, when set by tests, is called at named stages of SaveSnapshot so
	// a test can kill the process mid-save.
	hook func(stage string)
	// maxVersion, when > 0, stops migrations at that schema version (tests
	// of upgrades from earlier versions).
	maxVersion int
	// noDigests, when set by tests, makes every save load the whole
	// current state instead of using the stored digests (digest.go): the
	// reference a save with digests must store the same history as.
	noDigests bool
	// migrations, when set by tests, replaces the embedded migrations.
	migrations []migration
}

// Errors a caller can test with errors.Is / errors.As.
var (
	// ErrNotLicmonDB means the file exists but is not a licmon database.
	ErrNotLicmonDB = errors.New("not a licmon database")
	// ErrNoStore means a read-only open found no database at the path.
	ErrNoStore = errors.New("no licmon database")
	// ErrDamaged means the file is a licmon database with tables missing
	// (dropped, or a half-copied file).
	ErrDamaged = errors.New("damaged or not a licmon database")
	// ErrOutOfOrder means a snapshot is older than the site's latest collection.
	ErrOutOfOrder = errors.New("snapshot older than the latest collection")
	// ErrConflict means a snapshot has the time of an existing collection but other content.
	ErrConflict = errors.New("a different snapshot was already saved at this time")
	// ErrPartialUsers means a snapshot with partial users does not add up
	// to its UserCount: users were deleted since the previous collection,
	// so the caller must read all users and save again.
	ErrPartialUsers = errors.New("the changed users do not add up to the user count: users were deleted; read all users")
	// ErrUnknownSite means the store has no history for the named site
	// (license.ErrUnknownSite: the report wraps the same error).
	ErrUnknownSite = license.ErrUnknownSite
	// ErrInvalidSnapshot means the snapshot itself is malformed.
	ErrInvalidSnapshot = errors.New("invalid snapshot")
)

// SchemaTooNewError is returned by Open for a database written by a newer
// licmon: this binary must not touch tables it does not know.
type SchemaTooNewError struct {
	Path          string
	Have, Support int
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("open store %s: created by a newer licmon (schema v%d, this licmon supports v%d); upgrade licmon",
		e.Path, e.Have, e.Support)
}
