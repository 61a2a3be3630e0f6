// Package config loads and validates licmon's YAML configuration: the Qlik
// Sense sites to watch and how to reach them, plus the settings of the
// commands that run against them.
//
// Loading follows the exporter convention: defaults, then a strict decode
// (an unknown key is an error that names its line), then ${ENV} expansion and
// *_file secrets, then validation with field-specific errors.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/qrs"
	"go.yaml.in/yaml/v3"
)

// Auth modes of a site. Certificate is the QRS on port 4242 with the client
// certificate exported from the QMC; the other two go through a virtual proxy
// for sites where 4242 is closed.
const (
	AuthCertificate = "certificate"
	AuthJWT         = "jwt"
	AuthHeader      = "header"
)

// DefaultUser is the identity sent in X-Qlik-User when none is configured.
const DefaultUser = `INTERNAL\sa_api`

// DefaultTask is the name of the License Monitor's reload task in the QMC.
const DefaultTask = "Reload License Monitor"

// Config is the whole configuration file.
type Config struct {
	// DB is the path of the history store (an SQLite file), or a
	// postgres:// DSN; empty means the OS default.
	DB string `yaml:"db,omitempty"`
	// DBPasswordFile is a file holding the PostgreSQL password (one line).
	// Loading passes it to the store as the DSN's password_file parameter,
	// so the password is read only when the store opens.
	DBPasswordFile string `yaml:"db_password_file,omitempty"`
	// Sites are the Qlik Sense sites licmon watches, for example dev, test and prod.
	Sites []Site `yaml:"sites,omitempty"`
	// Check holds the defaults of `licmon check`.
	Check Check `yaml:"check,omitempty"`
	// Serve, Schedule, Alerts and Channels configure `licmon serve` (serve.go).
	Serve    Serve    `yaml:"serve,omitempty"`
	Schedule Schedule `yaml:"schedule,omitempty"`
	Alerts   Alerts   `yaml:"alerts,omitempty"`
	Channels Channels `yaml:"channels,omitempty"`
	// Reclaim is the reclaim policy and Report the report's defaults (reclaim.go).
	Reclaim Reclaim `yaml:"reclaim,omitempty"`
	Report  Report  `yaml:"report,omitempty"`

	// path is the file the config came from, for messages.
	path string
	// doc is the file as YAML nodes: which keys it sets.
	doc *yaml.Node
}

// Site is one Qlik Sense site and how to reach its Repository Service.
type Site struct {
	Name string `yaml:"name,omitempty"`
	// Server is the QRS base URL: https://host:4242 for certificates, or
	// https://host/prefix through a virtual proxy.
	Server string `yaml:"server,omitempty"`
	// CertDir holds client.pem, client_key.pem and root.pem as the QMC exports them.
	CertDir string `yaml:"cert_dir,omitempty"`
	Cert    string `yaml:"cert,omitempty"`
	Key     string `yaml:"key,omitempty"`
	CA      string `yaml:"ca,omitempty"`
	// User is DIRECTORY\userid, sent as X-Qlik-User with certificates.
	User string `yaml:"user,omitempty"`
	Auth string `yaml:"auth,omitempty"`
	// JWT is the bearer token for a JWT virtual proxy.
	JWT     string `yaml:"jwt,omitempty"`
	JWTFile string `yaml:"jwt_file,omitempty"`
	// HeaderName and HeaderValue configure a header-authentication virtual proxy.
	HeaderName      string `yaml:"header_name,omitempty"`
	HeaderValue     string `yaml:"header_value,omitempty"`
	HeaderValueFile string `yaml:"header_value_file,omitempty"`
	// Insecure skips TLS verification of the server. Opt-in only.
	Insecure bool `yaml:"insecure,omitempty"`
	// ServerName overrides the name the server certificate is verified against.
	ServerName string   `yaml:"server_name,omitempty"`
	Timeout    Duration `yaml:"timeout,omitempty"`
	// Task overrides check.task for this site.
	Task string `yaml:"task,omitempty"`
	// MaxScriptLogMB bounds a script-log download in MiB (default 512).
	MaxScriptLogMB int64 `yaml:"max_script_log_mb,omitempty"`
	// Logs are folders or .zip files of the site's Qlik Sense logs (the
	// ArchivedLogs share, a node's Log folder) that serve imports on a
	// schedule (schedule.logs_every), as licmon logs import does.
	Logs []string `yaml:"logs,omitempty"`
	// Labels (env: prod, region: emea) let serve.sites split a large
	// fleet across serve instances (ha.go).
	Labels map[string]string `yaml:"labels,omitempty"`
}

// DisplayServer is Server for output: a password written into the URL
// (https://user:password@host) is replaced by "xxxxx".
func (s *Site) DisplayServer() string { return qrs.RedactURL(s.Server) }

// Check holds the defaults of `licmon check`.
type Check struct {
	// Task is the reload task of the License Monitor.
	Task string `yaml:"task,omitempty"`
	// MaxAge is the oldest acceptable License Monitor reload; zero derives it
	// from the task's trigger (two intervals).
	MaxAge Duration `yaml:"max_age,omitempty"`
	// AllMonitoringApps also checks Operations Monitor and the other monitoring apps.
	AllMonitoringApps bool `yaml:"all_monitoring_apps,omitempty"`
	// LicenseWarnDays warns when the site license ends within this many days.
	LicenseWarnDays int `yaml:"license_warn_days,omitempty"`
	// SaveLogs is a folder where downloaded script logs are kept.
	SaveLogs string `yaml:"save_logs,omitempty"`
}

// Duration is a time.Duration that reads "90m", "2h" or "1d" from YAML.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) {
	if d == 0 {
		return "", nil
	}
	return time.Duration(d).String(), nil
}

// ParseDuration accepts Go durations plus whole days ("7d"), which admins use
// for ages and horizons.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err == nil && n >= 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q: use forms like 90s, 30m, 2h or 7d", s)
	}
	return d, nil
}

// Default returns the configuration used when there is no file.
func Default() *Config {
	return &Config{Check: Check{Task: DefaultTask, LicenseWarnDays: 30}}
}

// DefaultPath is where licmon looks for its config when --config is not
// given: $LICMON_CONFIG, else licmon.yaml in the OS config directory
// (%AppData%\licmon on Windows, ~/.config/licmon on Linux).
func DefaultPath() string {
	if p := os.Getenv("LICMON_CONFIG"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "licmon.yaml"
	}
	return filepath.Join(dir, "licmon", "licmon.yaml")
}

// Path is the file the configuration was read from ("" when defaults only).
func (c *Config) Path() string { return c.path }

// Load reads and validates the file at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config file %s does not exist: create it (see README, Configuration) or pass connection flags such as --server and --cert-dir", path)
		}
		return nil, fmt.Errorf("open config: %w", err)
	}
	defer f.Close()
	c, err := Parse(f, filepath.Dir(path), os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c.path = path
	return c, nil
}

// Parse decodes, expands and validates a configuration. baseDir resolves
// relative *_file and certificate paths; lookupEnv resolves ${VAR}.
func Parse(r io.Reader, baseDir string, lookupEnv func(string) (string, bool)) (*Config, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	c := Default()
	// Unknown keys first, with their line and the keys allowed there, all
	// at once; then the decoder, whose known-fields check stays as the net
	// for what the walk does not see.
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(raw)).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if bad := unknownKeys(&doc, reflect.TypeOf(c)); len(bad) > 0 {
		return nil, errors.New(strings.Join(bad, "; "))
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if err := c.expand(baseDir, lookupEnv); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.doc = &doc
	return c, nil
}

// AuthMode returns the auth mode, certificate by default.
func (s *Site) AuthMode() string {
	if s.Auth == "" {
		return AuthCertificate
	}
	return strings.ToLower(s.Auth)
}

// UserOrDefault returns the configured user or INTERNAL\sa_api.
func (s *Site) UserOrDefault() string {
	if s.User == "" {
		return DefaultUser
	}
	return s.User
}

// Files returns the client certificate, key and CA paths, filling them from
// CertDir with the QMC export names when not set one by one.
func (s *Site) Files() (cert, key, ca string) {
	cert, key, ca = s.Cert, s.Key, s.CA
	if s.CertDir != "" {
		if cert == "" {
			cert = filepath.Join(s.CertDir, "client.pem")
		}
		if key == "" {
			key = filepath.Join(s.CertDir, "client_key.pem")
		}
		if ca == "" {
			ca = filepath.Join(s.CertDir, "root.pem")
		}
	}
	return cert, key, ca
}

// SplitUser splits DIRECTORY\userid.
func SplitUser(u string) (dir, id string, err error) {
	dir, id, ok := strings.Cut(u, `\`)
	if !ok || dir == "" || id == "" {
		return "", "", fmt.Errorf(`user %q must be DIRECTORY\userid, e.g. INTERNAL\sa_api`, u)
	}
	return dir, id, nil
}

// Site returns the site with that name (case-insensitive).
func (c *Config) Site(name string) (*Site, error) {
	for i := range c.Sites {
		if strings.EqualFold(c.Sites[i].Name, name) {
			return &c.Sites[i], nil
		}
	}
	return nil, fmt.Errorf("no site named %q in %s (sites: %s)", name, c.pathOrDefault(), strings.Join(c.SiteNames(), ", "))
}

// SiteNames lists the configured site names.
func (c *Config) SiteNames() []string {
	names := make([]string, len(c.Sites))
	for i, s := range c.Sites {
		names[i] = s.Name
	}
	return names
}

func (c *Config) pathOrDefault() string {
	if c.path == "" {
		return "the configuration"
	}
	return c.path
}

// TaskFor returns the License Monitor task name for a site.
func (c *Config) TaskFor(s *Site) string {
	if s != nil && s.Task != "" {
		return s.Task
	}
	if c.Check.Task != "" {
		return c.Check.Task
	}
	return DefaultTask
}
