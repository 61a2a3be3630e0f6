package sim

import (
	"sort"
	"time"
)

// Counts are one access type's numbers as /qrs/license/accesstypeoverview
// reports them. Used is the simulator's reading of the undocumented field:
// allocations (not quarantined) used within the last 30 days.
type Counts struct {
	Total, Allocated, Used, Quarantined, Excess, Available int
}

// Snapshot is the site's license state at one moment.
type Snapshot struct {
	At           time.Time
	Professional Counts
	Analyzer     Counts
	UserAccess   Counts
	// AnalyzerMinutes: assigned, used this month.
	AnalyzerMinutesAssigned, AnalyzerMinutesUsed int
}

// UserState is one user's allocation state.
type UserState struct {
	UserDirectory, UserID string
	Type                  string // professional, analyzer, user; "" if none
	AllocationID          string
	Created, LastUsed     time.Time
	Quarantined, Excess   bool
	QuarantineEnd         time.Time
	Inactive, Removed     bool
	// DeniedSince is when the license first turned the user away in their
	// current wait (zero when they are not waiting for access).
	DeniedSince time.Time
}

// GroundTruth is the site's complete current license state.
type GroundTruth struct {
	Snapshot
	Users []UserState
	// Denials counts, per UTC day and license type, the access requests the
	// license turned away over the whole simulated history (see Denial).
	Denials []DenialDay
}

const usedWindow = 30 * 24 * time.Hour

func (s *Site) countsLocked() Snapshot {
	snap := Snapshot{At: s.now}
	totals := [3]int{s.license.Professional, s.license.Analyzer, s.license.Tokens}
	if s.license.Kind == "tokens" {
		totals = [3]int{0, 0, s.license.Tokens}
	}
	var out [3]Counts
	for t := range s.allocs {
		c := Counts{Total: totals[t]}
		for _, a := range s.allocs[t] {
			if a.Quarantined {
				c.Quarantined++
				continue
			}
			c.Allocated++
			if a.Excess {
				c.Excess++
			}
			if !a.LastUsed.Equal(Never) && s.now.Sub(a.LastUsed) <= usedWindow {
				c.Used++
			}
		}
		c.Available = max(c.Total-c.Allocated, 0)
		out[t] = c
	}
	if s.license.Kind == "tokens" {
		out[0], out[1] = Counts{}, Counts{}
		uc := &out[2]
		loginTokens := 0
		for _, g := range s.loginGroups {
			loginTokens += g.Tokens
		}
		uc.Available = max(uc.Total-uc.Allocated-uc.Quarantined-loginTokens, 0)
	}
	snap.Professional, snap.Analyzer, snap.UserAccess = out[0], out[1], out[2]
	snap.AnalyzerMinutesAssigned = s.license.AnalyzerMinutes
	for _, u := range s.users {
		snap.AnalyzerMinutesUsed += u.capacityMinutesThisMonth
	}
	return snap
}

func (s *Site) recordTruth() {
	s.truth = append(s.truth, s.countsLocked())
}

// Truth returns the license state recorded at the latest hour boundary at or
// before at (the build time is the first record). Times before the build
// return the first record.
func (s *Site) Truth(at time.Time) Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(len(s.truth), func(i int) bool { return s.truth[i].At.After(at) })
	if i == 0 {
		return s.truth[0]
	}
	return s.truth[i-1]
}

// GroundTruth returns the current counts and every directory user's
// allocation state.
func (s *Site) GroundTruth() GroundTruth {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g := GroundTruth{Snapshot: s.countsLocked()}
	for _, u := range s.users {
		if u.service {
			continue
		}
		st := UserState{UserDirectory: u.Dir, UserID: u.UserID, Inactive: u.Inactive, Removed: u.RemovedExternally, DeniedSince: u.deniedSince}
		if a := u.alloc; a != nil {
			st.Type, st.AllocationID, st.Created, st.LastUsed = a.Type.String(), a.ID, a.Created, a.LastUsed
			st.Quarantined, st.Excess, st.QuarantineEnd = a.Quarantined, a.Excess, a.QuarantineEnd
		}
		g.Users = append(g.Users, st)
	}
	g.Denials = countDenialDays(s.denials)
	return g
}
