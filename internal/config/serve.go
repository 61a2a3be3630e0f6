package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/alert/rules"
	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/email"
	"github.com/licmon/licmon/internal/notify/slack"
	"github.com/licmon/licmon/internal/notify/teams"
	"github.com/licmon/licmon/internal/notify/webhook"
)

// Defaults of the serve, schedule and alerts sections. They live in
// accessors rather than in Default() so that an absent section and an
// empty one mean the same thing.
const (
	DefaultListen         = "127.0.0.1:8080"
	DefaultCheckEvery     = 5 * time.Minute
	DefaultCollectAt      = "02:00"
	DefaultResendInterval = 4 * time.Hour
	DefaultReadyTimeout   = 2 * time.Minute
	DefaultLogHeadLines   = 10
	DefaultLogTailLines   = 30
)

// Serve configures `licmon serve`: the HTTP listener of the dashboard, API
// and /metrics.
type Serve struct {
	// Listen is host:port (default 127.0.0.1:8080). Binding beyond loopback
	// without auth logs a warning at start.
	Listen string `yaml:"listen,omitempty"`
	// ExternalURL is how users reach the dashboard (e.g.
	// https://licmon.example.com); alerts link to ExternalURL/sites/{site}.
	ExternalURL string `yaml:"external_url,omitempty"`
	// ReadyTimeout bounds how long /-/ready waits for the first check of
	// every site before it reports ready anyway (default 2m).
	ReadyTimeout Duration `yaml:"ready_timeout,omitempty"`
	// TLSCertFile and TLSKeyFile serve HTTPS instead of HTTP.
	TLSCertFile string `yaml:"tls_cert_file,omitempty"`
	TLSKeyFile  string `yaml:"tls_key_file,omitempty"`
	// Auth protects every endpoint except /-/healthy and /-/ready.
	Auth ServeAuth `yaml:"auth,omitempty"`
	// AlertState is the JSON file that keeps alert state across restarts
	// (default: the store path + ".alerts.json").
	AlertState string `yaml:"alert_state,omitempty"`
	// MaxHeavyRequests bounds the whole-report answers (the report,
	// licenses, forecast and candidates API, the CSV downloads) sent at
	// once; more wait a second, then get 503 (default 4; read at start).
	MaxHeavyRequests int `yaml:"max_heavy_requests,omitempty"`
	// MaxCollections bounds the collections running at once across sites,
	// each with the report model rebuilt after it; the others wait their
	// turn. It bounds serve's memory while large sites collect; checks
	// never wait for it (default 1; read at start).
	MaxCollections int `yaml:"max_collections,omitempty"`
	// Instance, LeaderPoll and Sites run several serve instances on one
	// PostgreSQL store (ha.go).
	Instance   string       `yaml:"instance,omitempty"`
	LeaderPoll Duration     `yaml:"leader_poll,omitempty"`
	Sites      SiteSelector `yaml:"sites,omitempty"`
}

// ServeAuth is the optional authentication of the HTTP endpoints: a bearer
// token, or basic auth, or both (either is then accepted).
type ServeAuth struct {
	BearerToken     string `yaml:"bearer_token,omitempty"`
	BearerTokenFile string `yaml:"bearer_token_file,omitempty"`
	Username        string `yaml:"username,omitempty"`
	Password        string `yaml:"password,omitempty"`
	PasswordFile    string `yaml:"password_file,omitempty"`
}

// Enabled reports whether any authentication is configured.
func (a ServeAuth) Enabled() bool { return a.BearerToken != "" || a.Username != "" }

// Schedule configures when `licmon serve` runs check and collect.
type Schedule struct {
	// CheckEvery is the check interval (default 5m).
	CheckEvery Duration `yaml:"check_every,omitempty"`
	// CheckJitter delays each check by a random amount up to this (default
	// a tenth of CheckEvery), so many sites are not hit at the same second.
	CheckJitter Duration `yaml:"check_jitter,omitempty"`
	// CheckTimeout bounds one check (default CheckEvery).
	CheckTimeout Duration `yaml:"check_timeout,omitempty"`
	// CollectAt is the local time of the daily collection, "HH:MM" (default 02:00).
	CollectAt string `yaml:"collect_at,omitempty"`
	// CollectJitter delays the daily collection by up to this (default 10m).
	CollectJitter Duration `yaml:"collect_jitter,omitempty"`
	// CollectTimeout bounds one collection (default 1h).
	CollectTimeout Duration `yaml:"collect_timeout,omitempty"`
	// Timezone is the IANA zone of CollectAt (default the machine's local zone).
	Timezone string `yaml:"timezone,omitempty"`
	// LogsEvery is how often the logs of sites with `logs:` folders are
	// imported (default 15m; only new or grown files are read).
	LogsEvery Duration `yaml:"logs_every,omitempty"`
}

// DefaultLogsEvery is the default interval of the scheduled log import.
const DefaultLogsEvery = 15 * time.Minute

// LogsInterval returns LogsEvery or its default.
func (s Schedule) LogsInterval() time.Duration {
	if s.LogsEvery > 0 {
		return time.Duration(s.LogsEvery)
	}
	return DefaultLogsEvery
}

// CheckInterval returns CheckEvery or its default.
func (s Schedule) CheckInterval() time.Duration {
	if s.CheckEvery > 0 {
		return time.Duration(s.CheckEvery)
	}
	return DefaultCheckEvery
}

// CheckJitterOrDefault returns CheckJitter or a tenth of the interval.
func (s Schedule) CheckJitterOrDefault() time.Duration {
	if s.CheckJitter > 0 {
		return time.Duration(s.CheckJitter)
	}
	return s.CheckInterval() / 10
}

// CheckTimeoutOrDefault returns CheckTimeout or the check interval.
func (s Schedule) CheckTimeoutOrDefault() time.Duration {
	if s.CheckTimeout > 0 {
		return time.Duration(s.CheckTimeout)
	}
	return s.CheckInterval()
}

// CollectJitterOrDefault returns CollectJitter or 10 minutes.
func (s Schedule) CollectJitterOrDefault() time.Duration {
	if s.CollectJitter > 0 {
		return time.Duration(s.CollectJitter)
	}
	return 10 * time.Minute
}

// CollectTimeoutOrDefault returns CollectTimeout or one hour.
func (s Schedule) CollectTimeoutOrDefault() time.Duration {
	if s.CollectTimeout > 0 {
		return time.Duration(s.CollectTimeout)
	}
	return time.Hour
}

// CollectTime returns the hour and minute of the daily collection.
func (s Schedule) CollectTime() (hour, minute int, err error) {
	at := s.CollectAt
	if at == "" {
		at = DefaultCollectAt
	}
	h, m, ok := strings.Cut(at, ":")
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return 0, 0, fmt.Errorf("collect_at %q must be a 24-hour time HH:MM, e.g. 02:00", at)
	}
	return hour, minute, nil
}

// Location returns the zone of CollectAt.
func (s Schedule) Location() (*time.Location, error) {
	if s.Timezone == "" || strings.EqualFold(s.Timezone, "local") {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return nil, fmt.Errorf("timezone %q is not an IANA zone such as Europe/Paris: %w", s.Timezone, err)
	}
	return loc, nil
}

// Alerts configures the alert rules of `licmon serve` and where alerts go.
type Alerts struct {
	// ResendInterval repeats a firing alert this often (default 4h).
	ResendInterval Duration `yaml:"resend_interval,omitempty"`
	// SendResolved sends a notice when the condition clears (default true).
	SendResolved *bool `yaml:"send_resolved,omitempty"`
	// LogHeadLines and LogTailLines are how many first and last lines of a
	// failing script log an alert quotes (defaults 10 and 30; -1 for none).
	LogHeadLines int `yaml:"log_head_lines,omitempty"`
	LogTailLines int `yaml:"log_tail_lines,omitempty"`
	// Channels are the channel names rules send to when a rule names none
	// (default: every channel).
	Channels []string    `yaml:"channels,omitempty"`
	Rules    rules.Rules `yaml:"rules,omitempty"`
}

// ResendOrDefault returns ResendInterval or 4h.
func (a Alerts) ResendOrDefault() time.Duration {
	if a.ResendInterval > 0 {
		return time.Duration(a.ResendInterval)
	}
	return DefaultResendInterval
}

// Resolved reports whether resolved notices are sent.
func (a Alerts) Resolved() bool { return a.SendResolved == nil || *a.SendResolved }

// RulesConfig is what the alert rules are evaluated with: the rules and
// the script-log lines, defaults applied.
func (a Alerts) RulesConfig() rules.Config {
	head, tail := a.LogLines()
	return rules.Config{Rules: a.Rules, LogHead: head, LogTail: tail}
}

// LogLines returns the head and tail line counts with defaults applied.
func (a Alerts) LogLines() (head, tail int) {
	head, tail = a.LogHeadLines, a.LogTailLines
	if head == 0 {
		head = DefaultLogHeadLines
	}
	if tail == 0 {
		tail = DefaultLogTailLines
	}
	return max(head, 0), max(tail, 0)
}

// Channels are the alert receivers, by kind. Every channel has a name
// (default: its kind) that rules and `licmon alert test` refer to.
type Channels struct {
	Webhook []webhook.Config `yaml:"webhook,omitempty"`
	Slack   []slack.Config   `yaml:"slack,omitempty"`
	Teams   []teams.Config   `yaml:"teams,omitempty"`
	Email   []email.Config   `yaml:"email,omitempty"`
	// Retry bounds the delivery retries of every channel.
	Retry notify.RetryPolicy `yaml:"retry,omitempty"`
}

// Names lists the channel names in config order (webhook, slack, teams, email).
func (c Channels) Names() []string {
	var out []string
	for _, w := range c.Webhook {
		out = append(out, nameOr(w.Name, "webhook"))
	}
	for _, s := range c.Slack {
		out = append(out, nameOr(s.Name, "slack"))
	}
	for _, t := range c.Teams {
		out = append(out, nameOr(t.Name, "teams"))
	}
	for _, e := range c.Email {
		out = append(out, nameOr(e.Name, "email"))
	}
	return out
}

func nameOr(n, def string) string {
	if n == "" {
		return def
	}
	return n
}

func (c *Config) expandServe(baseDir string, lookupEnv func(string) (string, bool)) error {
	var err error
	str := func(field string, p *string) {
		if err == nil {
			*p, err = expandEnv(field, *p, lookupEnv)
		}
	}
	path := func(field string, p *string) {
		str(field, p)
		if err == nil && *p != "" && !isAbs(*p) && baseDir != "" {
			*p = joinPath(baseDir, *p)
		}
	}
	str("serve.listen", &c.Serve.Listen)
	str("serve.external_url", &c.Serve.ExternalURL)
	str("serve.instance", &c.Serve.Instance)
	path("serve.tls_cert_file", &c.Serve.TLSCertFile)
	path("serve.tls_key_file", &c.Serve.TLSKeyFile)
	path("serve.alert_state", &c.Serve.AlertState)
	a := &c.Serve.Auth
	str("serve.auth.bearer_token", &a.BearerToken)
	path("serve.auth.bearer_token_file", &a.BearerTokenFile)
	str("serve.auth.username", &a.Username)
	str("serve.auth.password", &a.Password)
	path("serve.auth.password_file", &a.PasswordFile)
	if err != nil {
		return err
	}
	if err := readSecretFile("serve.auth.bearer_token_file", a.BearerTokenFile, &a.BearerToken); err != nil {
		return err
	}
	if err := readSecretFile("serve.auth.password_file", a.PasswordFile, &a.Password); err != nil {
		return err
	}
	ch := &c.Channels
	for i := range ch.Webhook {
		w := &ch.Webhook[i]
		f := fmt.Sprintf("channels.webhook[%d].", i)
		str(f+"url", &w.URL)
		path(f+"url_file", &w.URLFile)
		str(f+"secret", &w.Secret)
		path(f+"secret_file", &w.SecretFile)
		for k, v := range w.Headers {
			str(f+"headers."+k, &v)
			w.Headers[k] = v
		}
		for k, v := range w.HeaderFiles {
			path(f+"header_files."+k, &v)
			w.HeaderFiles[k] = v
		}
	}
	for i := range ch.Slack {
		s := &ch.Slack[i]
		str(fmt.Sprintf("channels.slack[%d].url", i), &s.URL)
		path(fmt.Sprintf("channels.slack[%d].url_file", i), &s.URLFile)
	}
	for i := range ch.Teams {
		t := &ch.Teams[i]
		str(fmt.Sprintf("channels.teams[%d].url", i), &t.URL)
		path(fmt.Sprintf("channels.teams[%d].url_file", i), &t.URLFile)
	}
	for i := range ch.Email {
		e := &ch.Email[i]
		f := fmt.Sprintf("channels.email[%d].", i)
		str(f+"host", &e.Host)
		str(f+"username", &e.Username)
		str(f+"password", &e.Password)
		path(f+"password_file", &e.PasswordFile)
		str(f+"from", &e.From)
		path(f+"ca_file", &e.CAFile)
		for j := range e.To {
			str(f+"to", &e.To[j])
		}
	}
	return err
}

var severities = map[string]bool{notify.SeverityCritical: true, notify.SeverityWarning: true}

func (c *Config) validateServe() []error {
	var errs []error
	bad := func(field string, err error) { errs = append(errs, &ValidationError{field, err}) }
	s := c.Serve
	if s.Listen != "" {
		if err := CheckListen(s.Listen); err != nil {
			bad("serve.listen", err)
		}
	}
	if s.ExternalURL != "" {
		if u, err := url.Parse(s.ExternalURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("serve.external_url", fmt.Errorf("%q must be an http(s) URL such as https://licmon.example.com", s.ExternalURL))
		}
	}
	if (s.TLSCertFile == "") != (s.TLSKeyFile == "") {
		bad("serve.tls_cert_file", errors.New("set both tls_cert_file and tls_key_file, or neither"))
	}
	if a := s.Auth; (a.Username == "") != (a.Password == "") {
		bad("serve.auth", errors.New("basic auth needs both username and password (or password_file)"))
	}
	if s.MaxHeavyRequests < 0 || s.MaxHeavyRequests > 256 {
		bad("serve.max_heavy_requests", fmt.Errorf("%d must be within 1–256 (0 or absent: the default 4)", s.MaxHeavyRequests))
	}
	if s.MaxCollections < 0 || s.MaxCollections > 64 {
		bad("serve.max_collections", fmt.Errorf("%d must be within 1–64 (0 or absent: the default 1, one collection at a time)", s.MaxCollections))
	}
	if strings.Contains(s.Auth.Username, ":") {
		bad("serve.auth.username", errors.New("must not contain ':'"))
	}
	sc := c.Schedule
	if sc.LogsEvery != 0 && time.Duration(sc.LogsEvery) < time.Minute {
		bad("schedule.logs_every", errors.New("must be at least 1m: every import lists the log folders"))
	}
	if sc.CheckEvery != 0 && time.Duration(sc.CheckEvery) < 30*time.Second {
		bad("schedule.check_every", errors.New("must be at least 30s: every check reads the QRS"))
	}
	if sc.CheckJitter != 0 && time.Duration(sc.CheckJitter) >= sc.CheckInterval() {
		bad("schedule.check_jitter", errors.New("must be shorter than check_every"))
	}
	if sc.CollectJitter != 0 && time.Duration(sc.CollectJitter) >= 12*time.Hour {
		bad("schedule.collect_jitter", errors.New("must be shorter than 12h"))
	}
	if _, _, err := sc.CollectTime(); err != nil {
		bad("schedule.collect_at", err)
	}
	if _, err := sc.Location(); err != nil {
		bad("schedule.timezone", err)
	}
	names := map[string]bool{}
	for _, n := range c.Channels.Names() {
		if names[strings.ToLower(n)] {
			bad("channels", fmt.Errorf("two channels are named %q: give each a distinct name", n))
		}
		names[strings.ToLower(n)] = true
	}
	checkChannels := func(field string, list []string) {
		for _, n := range list {
			if !names[strings.ToLower(n)] {
				bad(field, fmt.Errorf("channel %q is not defined under channels (defined: %s)", n, strings.Join(c.Channels.Names(), ", ")))
			}
		}
	}
	checkChannels("alerts.channels", c.Alerts.Channels)
	r := c.Alerts.Rules
	for _, x := range []struct {
		name string
		rule rules.Rule
	}{{"task_failed", r.TaskFailed}, {"stale", r.Stale}, {"qrs_unreachable", r.QRSUnreachable},
		{"available_below", r.AvailableBelow.Rule}, {"runout_within", r.RunOutWithin.Rule}, {"license_end_within", r.LicenseEndWithin.Rule}} {
		if x.rule.Severity != "" && !severities[strings.ToLower(x.rule.Severity)] {
			bad("alerts.rules."+x.name+".severity", fmt.Errorf("%q is not critical or warning", x.rule.Severity))
		}
		checkChannels("alerts.rules."+x.name+".channels", x.rule.Channels)
	}
	ab := r.AvailableBelow
	if ab.Count < 0 || ab.Percent < 0 || ab.Percent > 100 {
		bad("alerts.rules.available_below", errors.New("count must be ≥ 0 and percent within 0–100"))
	}
	for typ, th := range ab.Types {
		if !validType(typ) {
			bad("alerts.rules.available_below.types", fmt.Errorf("%q is not a license type (professional, analyzer, analyzer-capacity, user-access, login-access)", typ))
		}
		if th.Count < 0 || th.Percent < 0 || th.Percent > 100 {
			bad("alerts.rules.available_below.types."+typ, errors.New("count must be ≥ 0 and percent within 0–100"))
		}
	}
	if r.RunOutWithin.Days < 0 || r.LicenseEndWithin.Days < 0 {
		bad("alerts.rules", errors.New("days must be ≥ 0"))
	}
	if c.Alerts.LogHeadLines < -1 || c.Alerts.LogTailLines < -1 || c.Alerts.LogHeadLines > 500 || c.Alerts.LogTailLines > 500 {
		bad("alerts.log_head_lines", errors.New("log_head_lines and log_tail_lines must be within -1–500"))
	}
	return errs
}

// CheckListen checks a listen address (serve.listen, --listen) before it is
// bound, so a typo is not reported as a port in use.
func CheckListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q must be host:port, e.g. 127.0.0.1:8080 or :8080", addr)
	}
	if n, err := strconv.Atoi(port); err == nil && (n < 0 || n > 65535) {
		return fmt.Errorf("%q: port %d is out of range: use a port from 1 to 65535 (0 picks any free port)", addr, n)
	}
	return nil
}

// validType mirrors license.Type values without importing license into config.
func validType(t string) bool {
	switch t {
	case "professional", "analyzer", "analyzer-capacity", "user-access", "login-access":
		return true
	}
	return false
}

// maskServe hides the secrets of the serve and channels sections.
func (m *Config) maskServe() {
	if m.Serve.Auth.BearerToken != "" {
		m.Serve.Auth.BearerToken = mask("")
	}
	if m.Serve.Auth.Password != "" {
		m.Serve.Auth.Password = mask("")
	}
	ch := m.Channels
	ch.Webhook = append([]webhook.Config(nil), ch.Webhook...)
	for i := range ch.Webhook {
		w := &ch.Webhook[i]
		if w.URL != "" {
			w.URL = notify.RedactURL(w.URL)
		}
		if w.Secret != "" {
			w.Secret = mask("")
		}
		if len(w.Headers) > 0 {
			h := map[string]string{}
			for k := range w.Headers {
				h[k] = mask("")
			}
			w.Headers = h
		}
	}
	ch.Slack = append([]slack.Config(nil), ch.Slack...)
	for i := range ch.Slack {
		if ch.Slack[i].URL != "" {
			ch.Slack[i].URL = notify.RedactURL(ch.Slack[i].URL)
		}
	}
	ch.Teams = append([]teams.Config(nil), ch.Teams...)
	for i := range ch.Teams {
		if ch.Teams[i].URL != "" {
			ch.Teams[i].URL = notify.RedactURL(ch.Teams[i].URL)
		}
	}
	ch.Email = append([]email.Config(nil), ch.Email...)
	for i := range ch.Email {
		if ch.Email[i].Password != "" {
			ch.Email[i].Password = mask("")
		}
	}
	m.Channels = ch
}

func isAbs(p string) bool         { return filepath.IsAbs(p) }
func joinPath(a, b string) string { return filepath.Join(a, b) }
