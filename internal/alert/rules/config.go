package rules

import "strings"

// Rules are the alert rules of the configuration (alerts.rules), each
// enabled by default.
type Rules struct {
	// TaskFailed fires when the License Monitor's reload failed or was
	// aborted (findings task-failed, task-aborted, scheduler-failure, script-*).
	TaskFailed Rule `yaml:"task_failed,omitempty"`
	// Stale fires when the License Monitor's data is stale (app-stale).
	Stale Rule `yaml:"stale,omitempty"`
	// QRSUnreachable fires when the check could not reach the QRS.
	QRSUnreachable Rule `yaml:"qrs_unreachable,omitempty"`
	// AvailableBelow fires per license type when few licenses are left.
	AvailableBelow Available `yaml:"available_below,omitempty"`
	// RunOutWithin fires per type when the forecast run-out is near.
	RunOutWithin Within `yaml:"runout_within,omitempty"`
	// LicenseEndWithin fires when the site license ends soon.
	LicenseEndWithin Within `yaml:"license_end_within,omitempty"`
}

// Rule is what every alert rule has.
type Rule struct {
	// Enabled defaults to true.
	Enabled *bool `yaml:"enabled,omitempty"`
	// Severity is critical or warning (each rule has its own default).
	Severity string `yaml:"severity,omitempty"`
	// Channels overrides alerts.channels for this rule.
	Channels []string `yaml:"channels,omitempty"`
}

// IsEnabled reports whether the rule is on (the default).
func (r Rule) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

// SeverityOr returns the configured severity or def.
func (r Rule) SeverityOr(def string) string {
	if r.Severity == "" {
		return def
	}
	return strings.ToLower(r.Severity)
}

// Threshold is "fewer than Count available, or less than Percent of the total".
type Threshold struct {
	Count   int64   `yaml:"count,omitempty"`
	Percent float64 `yaml:"percent,omitempty"`
}

// Available fires when the available licenses of a type fall below a
// count or a percentage of the type's total. Types overrides the
// thresholds per type (professional, analyzer, analyzer-capacity,
// user-access, login-access).
type Available struct {
	Rule    `yaml:",inline"`
	Count   int64                `yaml:"count,omitempty"`
	Percent float64              `yaml:"percent,omitempty"`
	Types   map[string]Threshold `yaml:"types,omitempty"`
}

// DefaultAvailablePercent is the available_below threshold when neither a
// count nor a percentage is configured.
const DefaultAvailablePercent = 5

// For returns the threshold of a type.
func (r Available) For(typ string) Threshold {
	if t, ok := r.Types[typ]; ok {
		return t
	}
	if r.Count == 0 && r.Percent == 0 {
		return Threshold{Percent: DefaultAvailablePercent}
	}
	return Threshold{Count: r.Count, Percent: r.Percent}
}

// Within fires when something happens within Days days.
type Within struct {
	Rule `yaml:",inline"`
	Days int `yaml:"days,omitempty"`
}

// DaysOr returns Days or def.
func (r Within) DaysOr(def int) int {
	if r.Days > 0 {
		return r.Days
	}
	return def
}
