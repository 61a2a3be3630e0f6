package config

import (
	"errors"
	"fmt"
	"strings"
)

// Reclaim is the reclaim policy (licmon reclaim plan/apply, and serve's
// scheduled policy when enabled).
type Reclaim struct {
	// Inactive is the inactivity threshold per type: professional,
	// analyzer, user_access (default 90d each).
	Inactive ReclaimInactive `yaml:"inactive,omitempty"`
	// NeverRelease lists who is never released. INTERNAL accounts and
	// RootAdmins are always protected and need no entry.
	NeverRelease NeverRelease `yaml:"never_release,omitempty"`
	// MaxReleases caps releases and downgrades per run (default 100).
	MaxReleases int `yaml:"max_releases,omitempty"`
	// Rate is the most changes per second sent to the QRS (default 5).
	Rate float64 `yaml:"rate,omitempty"`
	// Retries of a change that failed with a 5xx or a network error (default 2).
	Retries int `yaml:"retries,omitempty"`
	// Schedule lets serve plan and apply on its own. Off unless enabled:
	// serve never changes a site otherwise.
	Schedule ReclaimSchedule `yaml:"schedule,omitempty"`
}

// ReclaimInactive holds the thresholds per type.
type ReclaimInactive struct {
	Professional Duration `yaml:"professional,omitempty"`
	Analyzer     Duration `yaml:"analyzer,omitempty"`
	UserAccess   Duration `yaml:"user_access,omitempty"`
}

// NeverRelease are the never-release rules.
type NeverRelease struct {
	// Users as DIRECTORY\userid.
	Users       []string `yaml:"users,omitempty"`
	Directories []string `yaml:"directories,omitempty"`
	Tags        []string `yaml:"tags,omitempty"`
	// CustomProperties are "Name" (any value) or "Name=value".
	CustomProperties []string `yaml:"custom_properties,omitempty"`
	// Inactive, Blocked and RemovedExternally are the QMC user flags:
	// "ignore" (default), "protect" (never release a user with the flag) or
	// "only" (release only users with the flag).
	Inactive          string `yaml:"inactive,omitempty"`
	Blocked           string `yaml:"blocked,omitempty"`
	RemovedExternally string `yaml:"removed_externally,omitempty"`
}

// ReclaimSchedule is serve's scheduled reclaim.
type ReclaimSchedule struct {
	// Enabled must be true for serve to release anything by itself.
	Enabled bool `yaml:"enabled,omitempty"`
	// At is the daily time (HH:MM in the schedule's timezone).
	At string `yaml:"at,omitempty"`
	// Sites limits it to these sites (default: none; name them explicitly).
	Sites []string `yaml:"sites,omitempty"`
	// Types to reclaim (default professional, analyzer).
	Types []string `yaml:"types,omitempty"`
}

// Report holds the defaults of `licmon report` (its flags override them).
type Report struct {
	// Keep lists tags or custom-property names/values that exclude a user
	// from the report's reclaim and downgrade lists (--keep).
	Keep []string `yaml:"keep,omitempty"`
	// InactiveDays is the report's reclaim threshold (--inactive-days).
	InactiveDays int `yaml:"inactive_days,omitempty"`
	// AuthoringDays (--authoring-days), Headroom in percent (--headroom) and
	// AnalyzerMinutes (--analyzer-minutes).
	AuthoringDays   int     `yaml:"authoring_days,omitempty"`
	Headroom        float64 `yaml:"headroom,omitempty"`
	AnalyzerMinutes int64   `yaml:"analyzer_minutes,omitempty"`
}

var flagRules = []string{"", "ignore", "protect", "only"}

func (c *Config) validateReclaim() []error {
	var errs []error
	r := c.Reclaim
	add := func(field, format string, a ...any) {
		errs = append(errs, &ValidationError{field, fmt.Errorf(format, a...)})
	}
	for field, v := range map[string]string{"reclaim.never_release.inactive": r.NeverRelease.Inactive,
		"reclaim.never_release.blocked": r.NeverRelease.Blocked, "reclaim.never_release.removed_externally": r.NeverRelease.RemovedExternally} {
		ok := false
		for _, a := range flagRules {
			ok = ok || strings.EqualFold(v, a)
		}
		if !ok {
			add(field, "%q: use ignore, protect (never release users with the flag) or only (release only users with the flag)", v)
		}
	}
	for i, u := range r.NeverRelease.Users {
		if d, id, ok := strings.Cut(u, `\`); !ok || d == "" || id == "" {
			add(fmt.Sprintf("reclaim.never_release.users[%d]", i), "%q: use DIRECTORY\\userid, e.g. CORP\\jdoe", u)
		}
	}
	for i, p := range r.NeverRelease.CustomProperties {
		if n, _, _ := strings.Cut(p, "="); strings.TrimSpace(n) == "" {
			add(fmt.Sprintf("reclaim.never_release.custom_properties[%d]", i), "%q: use Name or Name=value", p)
		}
	}
	if r.MaxReleases < 0 || r.Retries < 0 || r.Rate < 0 {
		add("reclaim", "max_releases, retries and rate must be 0 (default) or more")
	}
	for _, d := range []Duration{r.Inactive.Professional, r.Inactive.Analyzer, r.Inactive.UserAccess} {
		if d != 0 && d < Duration(24*60*60*1e9) {
			add("reclaim.inactive", "thresholds are at least 1d (a release of an allocation used in the last 7 days needs --force anyway)")
			break
		}
	}
	if s := r.Schedule; s.Enabled {
		if len(s.Sites) == 0 {
			add("reclaim.schedule.sites", "a scheduled reclaim must name its sites explicitly")
		}
		if _, _, err := ParseClock(s.At); err != nil {
			add("reclaim.schedule.at", "%v", err)
		}
	}
	if c.Report.Headroom < 0 || c.Report.InactiveDays < 0 || c.Report.AuthoringDays < 0 || c.Report.AnalyzerMinutes < 0 {
		errs = append(errs, &ValidationError{"report", errors.New("inactive_days, authoring_days, headroom and analyzer_minutes must be 0 (default) or more")})
	}
	return errs
}

// ParseClock reads a daily time HH:MM the way schedule.collect_at is read.
func ParseClock(at string) (hour, minute int, err error) {
	if at == "" {
		return 0, 0, errors.New("a time is required, e.g. 03:30")
	}
	return Schedule{CollectAt: at}.CollectTime()
}
