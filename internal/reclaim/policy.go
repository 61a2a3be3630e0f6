// Package reclaim plans and applies the release of unused license
// allocations: who is eligible (inactive longer than the policy's threshold
// for the type), who is protected and by which rule, what a release does
// (freed now or quarantined until a date), and with --downgrade which
// Professional users who author nothing move to Analyzer. Planning is pure
// (Build); Gather reads a site in a few bulk requests and Apply re-checks
// every candidate against the live site before it releases anything.
package reclaim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Type is a per-user allocation type.
type Type string

// The types reclaim works on.
const (
	Professional Type = "professional"
	Analyzer     Type = "analyzer"
	UserAccess   Type = "user-access"
)

// Types lists them in display order.
var Types = []Type{Professional, Analyzer, UserAccess}

// ParseTypes reads a comma-separated list such as "professional,analyzer".
func ParseTypes(s string) ([]Type, error) {
	if strings.TrimSpace(s) == "" {
		return slices.Clone(Types), nil
	}
	var out []Type
	for _, p := range strings.Split(s, ",") {
		t := Type(strings.ToLower(strings.TrimSpace(p)))
		switch t {
		case "user", "useraccess", "user_access":
			t = UserAccess
		}
		if !slices.Contains(Types, t) {
			return nil, fmt.Errorf("unknown type %q: use professional, analyzer or user-access", p)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// FlagRule says what a QMC user flag (inactive, blocked, removed externally)
// does to the release of that user's allocation.
type FlagRule string

// Flag rules.
const (
	// FlagIgnore: the flag plays no part (default).
	FlagIgnore FlagRule = "ignore"
	// FlagProtect: never release a user who has the flag.
	FlagProtect FlagRule = "protect"
	// FlagOnly: release only users who have the flag (everyone else is kept).
	FlagOnly FlagRule = "only"
)

// PropertyRule protects users with a custom property (any value when Value is empty).
type PropertyRule struct {
	Name, Value string
}

// RecentUseGuard is the minimum idle time: an allocation used more recently
// is never released unless forced, whatever the threshold, because the
// user is evidently working (and the release would only quarantine it).
const RecentUseGuard = 7 * 24 * time.Hour

// Policy decides who may be released. INTERNAL service accounts and
// RootAdmins are always protected; that is not configurable.
type Policy struct {
	// Inactive is the threshold per type (missing: DefaultInactive).
	Inactive map[Type]time.Duration
	// Never-release lists.
	Users       []string // DIRECTORY\userid
	Directories []string
	Tags        []string
	Properties  []PropertyRule
	// QMC flags: Inactive (the directory connector no longer finds the
	// user), Blocked (blacklisted in the QMC), RemovedExternally (deleted in
	// the user directory).
	InactiveFlag, BlockedFlag, RemovedFlag FlagRule
	// MaxReleases caps releases (and downgrades) per run; 0 = DefaultMaxReleases.
	MaxReleases int
	// Force allows releasing allocations used within RecentUseGuard.
	Force bool
}

// Defaults.
const (
	DefaultInactive    = 90 * 24 * time.Hour
	DefaultMaxReleases = 100
)

// Threshold returns the inactivity threshold of t.
func (p Policy) Threshold(t Type) time.Duration {
	if d, ok := p.Inactive[t]; ok && d > 0 {
		return d
	}
	return DefaultInactive
}

// Max returns the cap on releases per run.
func (p Policy) Max() int {
	if p.MaxReleases > 0 {
		return p.MaxReleases
	}
	return DefaultMaxReleases
}

// Validate checks the policy.
func (p Policy) Validate() error {
	for _, f := range []struct {
		name string
		r    FlagRule
	}{{"inactive", p.InactiveFlag}, {"blocked", p.BlockedFlag}, {"removed_externally", p.RemovedFlag}} {
		switch f.r {
		case "", FlagIgnore, FlagProtect, FlagOnly:
		default:
			return fmt.Errorf("never_release.%s %q: use ignore, protect or only", f.name, f.r)
		}
	}
	for _, u := range p.Users {
		if d, id, ok := strings.Cut(u, `\`); !ok || d == "" || id == "" {
			return fmt.Errorf("never_release.users: %q is not DIRECTORY\\userid", u)
		}
	}
	for _, pr := range p.Properties {
		if pr.Name == "" {
			return fmt.Errorf("never_release.custom_properties: a rule without a name")
		}
	}
	if p.MaxReleases < 0 {
		return fmt.Errorf("max_releases must be 0 (default %d) or more", DefaultMaxReleases)
	}
	return nil
}

// Rule names as the plan shows them.
const (
	RuleInternal   = "internal-account"
	RuleRootAdmin  = "root-admin"
	RuleUser       = "never-release-user"
	RuleDirectory  = "never-release-directory"
	RuleTag        = "never-release-tag"
	RuleProperty   = "never-release-custom-property"
	RuleInactive   = "qmc-flag-inactive"
	RuleBlocked    = "qmc-flag-blocked"
	RuleRemoved    = "qmc-flag-removed-externally"
	RuleRecentUse  = "used-in-last-7-days"
	RuleMax        = "max-releases-per-run"
	RuleNoAnalyzer = "no-analyzer-seat-free"
)

// protectedBy returns the rule that protects u and what matched, or "".
func (p Policy) protectedBy(u *User) (rule, detail string) {
	if u == nil {
		return "", ""
	}
	if strings.EqualFold(u.Directory, "INTERNAL") {
		return RuleInternal, "INTERNAL accounts run Qlik Sense itself"
	}
	for _, r := range u.Roles {
		if strings.EqualFold(r, "RootAdmin") {
			return RuleRootAdmin, "RootAdmin role"
		}
	}
	id := u.Directory + `\` + u.UserID
	for _, x := range p.Users {
		if strings.EqualFold(x, id) {
			return RuleUser, x
		}
	}
	for _, d := range p.Directories {
		if strings.EqualFold(d, u.Directory) {
			return RuleDirectory, d
		}
	}
	for _, t := range u.Tags {
		for _, x := range p.Tags {
			if strings.EqualFold(x, t) {
				return RuleTag, t
			}
		}
	}
	for _, cp := range u.Properties {
		for _, x := range p.Properties {
			if strings.EqualFold(x.Name, cp.Name) && (x.Value == "" || strings.EqualFold(x.Value, cp.Value)) {
				return RuleProperty, cp.Name + "=" + cp.Value
			}
		}
	}
	for _, f := range []struct {
		rule FlagRule
		set  bool
		name string
	}{{p.InactiveFlag, u.Inactive, RuleInactive}, {p.BlockedFlag, u.Blocked, RuleBlocked}, {p.RemovedFlag, u.RemovedExternally, RuleRemoved}} {
		switch {
		case f.rule == FlagProtect && f.set:
			return f.name, "flag set, policy protects it"
		case f.rule == FlagOnly && !f.set:
			return f.name, "flag not set, policy releases only flagged users"
		}
	}
	return "", ""
}
