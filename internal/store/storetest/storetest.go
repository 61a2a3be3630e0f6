// Package storetest generates deterministic, realistic license snapshots and
// change sequences for tests and benchmarks of the history store and of its
// callers.
package storetest

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// Config sizes a generated site.
type Config struct {
	Site         string
	At           time.Time // time of the first snapshot
	Users        int
	Professional int // allocations, given to the first users
	Analyzer     int // allocations, given to the users after those
	UserAccess   int
	Authoring    int // users with authoring rows
	CapacityUser int // users with analyzer-capacity minutes this month
}

// GUID returns a deterministic GUID-shaped ID for kind ("u", "a") and n.
func GUID(kind byte, n int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%c%011x", n, kind, n)
}

// Generate returns a snapshot of a site of the given size, seeded.
func Generate(seed uint64, cfg Config) *license.Snapshot {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	at := cfg.At.UTC().Truncate(time.Second)
	s := &license.Snapshot{Site: cfg.Site, At: at,
		License: license.SiteLicense{Model: license.ModelSignedKey, Product: 1, Name: "Ops", Organization: "Example AG",
			SerialTail: "4321", ValidTo: at.AddDate(1, 0, 0)}}
	dirs := []string{"CORP", "EXT", "SALES"}
	for i := range cfg.Users {
		u := license.User{ID: GUID('u', i), Directory: dirs[i%len(dirs)], UserID: fmt.Sprintf("user%06d", i),
			Name: fmt.Sprintf("User %d", i), Created: at.AddDate(0, 0, -r.IntN(1000)-1)}
		if r.IntN(10) == 0 {
			u.Tags = []string{"keep"}
		}
		if r.IntN(20) == 0 {
			u.CustomProperties = map[string][]string{"Department": {"Finance"}}
		}
		if i == 0 {
			u.Roles = []string{"RootAdmin"}
		}
		s.Users = append(s.Users, u)
	}
	n := 0
	add := func(t license.Type, count int) {
		for range count {
			if n >= cfg.Users {
				return
			}
			u := s.Users[n]
			a := license.Allocation{ID: GUID('a', n), Type: t, UserGUID: u.ID, Directory: u.Directory, UserID: u.UserID,
				Created: at.AddDate(0, 0, -r.IntN(700)-1).Add(time.Duration(r.IntN(86400)) * time.Second)}
			if r.IntN(10) != 0 { // 10% never used
				a.LastUsed = at.Add(-time.Duration(r.IntN(90*86400)) * time.Second)
				if a.LastUsed.Before(a.Created) {
					a.LastUsed = a.Created.Add(time.Hour)
				}
			}
			s.Allocations = append(s.Allocations, a)
			n++
		}
	}
	add(license.Professional, cfg.Professional)
	add(license.Analyzer, cfg.Analyzer)
	add(license.UserAccess, cfg.UserAccess)
	for i := range min(cfg.Authoring, cfg.Users) {
		s.Authoring = append(s.Authoring, license.Authoring{UserGUID: s.Users[i].ID, AppsOwned: r.IntN(20),
			AppsPublished: r.IntN(5), ObjectsOwned: r.IntN(200), ObjectsPublished: r.IntN(50),
			DataConnectionsOwned: r.IntN(4), LastAuthored: at.Add(-time.Duration(r.IntN(200*86400)) * time.Second)})
	}
	for i := range min(cfg.CapacityUser, cfg.Users) {
		s.Capacity = append(s.Capacity, license.CapacityUse{UserGUID: s.Users[cfg.Users-1-i].ID,
			Month: license.MonthOf(at), Minutes: int64(6 * (1 + r.IntN(50)))})
	}
	s.Counters = CountersOf(s, int64(cfg.Professional+cfg.Professional/10), int64(cfg.Analyzer+cfg.Analyzer/10))
	return s
}

// CountersOf derives plausible overview counters from a snapshot's allocations.
func CountersOf(s *license.Snapshot, profTotal, anaTotal int64) []license.Counters {
	c := map[license.Type]*license.Counters{
		license.Professional: {Type: license.Professional, Enabled: true, Total: profTotal},
		license.Analyzer:     {Type: license.Analyzer, Enabled: true, Total: anaTotal},
		license.UserAccess:   {Type: license.UserAccess, TokenCost: 1},
	}
	for _, a := range s.Allocations {
		k := c[a.Type]
		if a.Quarantined {
			k.Quarantined++
		} else {
			k.Allocated++
		}
		if !a.LastUsed.IsZero() && s.At.Sub(a.LastUsed) < 30*24*time.Hour {
			k.Used++
		}
		if a.Excess {
			k.Excess++
		}
	}
	var out []license.Counters
	for _, t := range []license.Type{license.Professional, license.Analyzer, license.UserAccess} {
		k := c[t]
		k.Available = max(k.Total-k.Allocated-k.Quarantined, 0)
		out = append(out, *k)
	}
	return out
}

// Clone deep-copies a snapshot.
func Clone(s *license.Snapshot) *license.Snapshot {
	c := *s
	c.Counters = slices.Clone(s.Counters)
	c.Allocations = slices.Clone(s.Allocations)
	c.Authoring = slices.Clone(s.Authoring)
	c.Capacity = slices.Clone(s.Capacity)
	c.Users = slices.Clone(s.Users)
	for i := range c.Users {
		c.Users[i].Tags = slices.Clone(c.Users[i].Tags)
		c.Users[i].Roles = slices.Clone(c.Users[i].Roles)
		if c.Users[i].CustomProperties != nil {
			c.Users[i].CustomProperties = maps.Clone(c.Users[i].CustomProperties)
		}
	}
	return &c
}

// Stream produces a sequence of snapshots from a seed.
type Stream struct {
	r *rand.Rand
	// nextID is the next free allocation number, so IDs of released
	// allocations are never reused.
	nextID int
}

// NewStream returns a seeded change stream.
func NewStream(seed uint64) *Stream {
	return &Stream{r: rand.New(rand.NewPCG(seed, seed+1))}
}

// Next returns the snapshot at `at` after random changes to about frac of
// the allocations and frac/5 of the users: lastUsed advances (most),
// quarantines, releases, new allocations, type changes, excess flips, and
// user flag/tag/property changes. prev is not modified.
func (g *Stream) Next(prev *license.Snapshot, at time.Time, frac float64) *license.Snapshot {
	r := g.r
	s := Clone(prev)
	s.At = at.UTC().Truncate(time.Second)
	nAlloc := int(float64(len(s.Allocations))*frac + 0.5)
	if len(s.Allocations) > 0 && nAlloc == 0 {
		nAlloc = 1
	}
	hasAlloc := map[string]bool{}
	for _, a := range s.Allocations {
		hasAlloc[a.UserGUID] = true
	}
	nextID := g.nextID
	for _, a := range s.Allocations {
		if n, err := strconv.ParseUint(a.ID[:8], 16, 32); err == nil && int(n) >= nextID {
			nextID = int(n) + 1
		}
	}
	defer func() { g.nextID = nextID }()
	drop := map[int]bool{}
	for range nAlloc {
		if len(s.Allocations) == 0 {
			break
		}
		i := r.IntN(len(s.Allocations))
		a := &s.Allocations[i]
		switch p := r.IntN(100); {
		case p < 70: // used again
			a.LastUsed = s.At.Add(-time.Duration(r.IntN(3600)) * time.Second)
		case p < 78: // released: quarantined if used within 7 days, else gone
			if a.Quarantined || a.LastUsed.IsZero() || s.At.Sub(a.LastUsed) > 7*24*time.Hour {
				drop[i] = true
			} else {
				a.Quarantined, a.QuarantineEnd = true, a.LastUsed.Add(7*24*time.Hour)
			}
		case p < 82: // reinstated
			if a.Quarantined {
				a.Quarantined, a.QuarantineEnd = false, time.Time{}
			}
		case p < 86:
			a.Excess = !a.Excess
		case p < 92: // type change: release, allocate the other type to the same user
			if !a.Quarantined && a.Type != license.UserAccess {
				t := license.Analyzer
				if a.Type == license.Analyzer {
					t = license.Professional
				}
				drop[i] = true
				s.Allocations = append(s.Allocations, license.Allocation{ID: GUID('a', nextID), Type: t, UserGUID: a.UserGUID,
					Directory: a.Directory, UserID: a.UserID, Created: s.At})
				nextID++
			}
		default: // new allocation for a user without one
			if len(s.Users) > 0 {
				u := s.Users[r.IntN(len(s.Users))]
				if !hasAlloc[u.ID] {
					hasAlloc[u.ID] = true
					s.Allocations = append(s.Allocations, license.Allocation{ID: GUID('a', nextID), Type: license.Analyzer,
						UserGUID: u.ID, Directory: u.Directory, UserID: u.UserID, Created: s.At.Add(-time.Minute)})
					nextID++
				}
			}
		}
	}
	if len(drop) > 0 {
		kept := s.Allocations[:0]
		for i, a := range s.Allocations {
			if !drop[i] {
				kept = append(kept, a)
			}
		}
		s.Allocations = kept
	}
	nUser := int(float64(len(s.Users))*frac/5 + 0.5)
	for range nUser {
		if len(s.Users) == 0 {
			break
		}
		u := &s.Users[r.IntN(len(s.Users))]
		switch r.IntN(5) {
		case 0:
			u.Inactive = !u.Inactive
		case 1:
			u.Blocked = !u.Blocked
		case 2:
			if len(u.Tags) == 0 {
				u.Tags = []string{"keep", fmt.Sprintf("t%d", r.IntN(3))}
			} else {
				u.Tags = nil
			}
		case 3:
			u.CustomProperties = map[string][]string{"Department": {fmt.Sprintf("D%d", r.IntN(4))}}
		case 4:
			u.Name += "*"
		}
	}
	for i := range s.Authoring {
		if r.Float64() < frac/5 {
			s.Authoring[i].ObjectsOwned++
			s.Authoring[i].LastAuthored = s.At
		}
	}
	prof, ana := int64(0), int64(0)
	for _, c := range prev.Counters {
		switch c.Type {
		case license.Professional:
			prof = c.Total
		case license.Analyzer:
			ana = c.Total
		}
	}
	s.Counters = CountersOf(s, prof, ana)
	return s
}
