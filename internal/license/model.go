package license

import "time"

// Counters are the site-wide figures of one access type at one collection,
// mapped from /qrs/license/accesstypeoverview. Fields a type does not have
// stay zero:
//   - Professional, Analyzer: Total, Allocated, Used, Quarantined, Excess,
//     Available as QRS reports them (QRS: available = total - allocated).
//   - AnalyzerCapacity (minutes per month): Total = allocatedMinutes,
//     Used = usedMinutes, Unavailable = unavailableMinutes,
//     Available = Total - Used.
//   - UserAccess (tokens): Allocated = allocatedTokens, Used = usedTokens,
//     Quarantined = quarantinedTokens.
//   - LoginAccess (tokens): Allocated, Used, Unavailable tokens.
type Counters struct {
	Type        Type
	Enabled     bool
	Total       int64
	Allocated   int64
	Used        int64
	Quarantined int64
	Excess      int64
	Available   int64
	Unavailable int64
	// TokenCost is the tokens one pass costs (token model only: user access
	// 1.0, login access 0.1 by default).
	TokenCost float64
}

// Seats maps the counters to (allocated, licensed) in the terms every
// output of licmon uses (report, API, /metrics): seats for Professional and
// Analyzer, minutes used of the month's pool for AnalyzerCapacity, tokens
// used of those allocated to the type for the token model. DailyCounters.Seats
// is the same mapping for a history point.
func (c Counters) Seats() (allocated, licensed int64) {
	return DailyCounters{Type: c.Type, Total: c.Total, Allocated: c.Allocated, Used: c.Used}.Seats()
}

// License models, the two forms a Qlik Sense site license takes.
const (
	ModelSignedKey = "signed-key" // Signed License Key (JWT), user-based/capacity
	ModelSerialLEF = "serial-lef" // serial + control number + LEF text
)

// SiteLicense is the site license of /qrs/license, reduced to what licmon
// reports. It never holds the serial number, control number, LEF or signed
// key: SerialTail keeps only the last four characters so an operator can tell
// licenses apart without the record being a secret.
type SiteLicense struct {
	Model        string // ModelSignedKey or ModelSerialLEF
	Product      int    // 0 Platform, 1 Enterprise, 2 Standard
	Name         string
	Organization string
	SerialTail   string // last 4 characters of the serial only
	ValidTo      time.Time
	Expired      bool
	Invalid      bool
	Blacklisted  bool
	// TotalTokens and AvailableTokens are the token model's pool (zero with
	// a user-based license).
	TotalTokens     int64
	AvailableTokens int64
}

// User is a QRS user (/qrs/user/full), with the attributes licmon's
// never-release rules and reports need.
type User struct {
	ID                string // QRS GUID
	Directory         string
	UserID            string
	Name              string
	Created           time.Time
	Inactive          bool
	Blocked           bool // QRS "blacklisted"
	RemovedExternally bool
	// Tags and Roles are sets: order carries no meaning, the store keeps
	// them sorted.
	Tags []string
	// CustomProperties maps a custom property name to its values (sorted).
	CustomProperties map[string][]string
	Roles            []string
}

// Allocation is one per-user license allocation (Professional, Analyzer or
// token UserAccess): a row of /qrs/license/{professional,analyzer,user}accesstype.
type Allocation struct {
	ID        string // QRS GUID of the allocation entity
	Type      Type
	UserGUID  string // user.id, or deletedUserId for a deleted user
	Directory string
	UserID    string
	Created   time.Time
	// LastUsed is the last time the license was used; zero means never.
	LastUsed time.Time
	// Quarantined allocations are released but still count against the
	// license until QuarantineEnd.
	Quarantined   bool
	QuarantineEnd time.Time
	// Excess marks an allocation beyond the license count.
	Excess bool
	// DeletedUser marks an allocation whose user was deleted (QMC shows
	// "Deleted user"); it only survives while quarantined.
	DeletedUser bool
}

// Authoring summarises what a user has created or published, derived by the
// collector from apps, app objects and data connections. A user with a
// Professional allocation and no authoring is a candidate for Analyzer.
type Authoring struct {
	UserGUID             string
	AppsOwned            int
	AppsPublished        int
	ObjectsOwned         int
	ObjectsPublished     int
	DataConnectionsOwned int
	// LastAuthored is the latest modification of anything the user owns;
	// zero if unknown.
	LastAuthored time.Time
}

// CapacityUse is the analyzer-capacity minutes one user consumed in one
// calendar month (UTC).
type CapacityUse struct {
	UserGUID string
	Month    string // "2006-01"
	Minutes  int64
}

// Snapshot is one consistent collection of a site's license state.
type Snapshot struct {
	Site        string // the site's name in licmon's configuration
	At          time.Time
	License     SiteLicense
	Counters    []Counters
	Users       []User
	Allocations []Allocation
	Authoring   []Authoring
	Capacity    []CapacityUse
	// UsersPartial means Users holds only the users created or changed since
	// the previous collection, and every other user is unchanged. UserCount
	// is then the site's number of users, which lets the store tell that
	// none was deleted (a deletion leaves no changed row to read).
	UsersPartial bool
	UserCount    int
}

// DailyCounters is one point of a daily series for one type. Day is UTC
// midnight. Active is the number of distinct users known to have used the
// type that day. Reconstructed points were derived by Reconstruct from a
// later snapshot and are lower bounds, not measurements. Imported points
// were brought in by licmon history import: history like any other, on a
// day without a collection.
type DailyCounters struct {
	Day           time.Time
	Type          Type
	Allocated     int64
	Used          int64
	Total         int64
	Quarantined   int64
	Excess        int64
	Available     int64
	Active        int64
	Reconstructed bool
	Imported      bool
}

// MonthOf returns the capacity month key ("2006-01") of t in UTC.
func MonthOf(t time.Time) string { return t.UTC().Format("2006-01") }

// Day returns UTC midnight of the day containing t.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Known reports whether t is a real time rather than "not set": QRS writes
// never-set dates as 0001-01-01 or the SQL Server minimum 1753-01-01, and
// Qlik Sense did not exist before 2000, so anything earlier means unknown.
func Known(t time.Time) bool { return !t.IsZero() && t.Year() >= 2000 }

// Sources of access-denial counts (DenialDay.Source). Each source answers a
// different question with a different confidence, so they are kept apart and
// never summed: the report says which one a figure rests on.
const (
	// DenialsFromLogs are denials read from the Qlik Sense proxy and
	// repository audit logs: measured events.
	DenialsFromLogs = "logs"
	// DenialsFromImport are counts brought in by `licmon history import`
	// (the optional denied column): as good as the spreadsheet they came from.
	DenialsFromImport = "import"
	// DenialsEstimated are estimated from the QRS alone (users who appeared
	// without an allocation while the type was full): a lower-confidence
	// estimate, labelled as such.
	DenialsEstimated = "qrs-estimate"
)

// DenialDay counts the access denials of one license type on one UTC day,
// from one source: demand the site turned away because no seat (or no
// capacity minute) was free.
type DenialDay struct {
	Day    time.Time // UTC midnight
	Type   Type
	Source string // DenialsFromLogs, DenialsFromImport or DenialsEstimated
	// Denials is the number of denial events (a user denied twice counts twice).
	Denials int64
	// Users is the number of distinct users denied that day; meaningful only
	// when UsersKnown (an imported count carries no user names).
	Users      int64
	UsersKnown bool
}
