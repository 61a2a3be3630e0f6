package demand

import (
	"sort"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// Estimate counts, from one collection and the time of the previous one,
// the users the site most likely turned away: users created since the
// previous collection (Qlik Sense creates the user record at the first
// login, before it allocates a license) who hold no allocation of any type
// and used no analyzer-capacity minutes this month, while a seat type they
// could have received was full (allocated ≥ licensed) at this collection.
//
// Each such user counts as one denial and one user on the UTC day the user
// was created, for:
//   - the full type, when only one of Professional and Analyzer is full;
//   - Analyzer, when both are full: a new user has authored nothing, and
//     Analyzer is the seat that serves a user who only opens apps.
//
// Not counted: INTERNAL service accounts, inactive, blocked and externally
// removed users, users whose creation time is unknown or not after prevAt,
// and sites licensed by tokens (a user without an allocation may hold a
// login access pass, so a missing allocation says nothing). It is an
// estimate in both directions: a new user whose access rules grant no
// license counts although nobody refused them, and a known user refused
// again, or a user refused without a QRS user record, is not counted. The
// report labels it as such (source license.DenialsEstimated).
//
// The result is ordered by day and type; it is empty when prevAt is zero
// (the first collection: users that predate licmon did not "appear").
func Estimate(prevAt time.Time, s *license.Snapshot) []license.DenialDay {
	if s == nil || prevAt.IsZero() || !s.At.After(prevAt) {
		return nil
	}
	full := map[license.Type]bool{}
	for _, c := range s.Counters {
		if (c.Type == license.Professional || c.Type == license.Analyzer) && c.Enabled && c.Total > 0 && c.Allocated >= c.Total {
			full[c.Type] = true
		}
	}
	var typ license.Type
	switch {
	case full[license.Analyzer]:
		typ = license.Analyzer
	case full[license.Professional]:
		typ = license.Professional
	default:
		return nil
	}
	served := make(map[string]bool, len(s.Allocations)+len(s.Capacity))
	for _, a := range s.Allocations {
		served[a.UserGUID] = true
	}
	month := license.MonthOf(s.At)
	for _, c := range s.Capacity {
		if c.Month == month && c.Minutes > 0 {
			served[c.UserGUID] = true
		}
	}
	perDay := map[time.Time]int64{}
	for _, u := range s.Users {
		if served[u.ID] || !license.Known(u.Created) || !u.Created.After(prevAt) || u.Created.After(s.At) ||
			u.Inactive || u.Blocked || u.RemovedExternally || strings.EqualFold(u.Directory, "INTERNAL") {
			continue
		}
		perDay[license.Day(u.Created)]++
	}
	out := make([]license.DenialDay, 0, len(perDay))
	for d, n := range perDay {
		out = append(out, license.DenialDay{Day: d, Type: typ, Source: license.DenialsEstimated, Denials: n, Users: n, UsersKnown: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day.Before(out[j].Day) })
	return out
}

// Add merges counts of one source: the days of more are added to those of
// base with the same day and type (two collections on one day each counted
// the users that appeared since the one before). The result is ordered by
// day and type.
func Add(base, more []license.DenialDay) []license.DenialDay {
	type key struct {
		day time.Time
		typ license.Type
	}
	m := map[key]license.DenialDay{}
	for _, list := range [][]license.DenialDay{base, more} {
		for _, d := range list {
			k := key{license.Day(d.Day), d.Type}
			x, ok := m[k]
			if !ok {
				d.Day = k.day
				m[k] = d
				continue
			}
			x.Denials += d.Denials
			x.Users += d.Users
			x.UsersKnown = x.UsersKnown && d.UsersKnown
			m[k] = x
		}
	}
	out := make([]license.DenialDay, 0, len(m))
	for _, d := range m {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Day.Equal(out[j].Day) {
			return out[i].Day.Before(out[j].Day)
		}
		return out[i].Type < out[j].Type
	})
	return out
}
