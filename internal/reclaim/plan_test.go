package reclaim

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/golden"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func ago(d int) time.Time { return now.AddDate(0, 0, -d) }

// site is a small input: one user per case, each inactive for 200 days
// unless the case says otherwise.
func site(users ...*User) *Input {
	in := &Input{Now: now, QuarantineModel: "signed-key", Users: map[string]*User{}, Authors: map[string]bool{}, AnalyzerFree: 10,
		Source: Source{AuthoringDays: 90}}
	for i, u := range users {
		u.ID = strings.ToLower(u.UserID) + "-guid"
		if u.Directory == "" {
			u.Directory = "CORP"
		}
		in.Users[u.ID] = u
		in.Allocations = append(in.Allocations, Allocation{ID: "a-" + u.UserID, Type: Professional, UserID: u.ID, Created: ago(400), LastUsed: ago(200 + i)})
	}
	return in
}

// TestEachExclusionRule proves every never-release rule with a scenario in
// which only that rule protects the user.
func TestEachExclusionRule(t *testing.T) {
	cases := []struct {
		rule   string
		user   *User
		policy Policy
		edit   func(*Input)
	}{
		{RuleInternal, &User{UserID: "sa_repository", Directory: "INTERNAL"}, Policy{}, nil},
		{RuleRootAdmin, &User{UserID: "boss", Roles: []string{"RootAdmin"}}, Policy{}, nil},
		{RuleUser, &User{UserID: "ceo"}, Policy{Users: []string{`corp\CEO`}}, nil},
		{RuleDirectory, &User{UserID: "ext1", Directory: "PARTNERS"}, Policy{Directories: []string{"partners"}}, nil},
		{RuleTag, &User{UserID: "t1", Tags: []string{"Keep"}}, Policy{Tags: []string{"keep"}}, nil},
		{RuleProperty, &User{UserID: "p1", Properties: []PropertyRule{{"KeepUser", "keep"}}}, Policy{Properties: []PropertyRule{{Name: "keepuser", Value: "KEEP"}}}, nil},
		{RuleProperty, &User{UserID: "p2", Properties: []PropertyRule{{"Department", "Finance"}}}, Policy{Properties: []PropertyRule{{Name: "Department"}}}, nil},
		{RuleInactive, &User{UserID: "i1", Inactive: true}, Policy{InactiveFlag: FlagProtect}, nil},
		{RuleBlocked, &User{UserID: "b1"}, Policy{BlockedFlag: FlagOnly}, nil},
		{RuleRemoved, &User{UserID: "r1", RemovedExternally: true}, Policy{RemovedFlag: FlagProtect}, nil},
		{RuleRecentUse, &User{UserID: "u1"}, Policy{Inactive: map[Type]time.Duration{Professional: 2 * 24 * time.Hour}}, func(in *Input) {
			in.Allocations[0].LastUsed = ago(3)
		}},
	}
	for _, tc := range cases {
		in := site(tc.user)
		if tc.edit != nil {
			tc.edit(in)
		}
		pl := Build(in, tc.policy, Options{Site: "s"})
		if len(pl.Candidates) != 0 || len(pl.Excluded) != 1 || pl.Excluded[0].Rule != tc.rule {
			t.Errorf("%s: candidates %v, excluded %+v", tc.rule, pl.Candidates, pl.Excluded)
		}
		// Without the rule (a plain user, an empty policy, force) the same user is a candidate.
		if tc.rule == RuleInternal || tc.rule == RuleRootAdmin {
			continue
		}
		plain := site(&User{UserID: tc.user.UserID, Directory: tc.user.Directory})
		if tc.edit != nil {
			tc.edit(plain)
		}
		p := Policy{Force: true, Inactive: tc.policy.Inactive}
		if got := Build(plain, p, Options{}); len(got.Candidates) != 1 {
			t.Errorf("%s: without the rule the user is not a candidate: %+v", tc.rule, got.Excluded)
		}
	}
}

func TestFlagsOnlyReleaseFlaggedUsers(t *testing.T) {
	in := site(&User{UserID: "gone", RemovedExternally: true}, &User{UserID: "here"})
	pl := Build(in, Policy{RemovedFlag: FlagOnly}, Options{})
	if len(pl.Candidates) != 1 || pl.Candidates[0].User != `CORP\gone` {
		t.Errorf("candidates %+v", pl.Candidates)
	}
}

func TestThresholdsQuarantineAndMax(t *testing.T) {
	in := site(&User{UserID: "a"}, &User{UserID: "b"}, &User{UserID: "c"}, &User{UserID: "d"})
	in.QuarantineModel = "lef"
	in.Allocations[0].LastUsed = ago(40)                  // under the 60d threshold
	in.Allocations[1].LastUsed = ago(61)                  // over it
	in.Allocations[2].LastUsed = time.Time{}              // never used, allocated 400 days ago
	in.Allocations[3].LastUsed = now.Add(-72 * time.Hour) // recent: only with force, then quarantined
	p := Policy{Inactive: map[Type]time.Duration{Professional: 60 * 24 * time.Hour}}
	pl := Build(in, p, Options{})
	if len(pl.Candidates) != 2 || pl.Candidates[0].User != `CORP\c` || pl.Candidates[0].LastUsed != nil || pl.Candidates[1].DaysInactive != 61 {
		t.Fatalf("candidates %+v", pl.Candidates)
	}
	p.Force = true
	p.Inactive[Professional] = 2 * 24 * time.Hour
	p.MaxReleases = 3
	pl = Build(in, p, Options{})
	// the longest idle go first; the most recent one is over the cap
	if len(pl.Candidates) != 3 || len(pl.Excluded) != 1 || pl.Excluded[0].Rule != RuleMax || pl.Excluded[0].User != `CORP\d` {
		t.Fatalf("max: candidates %+v excluded %+v", pl.Candidates, pl.Excluded)
	}
	p.MaxReleases = 4
	pl = Build(in, p, Options{})
	q := pl.Candidates[3]
	if q.User != `CORP\d` || q.QuarantineEnd == nil || !q.QuarantineEnd.Equal(now.Add(-72*time.Hour).Add(7*24*time.Hour)) || pl.Totals[Professional].Quarantined != 1 {
		t.Fatalf("forced plan: %+v", pl.Candidates)
	}
	if !strings.HasPrefix(q.Effect, "quarantined until 2026-03-14") {
		t.Errorf("effect %q", q.Effect)
	}
}

func TestDowngrade(t *testing.T) {
	in := site(&User{UserID: "author"}, &User{UserID: "viewer"}, &User{UserID: "viewer2"}, &User{UserID: "keep", Tags: []string{"Keep"}})
	for i := range in.Allocations {
		in.Allocations[i].LastUsed = ago(2) // all active
	}
	in.Authors["author-guid"] = true
	in.AnalyzerFree = 1
	pl := Build(in, Policy{Tags: []string{"Keep"}}, Options{Downgrade: true})
	if len(pl.Candidates) != 1 || pl.Candidates[0].Action != "downgrade" {
		t.Fatalf("downgrades %+v", pl.Candidates)
	}
	rules := map[string]bool{}
	for _, x := range pl.Excluded {
		rules[x.Rule] = true
	}
	if !rules[RuleNoAnalyzer] || !rules[RuleTag] || len(pl.Excluded) != 2 {
		t.Errorf("excluded %+v", pl.Excluded)
	}
}

func TestPlanRenderings(t *testing.T) {
	in := site(&User{UserID: "alice", Name: "Alice"}, &User{UserID: "mallory", Name: "=cmd|' /C calc'!A0"}, &User{UserID: "ceo"})
	in.Source = Source{ReadAt: now, Requests: 6, LicenseKind: "signed-key", QuarantineModel: "signed-key", Allocations: map[Type]int{Professional: 3}, Users: 3}
	pl := Build(in, Policy{Users: []string{`CORP\ceo`}}, Options{Site: "prod", Types: []Type{Professional}})
	pl.ID = 7
	var text, csvOut, js bytes.Buffer
	if err := WriteText(&text, pl, 0); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "plan.txt", text.Bytes())
	WriteCSV(&csvOut, pl)
	golden.Assert(t, "plan.csv", csvOut.Bytes())
	if strings.Contains(csvOut.String(), ",=") || !strings.Contains(csvOut.String(), "'=cmd") {
		t.Error("a formula reached the CSV unneutralised")
	}
	WriteJSON(&js, pl)
	back, err := ParsePlan(js.Bytes())
	if err != nil || len(back.Candidates) != 2 || back.Candidates[0].LastUsed == nil {
		t.Fatalf("round trip: %v %+v", err, back)
	}
}

func TestParseTypes(t *testing.T) {
	ts, err := ParseTypes("analyzer, user")
	if err != nil || len(ts) != 2 || ts[1] != UserAccess {
		t.Errorf("%v %v", ts, err)
	}
	if _, err := ParseTypes("creator"); err == nil {
		t.Error("unknown type accepted")
	}
}

// TestCandidatesLongestIdleFirst: releases come longest idle first (the
// last use, or the allocation date when never used), allocations idle
// since the same instant in the order the site listed them, then the
// downgrades in the same order; allocations below the threshold and
// quarantined ones take no place.
func TestCandidatesLongestIdleFirst(t *testing.T) {
	in := &Input{Now: now, QuarantineModel: "signed-key", Users: map[string]*User{}, Authors: map[string]bool{}, AnalyzerFree: 100,
		Source: Source{AuthoringDays: 90}}
	add := func(id string, typ Type, created, lastUsed time.Time, quarantined bool) {
		u := &User{ID: id + "-user", UserID: id, Directory: "CORP"}
		in.Users[u.ID] = u
		in.Allocations = append(in.Allocations, Allocation{ID: id, Type: typ, UserID: u.ID, Created: created, LastUsed: lastUsed, Quarantined: quarantined})
	}
	add("recent", Professional, ago(300), ago(10), false)    // below 90d: a downgrade only
	add("tie-a", Analyzer, ago(300), ago(150), false)        // idle since the same instant as tie-b, listed first
	add("never", Professional, ago(200), time.Time{}, false) // idle since its allocation, 200 days
	add("quarantined", Professional, ago(400), ago(390), true)
	add("tie-b", Professional, ago(300), ago(150), false)
	add("oldest", Analyzer, ago(500), ago(400), false)
	add("recent2", Professional, ago(300), ago(20), false)
	pl := Build(in, Policy{MaxReleases: 100}, Options{Downgrade: true})
	var got []string
	for _, c := range pl.Candidates {
		got = append(got, c.Action+" "+c.AllocationID)
	}
	want := []string{"release oldest", "release never", "release tie-a", "release tie-b", "downgrade recent2", "downgrade recent"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("candidates in the order\n%s\nwant\n%s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}
