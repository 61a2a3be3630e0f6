package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
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

func sortedSet(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	out := slices.Clone(v)
	sort.Strings(out)
	return slices.Compact(out)
}

// normalize validates a snapshot and returns the canonical copy that is
// stored: UTC times at second precision (QRS never-set sentinels before 2000
// become zero), slices sorted by ID, tag/role sets
// sorted and deduplicated, empty collections nil. Reads return exactly this
// form, so tests compare against normalize's output.
func normalize(in *license.Snapshot) (*license.Snapshot, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidSnapshot, fmt.Sprintf(format, a...))
	}
	if in == nil {
		return nil, bad("nil snapshot")
	}
	if strings.TrimSpace(in.Site) == "" {
		return nil, bad("empty site name")
	}
	if !license.Known(in.At) {
		return nil, bad("collection time %s not set", in.At.Format(time.RFC3339))
	}
	s := &license.Snapshot{Site: strings.TrimSpace(in.Site), At: sec(in.At), License: in.License,
		UsersPartial: in.UsersPartial, UserCount: in.UserCount}
	s.License.ValidTo = sec(s.License.ValidTo)
	if len(s.License.SerialTail) > 4 {
		return nil, bad("license serial tail %d characters long; store only the last 4", len(s.License.SerialTail))
	}
	seen := map[string]bool{}
	for _, c := range in.Counters {
		if !c.Type.Valid() {
			return nil, bad("counters of unknown type %q", c.Type)
		}
		if seen[string(c.Type)] {
			return nil, bad("counters of type %q twice", c.Type)
		}
		seen[string(c.Type)] = true
		s.Counters = append(s.Counters, c)
	}
	order := map[license.Type]int{}
	for i, t := range license.Types() {
		order[t] = i
	}
	sort.Slice(s.Counters, func(i, j int) bool { return order[s.Counters[i].Type] < order[s.Counters[j].Type] })

	clear(seen)
	for _, u := range in.Users {
		if u.ID == "" || seen[u.ID] {
			return nil, bad("user ID %q empty or repeated", u.ID)
		}
		seen[u.ID] = true
		u.Created = sec(u.Created)
		u.Tags = sortedSet(u.Tags)
		u.Roles = sortedSet(u.Roles)
		if len(u.CustomProperties) == 0 {
			u.CustomProperties = nil
		} else {
			cp := make(map[string][]string, len(u.CustomProperties))
			for k, v := range u.CustomProperties {
				cp[k] = sortedSet(v)
			}
			u.CustomProperties = cp
		}
		s.Users = append(s.Users, u)
	}
	sort.Slice(s.Users, func(i, j int) bool { return s.Users[i].ID < s.Users[j].ID })

	clear(seen)
	for _, a := range in.Allocations {
		if a.ID == "" || seen[a.ID] {
			return nil, bad("allocation ID %q empty or repeated", a.ID)
		}
		if !a.Type.PerUser() {
			return nil, bad("allocation %s has type %q, which is not allocated per user", a.ID, a.Type)
		}
		if a.UserGUID == "" {
			return nil, bad("allocation %s has no user GUID", a.ID)
		}
		seen[a.ID] = true
		a.Created, a.LastUsed, a.QuarantineEnd = sec(a.Created), sec(a.LastUsed), sec(a.QuarantineEnd)
		s.Allocations = append(s.Allocations, a)
	}
	sort.Slice(s.Allocations, func(i, j int) bool { return s.Allocations[i].ID < s.Allocations[j].ID })

	clear(seen)
	for _, a := range in.Authoring {
		if a.UserGUID == "" || seen[a.UserGUID] {
			return nil, bad("authoring user %q empty or repeated", a.UserGUID)
		}
		seen[a.UserGUID] = true
		a.LastAuthored = sec(a.LastAuthored)
		s.Authoring = append(s.Authoring, a)
	}
	sort.Slice(s.Authoring, func(i, j int) bool { return s.Authoring[i].UserGUID < s.Authoring[j].UserGUID })

	clear(seen)
	for _, c := range in.Capacity {
		if _, err := time.Parse("2006-01", c.Month); err != nil || len(c.Month) != 7 {
			return nil, bad("capacity month %q is not YYYY-MM", c.Month)
		}
		k := c.UserGUID + "|" + c.Month
		if c.UserGUID == "" || seen[k] {
			return nil, bad("capacity use of user %q in %s empty or repeated", c.UserGUID, c.Month)
		}
		seen[k] = true
		s.Capacity = append(s.Capacity, c)
	}
	sort.Slice(s.Capacity, func(i, j int) bool {
		if s.Capacity[i].Month != s.Capacity[j].Month {
			return s.Capacity[i].Month < s.Capacity[j].Month
		}
		return s.Capacity[i].UserGUID < s.Capacity[j].UserGUID
	})
	return s, nil
}
