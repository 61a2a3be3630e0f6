package reclaim

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/config"
)

// PolicyFromConfig turns the config's reclaim section into a policy.
func PolicyFromConfig(r config.Reclaim) Policy {
	nr := r.NeverRelease
	p := Policy{Inactive: map[Type]time.Duration{}, Users: nr.Users, Directories: nr.Directories, Tags: nr.Tags,
		InactiveFlag: FlagRule(strings.ToLower(nr.Inactive)), BlockedFlag: FlagRule(strings.ToLower(nr.Blocked)),
		RemovedFlag: FlagRule(strings.ToLower(nr.RemovedExternally)), MaxReleases: r.MaxReleases}
	for t, d := range map[Type]config.Duration{Professional: r.Inactive.Professional, Analyzer: r.Inactive.Analyzer, UserAccess: r.Inactive.UserAccess} {
		if d > 0 {
			p.Inactive[t] = time.Duration(d)
		}
	}
	for _, cp := range nr.CustomProperties {
		n, v, _ := strings.Cut(cp, "=")
		p.Properties = append(p.Properties, PropertyRule{Name: strings.TrimSpace(n), Value: strings.TrimSpace(v)})
	}
	return p
}

// Record returns the plan's summary and body as stored with it.
func (pl *Plan) Record() (summary, body []byte, err error) {
	if body, err = json.Marshal(pl); err != nil {
		return nil, nil, err
	}
	summary, err = json.Marshal(pl.Summary())
	return summary, body, err
}
