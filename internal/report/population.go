package report

import (
	"slices"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// population is the per-user state of one collection as the report reads
// it, with the per-allocation figures that the usage counts, the plan, the
// what-if table and the candidate lists all need, computed once: on a
// 100k-user site each pass over the allocations is a measurable part of the
// report, and the plan and what-ifs alone make eight.
type population struct {
	asOf   time.Time
	allocs []license.Allocation
	// users are sorted by ID (Source returns them so; a fake that does not
	// is sorted here), looked up by binary search: only the users on the
	// candidate lists shown are ever looked up.
	users []license.User
	// idle is idleDays of each allocation; kept tells whether the
	// exclusions keep it (keep markers, INTERNAL accounts, RootAdmins).
	idle []int
	kept []bool
}

func newPopulation(allocs []license.Allocation, users []license.User, markers []string, asOf time.Time) *population {
	if !slices.IsSortedFunc(users, func(a, b license.User) int { return strings.Compare(a.ID, b.ID) }) {
		users = slices.Clone(users)
		slices.SortFunc(users, func(a, b license.User) int { return strings.Compare(a.ID, b.ID) })
	}
	keep := map[string]bool{}
	for _, u := range users {
		if excludedWhy(u, markers) != "" {
			keep[u.ID] = true
		}
	}
	p := &population{asOf: asOf, allocs: allocs, users: users, idle: make([]int, len(allocs)), kept: make([]bool, len(allocs))}
	for i, a := range allocs {
		p.idle[i] = idleDays(a, asOf)
		p.kept[i] = keep[a.UserGUID] || strings.EqualFold(a.Directory, "INTERNAL")
	}
	return p
}

// user finds a user by GUID.
func (p *population) user(guid string) (license.User, bool) {
	i, ok := slices.BinarySearchFunc(p.users, guid, func(u license.User, id string) int { return strings.Compare(u.ID, id) })
	if !ok {
		return license.User{}, false
	}
	return p.users[i], true
}
