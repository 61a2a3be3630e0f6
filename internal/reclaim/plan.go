package reclaim

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// User is what planning needs of a QRS user.
type User struct {
	ID                                   string         `json:"id"`
	UserID                               string         `json:"userId"`
	Directory                            string         `json:"userDirectory"`
	Name                                 string         `json:"name"`
	Roles                                []string       `json:"roles,omitempty"`
	Tags                                 []string       `json:"tags,omitempty"`
	Properties                           []PropertyRule `json:"customProperties,omitempty"`
	Inactive, Blocked, RemovedExternally bool           `json:"-"`
}

// Label is DIRECTORY\userid.
func (u *User) Label() string { return u.Directory + `\` + u.UserID }

// Allocation is what planning needs of a per-user allocation.
type Allocation struct {
	ID   string
	Type Type
	// UserID is the user's QRS id; empty for a deleted user, whose
	// directory and id are in DeletedUser.
	UserID      string
	DeletedUser string
	Created     time.Time
	LastUsed    time.Time // zero: never used
	Quarantined bool
}

// Input is the site as read for a plan.
type Input struct {
	Now time.Time
	// QuarantineModel is "lef" (a release of an allocation used within 7
	// days is quarantined until lastUsed + 7 days) or "signed-key"
	// (released at once). Token user access passes always quarantine.
	QuarantineModel string
	Allocations     []Allocation
	Users           map[string]*User // by lower-case QRS id
	// Authors are the users (lower-case id) who own an app or app object
	// created or changed within the authoring window.
	Authors map[string]bool
	// AnalyzerFree is the number of free Analyzer seats (-1: unknown).
	AnalyzerFree int
	Source       Source
}

// Source says what a plan was built from.
type Source struct {
	ReadAt          time.Time    `json:"readAt"`
	Requests        int          `json:"qrsRequests"`
	LicenseKind     string       `json:"licenseKind"`
	QuarantineModel string       `json:"quarantineModel"`
	Allocations     map[Type]int `json:"allocations"`
	Users           int          `json:"users"`
	AppObjects      int          `json:"appObjects,omitempty"`
	AuthoringDays   int          `json:"authoringDays,omitempty"`
}

// Candidate is one allocation the plan releases (or downgrades).
type Candidate struct {
	Action       string     `json:"action"` // release | downgrade
	AllocationID string     `json:"allocationId"`
	Type         Type       `json:"type"`
	UserGUID     string     `json:"userGuid,omitempty"`
	User         string     `json:"user"`
	Name         string     `json:"name,omitempty"`
	LastUsed     *time.Time `json:"lastUsed"` // null: never used
	// DaysInactive counts from the last use, or from the allocation's
	// creation when it was never used.
	DaysInactive int    `json:"daysInactive"`
	Why          string `json:"why"`
	// Effect is "freed now" or "quarantined until DATE"; QuarantineEnd is that date.
	Effect        string     `json:"effect"`
	QuarantineEnd *time.Time `json:"quarantineEnd,omitempty"`
}

// Exclusion is a user the plan would have released but a rule protects.
type Exclusion struct {
	AllocationID string `json:"allocationId"`
	Type         Type   `json:"type"`
	User         string `json:"user"`
	Action       string `json:"action"`
	Rule         string `json:"rule"`
	Detail       string `json:"detail,omitempty"`
}

// Totals per type.
type Totals struct {
	Candidates  int `json:"candidates"`
	FreedNow    int `json:"freedNow"`
	Quarantined int `json:"quarantined"`
	Excluded    int `json:"excluded"`
	Downgrades  int `json:"downgrades"`
}

// Plan is a reclaim plan: what to release and why, what is protected and
// by which rule, and what it was built from.
type Plan struct {
	ID         int64            `json:"id,omitempty"`
	Site       string           `json:"site"`
	BuiltAt    time.Time        `json:"builtAt"`
	Types      []Type           `json:"types"`
	Inactive   map[Type]string  `json:"inactiveThresholds"`
	Downgrade  bool             `json:"downgrade"`
	Candidates []Candidate      `json:"candidates"`
	Excluded   []Exclusion      `json:"excluded"`
	Totals     map[Type]*Totals `json:"totals"`
	Source     Source           `json:"source"`
	Policy     PolicySummary    `json:"policy"`
}

// PolicySummary records the policy a plan applied.
type PolicySummary struct {
	MaxReleases int      `json:"maxReleases"`
	Force       bool     `json:"force"`
	Rules       []string `json:"neverRelease"`
}

// Options of Build.
type Options struct {
	Site      string
	Types     []Type
	Downgrade bool
}

func days(d time.Duration) int { return int(d / (24 * time.Hour)) }

// Build plans the reclaim of in under p. It is pure: the same input and
// policy give the same plan.
func Build(in *Input, p Policy, o Options) *Plan {
	if len(o.Types) == 0 {
		o.Types = Types
	}
	pl := &Plan{Site: o.Site, BuiltAt: in.Now.UTC(), Types: o.Types, Inactive: map[Type]string{}, Downgrade: o.Downgrade,
		Totals: map[Type]*Totals{}, Source: in.Source, Candidates: []Candidate{}, Excluded: []Exclusion{},
		Policy: PolicySummary{MaxReleases: p.Max(), Force: p.Force, Rules: p.describe()}}
	want := map[Type]bool{}
	for _, t := range o.Types {
		want[t] = true
		pl.Totals[t] = &Totals{}
		pl.Inactive[t] = fmt.Sprintf("%dd", days(p.Threshold(t)))
	}
	var releases, downgrades []Candidate
	releasing := map[string]bool{} // user ids whose allocation is released
	downgrading := o.Downgrade && want[Professional]
	// Only the allocations either pass can take are ordered (longest idle
	// first, ties in input order): on a big site most are in use, and
	// sorting the few beats sorting all.
	type ranked struct {
		since time.Time
		i     int
	}
	order := make([]ranked, 0, len(in.Allocations)/4)
	for i := range in.Allocations {
		a := &in.Allocations[i]
		if !want[a.Type] || a.Quarantined {
			continue
		}
		since := idleSince(*a)
		if in.Now.Sub(since) >= p.Threshold(a.Type) || downgrading && a.Type == Professional && a.UserID != "" {
			order = append(order, ranked{since, i})
		}
	}
	slices.SortFunc(order, func(x, y ranked) int {
		if c := x.since.Compare(y.since); c != 0 {
			return c
		}
		return cmp.Compare(x.i, y.i)
	})
	for _, r := range order {
		a := in.Allocations[r.i]
		idle := in.Now.Sub(r.since)
		if idle < p.Threshold(a.Type) {
			continue
		}
		u := in.Users[strings.ToLower(a.UserID)]
		c := candidate(in, a, u, "release")
		c.Why = fmt.Sprintf("not used for %d days (threshold %dd)", days(idle), days(p.Threshold(a.Type)))
		if a.LastUsed.IsZero() {
			c.Why = fmt.Sprintf("never used since it was allocated %d days ago (threshold %dd)", days(idle), days(p.Threshold(a.Type)))
		}
		if a.UserID == "" {
			c.Why += "; the user was deleted"
		}
		if rule, detail := p.protectedBy(u); rule != "" {
			pl.exclude(a, c.User, "release", rule, detail)
			continue
		}
		if !p.Force && !a.LastUsed.IsZero() && in.Now.Sub(a.LastUsed) < RecentUseGuard {
			pl.exclude(a, c.User, "release", RuleRecentUse, "last used "+a.LastUsed.UTC().Format(time.DateOnly))
			continue
		}
		releases = append(releases, c)
		if a.UserID != "" {
			releasing[strings.ToLower(a.UserID)] = true
		}
	}
	if downgrading {
		for _, r := range order {
			a := in.Allocations[r.i]
			if a.Type != Professional || a.UserID == "" || releasing[strings.ToLower(a.UserID)] {
				continue
			}
			u := in.Users[strings.ToLower(a.UserID)]
			if u == nil || in.Authors[strings.ToLower(a.UserID)] {
				continue
			}
			c := candidate(in, a, u, "downgrade")
			c.Why = fmt.Sprintf("Professional without authoring in the last %d days: Analyzer is enough", in.Source.AuthoringDays)
			if rule, detail := p.protectedBy(u); rule != "" {
				pl.exclude(a, c.User, "downgrade", rule, detail)
				continue
			}
			downgrades = append(downgrades, c)
		}
	}
	max := p.Max()
	free := in.AnalyzerFree
	for _, c := range releases {
		if max == 0 {
			pl.exclude(allocOf(c), c.User, c.Action, RuleMax, fmt.Sprintf("at most %d per run", p.Max()))
			continue
		}
		max--
		pl.add(c)
		if c.Type == Analyzer && c.QuarantineEnd == nil && free >= 0 {
			free++
		}
	}
	for _, c := range downgrades {
		switch {
		case max == 0:
			pl.exclude(allocOf(c), c.User, c.Action, RuleMax, fmt.Sprintf("at most %d per run", p.Max()))
			continue
		case free == 0:
			pl.exclude(allocOf(c), c.User, c.Action, RuleNoAnalyzer, "no Analyzer seat left: the free ones and those this plan frees go to the downgrades above")
			continue
		}
		max--
		if free > 0 {
			free--
		}
		pl.add(c)
	}
	return pl
}

// idleSince is when an allocation was last used, or created if never used.
func idleSince(a Allocation) time.Time {
	if !a.LastUsed.IsZero() {
		return a.LastUsed
	}
	return a.Created
}

func candidate(in *Input, a Allocation, u *User, action string) Candidate {
	c := Candidate{Action: action, AllocationID: a.ID, Type: a.Type, UserGUID: a.UserID, DaysInactive: days(in.Now.Sub(idleSince(a)))}
	switch {
	case u != nil:
		c.User, c.Name = u.Label(), u.Name
	case a.DeletedUser != "":
		c.User = a.DeletedUser + " (deleted)"
	default:
		c.User = "(unknown user " + a.UserID + ")"
	}
	if !a.LastUsed.IsZero() {
		lu := a.LastUsed.UTC()
		c.LastUsed = &lu
	}
	quarantines := in.QuarantineModel == "lef" || a.Type == UserAccess
	if quarantines && !a.LastUsed.IsZero() && in.Now.Sub(a.LastUsed) < RecentUseGuard {
		end := a.LastUsed.Add(RecentUseGuard).UTC()
		c.QuarantineEnd = &end
		c.Effect = "quarantined until " + end.Format(time.DateOnly) + " (7 days after the last use)"
	} else {
		c.Effect = "freed now"
	}
	return c
}

func allocOf(c Candidate) Allocation {
	return Allocation{ID: c.AllocationID, Type: c.Type, UserID: c.UserGUID}
}

func (pl *Plan) add(c Candidate) {
	pl.Candidates = append(pl.Candidates, c)
	t := pl.Totals[c.Type]
	if c.Action == "downgrade" {
		t.Downgrades++
	} else {
		t.Candidates++
	}
	if c.QuarantineEnd != nil {
		t.Quarantined++
	} else {
		t.FreedNow++
	}
}

func (pl *Plan) exclude(a Allocation, user, action, rule, detail string) {
	pl.Excluded = append(pl.Excluded, Exclusion{AllocationID: a.ID, Type: a.Type, User: user, Action: action, Rule: rule, Detail: detail})
	pl.Totals[a.Type].Excluded++
}

// describe lists the never-release rules in force, for the record.
func (p Policy) describe() []string {
	out := []string{"INTERNAL accounts", "RootAdmins"}
	for _, u := range p.Users {
		out = append(out, "user "+u)
	}
	for _, d := range p.Directories {
		out = append(out, "directory "+d)
	}
	for _, t := range p.Tags {
		out = append(out, "tag "+t)
	}
	for _, pr := range p.Properties {
		if pr.Value == "" {
			out = append(out, "custom property "+pr.Name)
		} else {
			out = append(out, "custom property "+pr.Name+"="+pr.Value)
		}
	}
	for _, f := range []struct {
		name string
		r    FlagRule
	}{{"inactive", p.InactiveFlag}, {"blocked", p.BlockedFlag}, {"removed externally", p.RemovedFlag}} {
		switch f.r {
		case FlagProtect:
			out = append(out, "users flagged "+f.name)
		case FlagOnly:
			out = append(out, "users not flagged "+f.name)
		}
	}
	if !p.Force {
		out = append(out, "allocations used in the last 7 days")
	}
	return out
}
