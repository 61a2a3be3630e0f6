package sim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Scenario describes how a simulated site deviates from a healthy one. It is
// what a preset expands to and what a YAML scenario file decodes into (schema
// in the package documentation).
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Users and HistoryDays override Options when set (Users only when
	// Options.Users is left at its default).
	Users       int `yaml:"users"`
	HistoryDays int `yaml:"historyDays"`
	// OldVersion makes the site an old (2019) build whose script logs use
	// "YYYY-MM-DD hh:mm:ss" timestamps.
	OldVersion      bool            `yaml:"oldVersion"`
	License         LicenseSpec     `yaml:"license"`
	QuarantineModel string          `yaml:"quarantineModel"`
	Download404     int             `yaml:"download404"`
	Tasks           []TaskSpec      `yaml:"tasks"`
	Connections     ConnectionsSpec `yaml:"connections"`
	Proxy           ProxySpec       `yaml:"proxy"`
	// Faults injects failures into the QRS answers (see Fault).
	Faults []Fault    `yaml:"faults"`
	Demand DemandSpec `yaml:"demand"`
	// DormantPercent is the percentage of directory users who keep their
	// allocation but almost never use it (0 = 8): the stale allocations a
	// reclaim plan finds.
	DormantPercent int `yaml:"dormantPercent"`
}

// DemandSpec says how users the license turned away keep asking. A denied
// user (no free allocation, or the capacity pool used up) tries again at a
// share of their usual session rate until they get access or their patience
// runs out; the first request after a seat frees up (a quarantine ends, the
// license grows, a new month refills the capacity pool) gets it.
type DemandSpec struct {
	// PatienceDays is how long after the first denial a user keeps trying
	// (0 = 90 days); after that they stop asking.
	PatienceDays int `yaml:"patienceDays"`
	// RetryShare is the share of their usual sessions a waiting user still
	// attempts, in (0, 1] (0 = 0.5).
	RetryShare float64 `yaml:"retryShare"`
}

// ReductionSpec makes the license smaller during the history: the site
// allocated under the old, larger license, then a license below its
// allocations was applied, so it has more allocations than the license
// allows (excess, flagged on the newest). New allocations are denied until
// enough are released.
type ReductionSpec struct {
	// DaysAgo is when the smaller license was applied (0 = no reduction).
	DaysAgo int `yaml:"daysAgo"`
	// ProfessionalPercent and AnalyzerPercent put the new total that many
	// percent below the allocations the type had at the reduction, 0 to 90
	// (0 = the type is not reduced).
	ProfessionalPercent int `yaml:"professionalPercent"`
	AnalyzerPercent     int `yaml:"analyzerPercent"`
}

// LicenseSpec sizes and shapes the site license.
type LicenseSpec struct {
	// Kind is "signed-key" (default), "lef" (serial + control number with
	// Professional/Analyzer) or "tokens" (LEF with TOKENS; user and login
	// access passes).
	Kind string `yaml:"kind"`
	// Professional, Analyzer, AnalyzerMinutes and Tokens override the sizes
	// derived from the user count (0 = derive).
	Professional    int `yaml:"professional"`
	Analyzer        int `yaml:"analyzer"`
	AnalyzerMinutes int `yaml:"analyzerMinutes"`
	Tokens          int `yaml:"tokens"`
	// ValidDays is the days from now to the license end (negative = expired;
	// 0 = 400 days).
	ValidDays int `yaml:"validDays"`
	// ProfessionalFullDaysAgo and AnalyzerFullDaysAgo size the type to the
	// allocations that existed that many days ago: the type has been full
	// since, and every user who needed an allocation after that was denied.
	ProfessionalFullDaysAgo int `yaml:"professionalFullDaysAgo"`
	AnalyzerFullDaysAgo     int `yaml:"analyzerFullDaysAgo"`
	// ProfessionalRunOutDays and AnalyzerRunOutDays leave room for about
	// that many days of the site's expected growth: the type fills up then.
	ProfessionalRunOutDays int `yaml:"professionalRunOutDays"`
	AnalyzerRunOutDays     int `yaml:"analyzerRunOutDays"`
	// AnalyzerMinutesShare sizes the analyzer capacity pool as a share of
	// the capacity users' expected monthly use (0 = 1.5: room to spare;
	// below 1 the pool runs out before the month ends).
	AnalyzerMinutesShare float64 `yaml:"analyzerMinutesShare"`
	// AnalyzerOverage lets capacity use go past the monthly pool instead of
	// denying it (signed-key licenses with overage; keyDetails says so).
	AnalyzerOverage bool `yaml:"analyzerOverage"`
	// Reduction makes the license smaller during the history (excess).
	Reduction ReductionSpec `yaml:"reduction"`
}

// TaskSpec changes one task, found by Name (default "Reload License Monitor").
type TaskSpec struct {
	Name string `yaml:"name"`
	// Rename gives the task another name; Missing deletes it.
	Rename  string `yaml:"rename"`
	Missing bool   `yaml:"missing"`
	// Disabled disables the task; TriggerDisabled disables its schedule.
	Disabled        bool `yaml:"disabled"`
	TriggerDisabled bool `yaml:"triggerDisabled"`
	// NeverRun leaves the task without any execution.
	NeverRun bool `yaml:"neverRun"`
	// Failure is the failure kind of the last FailureStreak runs and of
	// future runs (see FailureKinds); empty = success.
	Failure       string `yaml:"failure"`
	FailureStreak int    `yaml:"failureStreak"`
	// StopDaysAgo stops the schedule that many days ago: the last execution
	// is that old (stale data).
	StopDaysAgo int `yaml:"stopDaysAgo"`
	// ScriptLog points the last execution at a script log file on disk
	// (relative paths are relative to the YAML file).
	ScriptLog string `yaml:"scriptLog"`
}

// ConnectionsSpec changes the monitor_apps_REST_* data connections.
type ConnectionsSpec struct {
	// Missing lists connection names that do not exist.
	Missing []string `yaml:"missing"`
	// Auth is "ntlm" (default, through the proxy on localhost), "certificate"
	// (direct to port 4242) or "jwt".
	Auth string `yaml:"auth"`
	// Password is the service account's current password (default
	// DefaultServicePassword). A repair that stores it on the NTLM
	// connections makes the next License Monitor reload authenticate.
	Password string `yaml:"password"`
}

// ProxySpec describes the default virtual proxy / proxy service.
type ProxySpec struct {
	// Kerberos enables Kerberos on the proxy (the REST connector cannot use
	// it, so NTLM connections get 401).
	Kerberos bool `yaml:"kerberos"`
	// Prefix is the default virtual proxy's prefix; NTLM connections whose
	// URL lacks it get 404.
	Prefix string `yaml:"prefix"`
}

// Failure kinds a task can fail with.
const (
	FailRest401       = "rest-401"
	FailRest403       = "rest-403"
	FailRest502       = "rest-http-502"
	FailRest404       = "rest-http-404"
	FailRestConnect   = "rest-connect"
	FailFileNotFound  = "file-not-found"
	FailFieldNotFound = "field-not-found"
	FailTableNotFound = "table-not-found"
	FailSyntax        = "syntax-error"
	FailOutOfMemory   = "out-of-memory"
	FailAborted       = "aborted"
	FailTimeout       = "timeout"
	FailConnMissing   = "connection-missing"
	FailNoWorker      = "no-worker"
)

// FailureKinds lists the failure kinds accepted in TaskSpec.Failure and Outcome.
func FailureKinds() []string {
	return []string{FailRest401, FailRest403, FailRest404, FailRest502, FailRestConnect, FailFileNotFound, FailFieldNotFound,
		FailTableNotFound, FailSyntax, FailOutOfMemory, FailAborted, FailTimeout, FailConnMissing, FailNoWorker}
}

// ScenarioInfo names and describes a preset.
type ScenarioInfo struct {
	Name, Description string
}

const lmTask = "Reload License Monitor"

func failing(name, desc, kind string) Scenario {
	return Scenario{Name: name, Description: desc, Tasks: []TaskSpec{{Name: lmTask, Failure: kind, FailureStreak: 6}}}
}

var presets = []Scenario{
	{Name: "healthy", Description: "every task succeeds hourly, license valid, allocations and usage look normal"},
	failing("lm-failing-rest-401", "Reload License Monitor fails: REST connection gets HTTP 401 (wrong credentials on monitor_apps_REST_*)", FailRest401),
	failing("lm-failing-rest-403", "Reload License Monitor fails: REST connection gets HTTP 403 (REST user lacks rights)", FailRest403),
	{Name: "lm-failing-rest-404", Description: "the default virtual proxy got the prefix 'windows': the NTLM REST connections to https://localhost/qrs/ get HTTP 404",
		Proxy: ProxySpec{Prefix: "windows"}, Tasks: []TaskSpec{{Name: lmTask, Failure: FailRest404, FailureStreak: 6}}},
	failing("lm-failing-rest-http-502", "Reload License Monitor fails: HTTP 502 from the proxy (QRS down)", FailRest502),
	failing("lm-failing-rest-connect", "Reload License Monitor fails: QVX_UNEXPECTED_END_OF_DATA, TLS channel could not be created", FailRestConnect),
	failing("lm-failing-file-not-found", "Reload License Monitor fails: Cannot open file in ArchivedLogsFolder (Native Path form)", FailFileNotFound),
	failing("lm-failing-field-not-found", "Reload License Monitor fails: Field 'SessionId' not found (log schema changed after an upgrade)", FailFieldNotFound),
	failing("lm-failing-table-not-found", "Reload License Monitor fails: Table 'FileListTemp' not found (no archived logs yet)", FailTableNotFound),
	failing("lm-failing-syntax-error", "Reload License Monitor fails: script syntax error", FailSyntax),
	failing("lm-failing-out-of-memory", "Reload License Monitor fails: engine out of memory during reload", FailOutOfMemory),
	failing("lm-aborted", "Reload License Monitor aborted after the task session timeout (status Aborted)", FailAborted),
	failing("lm-timeout", "Reload License Monitor fails: REST request timed out", FailTimeout),
	{Name: "lm-connection-missing", Description: "connection monitor_apps_REST_license_overview is missing; the reload fails at its LIB CONNECT TO",
		Connections: ConnectionsSpec{Missing: []string{"monitor_apps_REST_license_overview"}},
		Tasks:       []TaskSpec{{Name: lmTask, Failure: FailConnMissing, FailureStreak: 6}}},
	failing("lm-no-worker", "Reload License Monitor fails in the scheduler before the engine ran (no reload node): no script log", FailNoWorker),
	{Name: "lm-disabled", Description: "the Reload License Monitor task is disabled", Tasks: []TaskSpec{{Name: lmTask, Disabled: true, StopDaysAgo: 12}}},
	{Name: "lm-missing", Description: "the Reload License Monitor task was deleted", Tasks: []TaskSpec{{Name: lmTask, Missing: true}}},
	{Name: "lm-stale", Description: "last Reload License Monitor run succeeded but 20 days ago: its trigger is disabled", Tasks: []TaskSpec{{Name: lmTask, TriggerDisabled: true, StopDaysAgo: 20}}},
	{Name: "lm-never-run", Description: "the Reload License Monitor task exists but never ran and has no trigger", Tasks: []TaskSpec{{Name: lmTask, NeverRun: true, TriggerDisabled: true}}},
	{Name: "license-expired", Description: "the signed license key expired 3 days ago", License: LicenseSpec{ValidDays: -3}},
	{Name: "license-expiring", Description: "the signed license key expires in 20 days", License: LicenseSpec{ValidDays: 20}},
	{Name: "ntlm-kerberos", Description: "proxy uses Kerberos, the NTLM REST connections get 401 and the License Monitor fails",
		Proxy: ProxySpec{Kerberos: true}, Tasks: []TaskSpec{{Name: lmTask, Failure: FailRest401, FailureStreak: 30}}},
	{Name: "old-version", Description: "a 2019 build with old-style script log timestamps and a serial/LEF license", OldVersion: true, License: LicenseSpec{Kind: "lef"}},
	{Name: "tokens", Description: "token-based LEF license: user access passes and login access groups", License: LicenseSpec{Kind: "tokens"}},
	{Name: "at-capacity", Description: "Professional full since 60 days ago: new users are denied and keep retrying; Analyzer runs out in about half a year",
		License: LicenseSpec{ProfessionalFullDaysAgo: 60, AnalyzerRunOutDays: 90}},
	{Name: "license-reduced", Description: "20 days ago a license 5% below the allocations was applied: the newest allocations are excess and new users are denied",
		License: LicenseSpec{Reduction: ReductionSpec{DaysAgo: 20, ProfessionalPercent: 5, AnalyzerPercent: 5}}},
	{Name: "capacity-exhausted", Description: "the analyzer capacity pool covers 60% of the monthly use: capacity users are denied until the 1st of the next month",
		License: LicenseSpec{AnalyzerMinutesShare: 0.6}},
	{Name: "capacity-overage", Description: "the analyzer capacity pool covers 60% of the monthly use and the license allows overage: used minutes exceed the pool",
		License: LicenseSpec{AnalyzerMinutesShare: 0.6, AnalyzerOverage: true}},
	{Name: "idle-allocations", Description: "22% of the users keep an allocation they almost never use: about a fifth of the allocations are reclaim candidates at 30 days",
		DormantPercent: 22},
}

// Scenarios lists the presets for help texts.
func Scenarios() []ScenarioInfo {
	out := make([]ScenarioInfo, len(presets))
	for i, p := range presets {
		out[i] = ScenarioInfo{Name: p.Name, Description: p.Description}
	}
	return out
}

// LoadScenario resolves a preset name or reads a YAML scenario file. Names
// joined with "+" compose, later ones adding to earlier ones (for example
// "lm-failing-rest-401+at-capacity": a failing License Monitor on a site
// whose Professional allocations ran out): set values override, lists
// (tasks, missing connections) are concatenated.
func LoadScenario(nameOrPath string) (*Scenario, error) {
	if nameOrPath == "" {
		nameOrPath = "healthy"
	}
	parts := strings.Split(nameOrPath, "+")
	if len(parts) == 1 {
		return loadOne(nameOrPath)
	}
	var out Scenario
	var names, descs []string
	for _, p := range parts {
		sc, err := loadOne(strings.TrimSpace(p))
		if err != nil {
			return nil, err
		}
		merge(reflect.ValueOf(&out).Elem(), reflect.ValueOf(sc).Elem())
		names, descs = append(names, sc.Name), append(descs, sc.Description)
	}
	out.Name, out.Description = strings.Join(names, "+"), strings.Join(descs, "; ")
	if err := out.validate(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", nameOrPath, err)
	}
	return &out, nil
}

// merge adds src to dst: non-zero scalars override, slices append, structs
// merge field by field.
func merge(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Struct:
		for i := 0; i < src.NumField(); i++ {
			merge(dst.Field(i), src.Field(i))
		}
	case reflect.Slice:
		dst.Set(reflect.AppendSlice(dst, src))
	default:
		if !src.IsZero() {
			dst.Set(src)
		}
	}
}

func loadOne(nameOrPath string) (*Scenario, error) {
	ext := strings.ToLower(filepath.Ext(nameOrPath))
	if ext == ".yaml" || ext == ".yml" {
		data, err := os.ReadFile(nameOrPath)
		if err != nil {
			return nil, fmt.Errorf("read scenario: %w", err)
		}
		var sc Scenario
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&sc); err != nil {
			return nil, fmt.Errorf("parse scenario %s: %w", nameOrPath, err)
		}
		dir := filepath.Dir(nameOrPath)
		for i := range sc.Tasks {
			if p := sc.Tasks[i].ScriptLog; p != "" && !filepath.IsAbs(p) {
				sc.Tasks[i].ScriptLog = filepath.Join(dir, p)
			}
		}
		if sc.Name == "" {
			sc.Name = strings.TrimSuffix(filepath.Base(nameOrPath), ext)
		}
		if err := sc.validate(); err != nil {
			return nil, fmt.Errorf("scenario %s: %w", nameOrPath, err)
		}
		return &sc, nil
	}
	for _, p := range presets {
		if p.Name == nameOrPath {
			c := p
			c.Tasks = slices.Clone(p.Tasks)
			c.Connections.Missing = slices.Clone(p.Connections.Missing)
			return &c, nil
		}
	}
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.Name
	}
	return nil, fmt.Errorf("unknown scenario %q: use a preset (%s), a .yaml file, or presets joined with + (lm-failing-rest-401+at-capacity)", nameOrPath, strings.Join(names, ", "))
}

func (sc *Scenario) validate() error {
	switch sc.License.Kind {
	case "", "signed-key", "lef", "tokens":
	default:
		return fmt.Errorf("license.kind %q: use signed-key, lef or tokens", sc.License.Kind)
	}
	switch sc.QuarantineModel {
	case "", "lef", "signed-key":
	default:
		return fmt.Errorf("quarantineModel %q: use lef or signed-key", sc.QuarantineModel)
	}
	l := sc.License
	for _, c := range []struct {
		name  string
		fixed int
		more  []int
	}{{"professional", l.Professional, []int{l.ProfessionalFullDaysAgo, l.ProfessionalRunOutDays}},
		{"analyzer", l.Analyzer, []int{l.AnalyzerFullDaysAgo, l.AnalyzerRunOutDays}}} {
		set := 0
		for _, v := range append([]int{c.fixed}, c.more...) {
			if v < 0 {
				return fmt.Errorf("license.%s sizes must be 0 or more", c.name)
			}
			if v > 0 {
				set++
			}
		}
		if set > 1 {
			return fmt.Errorf("license: set only one of %s, %sFullDaysAgo and %sRunOutDays (each sizes the %s total)", c.name, c.name, c.name, c.name)
		}
	}
	if l.AnalyzerMinutesShare < 0 || l.AnalyzerMinutes < 0 {
		return errors.New("license.analyzerMinutes and license.analyzerMinutesShare must be 0 or more")
	}
	if l.AnalyzerOverage && l.Kind != "" && l.Kind != "signed-key" {
		return fmt.Errorf("license.analyzerOverage needs a signed-key license (analyzer capacity is sold only with signed keys), not %q", l.Kind)
	}
	if rd := l.Reduction; rd.DaysAgo < 0 || rd.ProfessionalPercent < 0 || rd.ProfessionalPercent > 90 || rd.AnalyzerPercent < 0 || rd.AnalyzerPercent > 90 {
		return errors.New("license.reduction: daysAgo must be 0 or more and the percentages between 0 and 90")
	}
	if sc.DormantPercent < 0 || sc.DormantPercent > 100 {
		return fmt.Errorf("dormantPercent %d: give a percentage between 0 and 100 (0 keeps the default 8)", sc.DormantPercent)
	}
	if d := sc.Demand; d.PatienceDays < 0 || d.RetryShare < 0 || d.RetryShare > 1 {
		return errors.New("demand: patienceDays must be 0 or more and retryShare between 0 and 1")
	}
	switch sc.Connections.Auth {
	case "", "ntlm", "certificate", "jwt":
	default:
		return fmt.Errorf("connections.auth %q: use ntlm, certificate or jwt", sc.Connections.Auth)
	}
	if err := validateFaults(sc.Faults); err != nil {
		return err
	}
	for i, t := range sc.Tasks {
		if t.Failure != "" && !slices.Contains(FailureKinds(), t.Failure) {
			return fmt.Errorf("tasks[%d].failure %q: use one of %s", i, t.Failure, strings.Join(FailureKinds(), ", "))
		}
		if t.ScriptLog != "" {
			if _, err := os.Stat(t.ScriptLog); err != nil {
				return fmt.Errorf("tasks[%d].scriptLog: %w", i, err)
			}
		}
	}
	return nil
}
