package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/licmon/licmon/internal/license"
)

// The *Row types are the stored form of the per-user entities. They are
// comparable with ==, which is how a new collection is diffed against the
// current state.

type allocRow struct {
	Type          string
	UserKey       int64
	Directory     string
	UserID        string
	Created       sql.NullInt64
	LastUsed      sql.NullInt64
	Quarantined   bool
	QuarantineEnd sql.NullInt64
	Excess        bool
	DeletedUser   bool
}

type userRow struct {
	Directory, UserID, Name         string
	Created                         sql.NullInt64
	Inactive, Blocked, RemovedExtly bool
	Tags, CustomProperties, Roles   sql.NullString
}

type authRow struct {
	AppsOwned, AppsPublished, ObjectsOwned, ObjectsPublished, DataConnectionsOwned int64
	LastAuthored                                                                   sql.NullInt64
}

type licenseRow struct {
	Model, Name, Organization, SerialTail string
	Product                               int64
	ValidTo                               sql.NullInt64
	Expired, Invalid, Blacklisted         bool
	TotalTokens, AvailableTokens          int64
}

func unixOf(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.Unix(), Valid: true}
}

func timeOf(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(n.Int64, 0).UTC()
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func nullable(n sql.NullInt64) any {
	if !n.Valid {
		return nil
	}
	return n.Int64
}

func nullStr(n sql.NullString) any {
	if !n.Valid {
		return nil
	}
	return n.String
}

func jsonList(v []string) sql.NullString {
	if len(v) == 0 {
		return sql.NullString{}
	}
	b, _ := json.Marshal(v) // []string cannot fail
	return sql.NullString{String: string(b), Valid: true}
}

func jsonMap(m map[string][]string) sql.NullString {
	if len(m) == 0 {
		return sql.NullString{}
	}
	b, _ := json.Marshal(m) // keys are sorted by encoding/json
	return sql.NullString{String: string(b), Valid: true}
}

func parseList(n sql.NullString) ([]string, error) {
	if !n.Valid {
		return nil, nil
	}
	if v, ok := fastList(n.String); ok {
		return v, nil
	}
	var v []string
	if err := json.Unmarshal([]byte(n.String), &v); err != nil {
		return nil, fmt.Errorf("decode stored list: %w", err)
	}
	return v, nil
}

func parseMap(n sql.NullString) (map[string][]string, error) {
	if !n.Valid {
		return nil, nil
	}
	if v, ok := fastMap(n.String); ok {
		return v, nil
	}
	var v map[string][]string
	if err := json.Unmarshal([]byte(n.String), &v); err != nil {
		return nil, fmt.Errorf("decode stored custom properties: %w", err)
	}
	return v, nil
}

// fastList and fastMap read the lists and custom properties the store
// itself wrote (jsonList, jsonMap: compact, no escapes in the common case)
// without encoding/json, which is most of the time of reading 100k users
// whose custom properties are set. Anything else (an escape, a space, a
// malformed value) is left to encoding/json: ok is false.
func fastList(s string) ([]string, bool) {
	if !utf8.ValidString(s) {
		return nil, false
	}
	v, rest, ok := fastStrings(s)
	return v, ok && rest == ""
}

func fastMap(s string) (map[string][]string, bool) {
	if len(s) < 2 || s[0] != '{' || strings.IndexByte(s, '\\') >= 0 || !utf8.ValidString(s) {
		return nil, false
	}
	out := map[string][]string{}
	rest := s[1:]
	if rest == "}" {
		return out, true
	}
	for {
		k, r, ok := fastString(rest)
		if !ok || r == "" || r[0] != ':' {
			return nil, false
		}
		v, r, ok := fastStrings(r[1:])
		if !ok || r == "" {
			return nil, false
		}
		if _, dup := out[k]; dup {
			return nil, false
		}
		out[k] = v
		switch r[0] {
		case ',':
			rest = r[1:]
		case '}':
			return out, r == "}"
		default:
			return nil, false
		}
	}
}

// fastStrings reads a JSON array of strings without escapes at the start
// of s and returns what follows it.
func fastStrings(s string) (v []string, rest string, ok bool) {
	if len(s) < 2 || s[0] != '[' {
		return nil, "", false
	}
	s = s[1:]
	if s[0] == ']' {
		return []string{}, s[1:], true
	}
	for {
		e, r, ok := fastString(s)
		if !ok || r == "" {
			return nil, "", false
		}
		v = append(v, e)
		switch r[0] {
		case ',':
			s = r[1:]
		case ']':
			return v, r[1:], true
		default:
			return nil, "", false
		}
	}
}

// fastString reads a JSON string without escapes or control characters at
// the start of s.
func fastString(s string) (v, rest string, ok bool) {
	if len(s) < 2 || s[0] != '"' {
		return "", "", false
	}
	end := strings.IndexByte(s[1:], '"')
	if end < 0 {
		return "", "", false
	}
	v = s[1 : 1+end]
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' || v[i] < 0x20 {
			return "", "", false
		}
	}
	return v, s[2+end:], true
}

func toUserRow(u license.User) userRow {
	return userRow{Directory: u.Directory, UserID: u.UserID, Name: u.Name, Created: unixOf(u.Created),
		Inactive: u.Inactive, Blocked: u.Blocked, RemovedExtly: u.RemovedExternally,
		Tags: jsonList(u.Tags), CustomProperties: jsonMap(u.CustomProperties), Roles: jsonList(u.Roles)}
}

func toAuthRow(a license.Authoring) authRow {
	return authRow{int64(a.AppsOwned), int64(a.AppsPublished), int64(a.ObjectsOwned), int64(a.ObjectsPublished),
		int64(a.DataConnectionsOwned), unixOf(a.LastAuthored)}
}

func toLicenseRow(l license.SiteLicense) licenseRow {
	return licenseRow{Model: l.Model, Name: l.Name, Organization: l.Organization, SerialTail: l.SerialTail,
		Product: int64(l.Product), ValidTo: unixOf(l.ValidTo), Expired: l.Expired, Invalid: l.Invalid,
		Blacklisted: l.Blacklisted, TotalTokens: l.TotalTokens, AvailableTokens: l.AvailableTokens}
}

// sec is the stored form of a time: UTC, whole seconds, and zero for QRS
// never-set sentinels (license.Known).
func sec(t time.Time) time.Time {
	if !license.Known(t) {
		return time.Time{}
	}
	return time.Unix(t.Unix(), 0).UTC()
}

// sortedSet returns v sorted and without repeats, nil if empty. Input that
// is already so (the common case: QRS lists are short and mostly sorted) is
// returned as it is, not copied; otherwise a sorted copy is returned, and v
// itself is never changed (it belongs to the caller's snapshot).
func sortedSet(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	strict := true
	for i := 1; i < len(v); i++ {
		if v[i-1] >= v[i] {
			strict = false
			break
		}
	}
	if strict {
		return v
	}
	out := slices.Clone(v)
	slices.Sort(out)
	return slices.Compact(out)
}

// sortedCopy returns a copy of in sorted by cmp. It sorts the indices, not
// the elements (a user is 150 bytes), and copies each element once.
func sortedCopy[T any](in []T, cmp func(a, b *T) int) []T {
	if len(in) == 0 {
		return nil
	}
	idx := sortOrder(in, cmp)
	if idx == nil {
		return slices.Clone(in)
	}
	out := make([]T, len(in))
	for i, j := range idx {
		out[i] = in[j]
	}
	return out
}

// sortedOwned is sortedCopy for a slice the caller hands over: it is
// sorted in place (by an index sort, then each element moved once), so a
// staged save does not hold a second copy of a site's users and
// allocations while the rest of the collection is read.
func sortedOwned[T any](in []T, cmp func(a, b *T) int) []T {
	if len(in) == 0 {
		return nil
	}
	idx := sortOrder(in, cmp)
	if idx == nil {
		return in
	}
	// Position i takes in[idx[i]]: follow each cycle of the permutation.
	for i := range idx {
		if idx[i] < 0 {
			continue
		}
		tmp := in[i]
		j := i
		for {
			k := int(idx[j])
			idx[j] = -1
			if k == i {
				in[j] = tmp
				break
			}
			in[j] = in[k]
			j = k
		}
	}
	return in
}

// sortOrder returns the indexes of in in sorted order (element i of the
// sorted slice is in[idx[i]]), or nil when in is sorted already: sorting
// indexes moves 4 bytes where sorting the elements would move each whole.
func sortOrder[T any](in []T, cmp func(a, b *T) int) []int32 {
	sorted := true
	for i := 1; i < len(in) && sorted; i++ {
		sorted = cmp(&in[i-1], &in[i]) <= 0
	}
	if sorted {
		return nil
	}
	idx := make([]int32, len(in))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(i, j int32) int { return cmp(&in[i], &in[j]) })
	return idx
}

// repeated returns the index of the first element of the sorted slice v
// whose key equals the previous one's, or -1.
func repeated[T any](v []T, key func(*T) string) int {
	for i := 1; i < len(v); i++ {
		if key(&v[i]) == key(&v[i-1]) {
			return i
		}
	}
	return -1
}

// normalize validates a snapshot and returns the canonical copy that is
// stored: UTC times at second precision (QRS never-set sentinels before 2000
// become zero), slices sorted by ID, tag/role sets
// sorted and deduplicated, empty collections nil. Reads return exactly this
// form, so tests compare against normalize's output.
//
// The snapshot in is not changed. The copy shares with it the tag, role
// and custom property values that are already in canonical form (a save
// only reads them), so that a 100 000-user snapshot is copied once, not
// element by element into growing slices.
func normalize(in *license.Snapshot) (*license.Snapshot, error) {
	s, err := normalizePerUser(in, false)
	if err != nil {
		return nil, err
	}
	if err := normalizeRest(in, s); err != nil {
		return nil, err
	}
	return s, nil
}

// invalid is an ErrInvalidSnapshot error.
func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidSnapshot, fmt.Sprintf(format, a...))
}

// normalizePerUser is the part of normalize that a first collection's save
// can begin with (BeginSave): the site, the time, the users and the
// allocations; normalizeRest adds the rest to the snapshot it returns.
// With owned, in's users and allocations are normalized in place instead
// of copied (BeginSave takes them over).
func normalizePerUser(in *license.Snapshot, owned bool) (*license.Snapshot, error) {
	bad := invalid
	if in == nil {
		return nil, bad("nil snapshot")
	}
	if strings.TrimSpace(in.Site) == "" {
		return nil, bad("empty site name")
	}
	if !license.Known(in.At) {
		return nil, bad("collection time %s not set", in.At.Format(time.RFC3339))
	}
	s := &license.Snapshot{Site: strings.TrimSpace(in.Site), At: sec(in.At), UsersPartial: in.UsersPartial, UserCount: in.UserCount}

	sortUsers, sortAllocs := sortedCopy[license.User], sortedCopy[license.Allocation]
	if owned {
		sortUsers, sortAllocs = sortedOwned[license.User], sortedOwned[license.Allocation]
	}
	s.Users = sortUsers(in.Users, func(a, b *license.User) int { return strings.Compare(a.ID, b.ID) })
	if len(s.Users) > 0 && s.Users[0].ID == "" {
		return nil, bad("user ID %q empty or repeated", "")
	}
	if i := repeated(s.Users, func(u *license.User) string { return u.ID }); i >= 0 {
		return nil, bad("user ID %q empty or repeated", s.Users[i].ID)
	}
	for i := range s.Users {
		u := &s.Users[i]
		u.Created = sec(u.Created)
		u.Tags = sortedSet(u.Tags)
		u.Roles = sortedSet(u.Roles)
		if len(u.CustomProperties) == 0 {
			u.CustomProperties = nil
			continue
		}
		var cp map[string][]string
		for k, v := range u.CustomProperties {
			sv := sortedSet(v)
			if copied := len(sv) != len(v) || len(v) > 0 && &sv[0] != &v[0]; copied || v != nil && sv == nil {
				if cp == nil {
					cp = maps.Clone(u.CustomProperties)
				}
				cp[k] = sv
			}
		}
		if cp != nil {
			u.CustomProperties = cp
		}
	}

	for _, a := range in.Allocations {
		if a.ID == "" {
			return nil, bad("allocation ID %q empty or repeated", a.ID)
		}
		if !a.Type.PerUser() {
			return nil, bad("allocation %s has type %q, which is not allocated per user", a.ID, a.Type)
		}
		if a.UserGUID == "" {
			return nil, bad("allocation %s has no user GUID", a.ID)
		}
	}
	s.Allocations = sortAllocs(in.Allocations, func(a, b *license.Allocation) int { return strings.Compare(a.ID, b.ID) })
	if i := repeated(s.Allocations, func(a *license.Allocation) string { return a.ID }); i >= 0 {
		return nil, bad("allocation ID %q empty or repeated", s.Allocations[i].ID)
	}
	for i := range s.Allocations {
		a := &s.Allocations[i]
		a.Created, a.LastUsed, a.QuarantineEnd = sec(a.Created), sec(a.LastUsed), sec(a.QuarantineEnd)
	}
	return s, nil
}

// normalizeRest normalizes into s (normalizePerUser's result) the rest of
// in: the license, the counters, authoring and capacity use.
func normalizeRest(in *license.Snapshot, s *license.Snapshot) error {
	bad := invalid
	s.License = in.License
	s.License.ValidTo = sec(s.License.ValidTo)
	if len(s.License.SerialTail) > 4 {
		return bad("license serial tail %d characters long; store only the last 4", len(s.License.SerialTail))
	}
	order := func(t license.Type) int { return slices.Index(license.Types(), t) }
	for _, c := range in.Counters {
		if !c.Type.Valid() {
			return bad("counters of unknown type %q", c.Type)
		}
	}
	s.Counters = sortedCopy(in.Counters, func(a, b *license.Counters) int { return order(a.Type) - order(b.Type) })
	if i := repeated(s.Counters, func(c *license.Counters) string { return string(c.Type) }); i >= 0 {
		return bad("counters of type %q twice", s.Counters[i].Type)
	}

	s.Authoring = sortedCopy(in.Authoring, func(a, b *license.Authoring) int { return strings.Compare(a.UserGUID, b.UserGUID) })
	if len(s.Authoring) > 0 && s.Authoring[0].UserGUID == "" {
		return bad("authoring user %q empty or repeated", "")
	}
	if i := repeated(s.Authoring, func(a *license.Authoring) string { return a.UserGUID }); i >= 0 {
		return bad("authoring user %q empty or repeated", s.Authoring[i].UserGUID)
	}
	for i := range s.Authoring {
		s.Authoring[i].LastAuthored = sec(s.Authoring[i].LastAuthored)
	}

	for _, c := range in.Capacity {
		if _, err := time.Parse("2006-01", c.Month); err != nil || len(c.Month) != 7 {
			return bad("capacity month %q is not YYYY-MM", c.Month)
		}
		if c.UserGUID == "" {
			return bad("capacity use of user %q in %s empty or repeated", c.UserGUID, c.Month)
		}
	}
	s.Capacity = sortedCopy(in.Capacity, func(a, b *license.CapacityUse) int {
		if c := strings.Compare(a.Month, b.Month); c != 0 {
			return c
		}
		return strings.Compare(a.UserGUID, b.UserGUID)
	})
	for i := 1; i < len(s.Capacity); i++ {
		if c, p := s.Capacity[i], s.Capacity[i-1]; c.Month == p.Month && c.UserGUID == p.UserGUID {
			return bad("capacity use of user %q in %s empty or repeated", c.UserGUID, c.Month)
		}
	}
	return nil
}
