package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// DefaultLeaderPoll is how often a standby serve instance tries to take the
// lead, and the leader re-verifies it holds it (serve.leader_poll).
const DefaultLeaderPoll = 10 * time.Second

// MaxLeaderPoll keeps the handover within a minute: PostgreSQL ends a
// silent leader's session within 25 s, a standby notices within one poll.
const MaxLeaderPoll = 30 * time.Second

// SiteSelector is serve.sites: the sites this serve instance runs, for a
// fleet too large for one. A site is selected when its name is listed, or
// when it carries every label listed. Instances with the same selection
// form one group that elects one leader (its shard); empty selects every
// site.
type SiteSelector struct {
	Names  []string          `yaml:"names,omitempty"`
	Labels map[string]string `yaml:"labels,omitempty"`
}

// Empty reports whether the selector selects every site.
func (s SiteSelector) Empty() bool { return len(s.Names) == 0 && len(s.Labels) == 0 }

// Match reports whether the selector selects site.
func (s SiteSelector) Match(site Site) bool {
	if s.Empty() {
		return true
	}
	for _, n := range s.Names {
		if strings.EqualFold(n, site.Name) {
			return true
		}
	}
	if len(s.Labels) == 0 {
		return false
	}
	for k, v := range s.Labels {
		if got, ok := site.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Shard names the selection the same way whatever the order it was
// written in: "all", or "names=a,b", "labels=env=prod,region=emea", or both
// separated by a space. Its leader lock key derives from it.
func (s SiteSelector) Shard() string {
	if s.Empty() {
		return "all"
	}
	var parts []string
	if len(s.Names) > 0 {
		names := make([]string, len(s.Names))
		for i, n := range s.Names {
			names[i] = strings.ToLower(n)
		}
		slices.Sort(names)
		names = slices.Compact(names)
		parts = append(parts, "names="+strings.Join(names, ","))
	}
	if len(s.Labels) > 0 {
		var kv []string
		for k, v := range s.Labels {
			kv = append(kv, k+"="+v)
		}
		slices.Sort(kv)
		parts = append(parts, "labels="+strings.Join(kv, ","))
	}
	return strings.Join(parts, " ")
}

// Select returns the sites of the selection, in their order.
func (s SiteSelector) Select(sites []Site) []Site {
	if s.Empty() {
		return sites
	}
	var out []Site
	for _, site := range sites {
		if s.Match(site) {
			out = append(out, site)
		}
	}
	return out
}

// LeaderPollOrDefault returns serve.leader_poll or DefaultLeaderPoll.
func (s Serve) LeaderPollOrDefault() time.Duration {
	if s.LeaderPoll > 0 {
		return time.Duration(s.LeaderPoll)
	}
	return DefaultLeaderPoll
}

var labelKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

func (c *Config) validateHA() []error {
	var errs []error
	bad := func(field string, err error) { errs = append(errs, &ValidationError{field, err}) }
	s := c.Serve
	if p := time.Duration(s.LeaderPoll); p != 0 && (p < time.Second || p > MaxLeaderPoll) {
		bad("serve.leader_poll", fmt.Errorf("%s must be within 1s–%s, so a standby takes over within a minute (default %s)", p, MaxLeaderPoll, DefaultLeaderPoll))
	}
	if len(s.Instance) > 50 || strings.ContainsFunc(s.Instance, func(r rune) bool { return !unicode.IsPrint(r) }) {
		bad("serve.instance", errors.New("must be at most 50 printable characters, e.g. licmon-a (default: host name and process id)"))
	}
	for i, site := range c.Sites {
		for k, v := range site.Labels {
			if !labelKey.MatchString(k) || v == "" {
				bad(fmt.Sprintf("sites[%s].labels", nameOr(site.Name, fmt.Sprint(i))),
					fmt.Errorf("label %q: %q: a key is letters, digits, _ . - (not starting with a digit) and a value is not empty, e.g. env: prod", k, v))
			}
		}
	}
	sel := s.Sites
	for k, v := range sel.Labels {
		if !labelKey.MatchString(k) || v == "" {
			bad("serve.sites.labels", fmt.Errorf("label %q: %q: a key is letters, digits, _ . - (not starting with a digit) and a value is not empty, e.g. env: prod", k, v))
		}
	}
	if len(c.Sites) == 0 || sel.Empty() {
		return errs // sites from flags: serve checks its selection at start
	}
	for _, n := range sel.Names {
		if _, err := c.Site(n); err != nil {
			bad("serve.sites.names", fmt.Errorf("%q is not a site of this configuration (sites: %s)", n, strings.Join(c.SiteNames(), ", ")))
		}
	}
	if len(sel.Select(c.Sites)) == 0 {
		bad("serve.sites", fmt.Errorf("selects none of the sites (%s): check the names and the sites' labels", strings.Join(c.SiteNames(), ", ")))
	}
	return errs
}
