package simtest_test

import (
	"testing"

	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

// TestCountWithFilterMatchesList: the client's Count with a filter agrees
// with the length of the list the same filter returns, on a site whose
// Professional license is full and whose denied users have no allocation.
func TestCountWithFilterMatchesList(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 5, Users: 150, HistoryDays: 90, Scenario: "at-capacity"})
	c := site.Client(t)
	for _, tc := range []struct {
		kind   qrs.AccessTypeKind
		filter string
	}{
		{qrs.KindProfessional, ""},
		{qrs.KindProfessional, "excess eq false and quarantined eq false"},
		{qrs.KindProfessional, "lastUsed ge '2025-01-01T00:00:00.000Z'"},
		{qrs.KindAnalyzer, "user.userDirectory eq 'CORP'"},
	} {
		rows, err := c.AccessTypes(ctx(), tc.kind, qrs.ListOptions{Filter: tc.filter})
		if err != nil {
			t.Fatal(err)
		}
		n, err := c.Count(ctx(), "license/"+string(tc.kind)+"accesstype", tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		if n != len(rows) || n == 0 {
			t.Errorf("%s %q: count %d, list %d", tc.kind, tc.filter, n, len(rows))
		}
	}
	ov, err := c.AccessTypeOverview(ctx())
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.Count(ctx(), "license/professionalaccesstype", "quarantined eq false")
	if err != nil {
		t.Fatal(err)
	}
	if n != ov.ProfessionalAccess.Allocated || ov.ProfessionalAccess.Allocated != ov.ProfessionalAccess.Total {
		t.Errorf("count %d, overview %+v: a full license", n, ov.ProfessionalAccess)
	}
	// every denied user is in the user list, without an allocation
	denied := site.Denials(site.Now().AddDate(0, 0, -90), site.Now())
	if len(denied) == 0 {
		t.Fatal("no denials on a full license")
	}
	d := denied[len(denied)-1]
	users, err := c.Users(ctx(), qrs.ListOptions{Filter: "userId eq '" + d.UserID + "' and userDirectory eq '" + d.UserDirectory + "'"})
	if err != nil || len(users) != 1 {
		t.Fatalf("denied user %s: %v %v", d.UserID, users, err)
	}
	if n, err := c.Count(ctx(), "license/professionalaccesstype", "user.id eq "+users[0].ID); err != nil || n != 0 {
		t.Errorf("denied user holds %d allocations (%v)", n, err)
	}
}
