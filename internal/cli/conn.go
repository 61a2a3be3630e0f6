package cli

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/config"
)

// connFlags are the flags every command that talks to a site shares: the
// config file and site selection, and every site setting for one-off use.
type connFlags struct {
	fs         *flag.FlagSet
	configPath string
	site       string
	allSites   bool

	server, certDir, cert, key, ca, user, auth string
	jwtFile, headerName, headerValueFile       string
	serverName                                 string
	insecure                                   bool
	timeout                                    time.Duration
	// userFlag renames --user for commands where --user means something
	// else (repair: the connection's user); empty means "user".
	userFlag string
}

func (c *connFlags) userFlagName() string {
	if c.userFlag != "" {
		return c.userFlag
	}
	return "user"
}

const connUsage = `
Connection (from the config file, or flags for one-off use):
  --config FILE      configuration (default: $LICMON_CONFIG or licmon.yaml in the OS config dir)
  --site NAME        a site of the config file
  --server URL       QRS URL, e.g. https://qlik.example.com:4242
  --cert-dir DIR     folder with client.pem, client_key.pem and root.pem as the QMC exports them
  --user DIR\ID      X-Qlik-User identity (default INTERNAL\sa_api)
`

func (c *connFlags) register(fs *flag.FlagSet, allSites bool) {
	c.fs = fs
	fs.StringVar(&c.configPath, "config", "", "configuration `file` (default $LICMON_CONFIG or licmon.yaml in the OS config dir)")
	fs.StringVar(&c.site, "site", "", "site `name` from the config file")
	if allSites {
		fs.BoolVar(&c.allSites, "all-sites", false, "every site of the config file")
	}
	fs.StringVar(&c.server, "server", "", "QRS base `URL`, e.g. https://qlik.example.com:4242 (or https://host/prefix through a virtual proxy)")
	fs.StringVar(&c.certDir, "cert-dir", "", "`folder` holding client.pem, client_key.pem and root.pem exported from the QMC")
	fs.StringVar(&c.cert, "cert", "", "client certificate `file` (default CERT-DIR/client.pem)")
	fs.StringVar(&c.key, "key", "", "client key `file` (default CERT-DIR/client_key.pem)")
	fs.StringVar(&c.ca, "ca", "", "root CA `file` the server is verified against (default CERT-DIR/root.pem)")
	fs.StringVar(&c.user, c.userFlagName(), "", `X-Qlik-User identity as DIRECTORY\userid (default INTERNAL\sa_api)`)
	fs.StringVar(&c.auth, "auth", "", "`mode`: certificate (default), jwt or header (through a virtual proxy)")
	fs.StringVar(&c.jwtFile, "jwt-file", "", "`file` holding the JWT for --auth jwt")
	fs.StringVar(&c.headerName, "header-name", "", "header `name` for --auth header, e.g. hdr-usr")
	fs.StringVar(&c.headerValueFile, "header-value-file", "", "`file` holding the header value (DIR\\user) for --auth header")
	fs.StringVar(&c.serverName, "server-name", "", "`name` to verify the server certificate against when it differs from the URL host")
	fs.BoolVar(&c.insecure, "insecure", false, "skip verification of the server certificate (testing only; prints a warning)")
	fs.DurationVar(&c.timeout, "timeout", 0, "longest silence of one QRS request (default 30s); a check of a site ends at 4x, a collection at 20x")
}

func (c *connFlags) set(name string) bool {
	found := false
	c.fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			found = true
		}
	})
	return found
}

// loadConfig reads --config, or the default file when it exists.
func (c *connFlags) loadConfig() (*config.Config, error) {
	return loadConfigFile(c.configPath)
}

func loadConfigFile(path string) (*config.Config, error) {
	if path != "" {
		return config.Load(path)
	}
	def := config.DefaultPath()
	if _, err := os.Stat(def); err == nil {
		return config.Load(def)
	}
	return config.Default(), nil
}

// oneSite resolves the one site a command that changes a site works on
// (repair, reclaim): several would multiply what one confirmation covers.
func (c *connFlags) oneSite(e *env, command string) (*config.Config, *config.Site, error) {
	cfg, sites, err := c.resolve(e)
	if err != nil {
		return nil, nil, err
	}
	if len(sites) != 1 {
		return nil, nil, fmt.Errorf("%s works on one site at a time: pass --site NAME", command)
	}
	return cfg, &sites[0], nil
}

// resolve returns the configuration and the sites to work on.
func (c *connFlags) resolve(e *env) (*config.Config, []config.Site, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	var sites []config.Site
	switch {
	case c.server != "":
		s := config.Site{Name: c.site, Server: c.server}
		if s.Name == "" {
			s.Name = hostName(c.server)
		}
		if base, err := cfg.Site(s.Name); err == nil && c.site != "" {
			s = *base
			s.Server = c.server
		}
		sites = []config.Site{s}
	case c.site != "":
		s, err := cfg.Site(c.site)
		if err != nil {
			return nil, nil, err
		}
		sites = []config.Site{*s}
	case c.allSites:
		if len(cfg.Sites) == 0 {
			where := "the configuration"
			if cfg.Path() != "" {
				where = cfg.Path()
			}
			return nil, nil, fmt.Errorf("no sites in %s: add sites to it (see 'licmon config -h') or pass --server https://host:4242 --cert-dir DIR", where)
		}
		sites = append(sites, cfg.Sites...)
	case len(cfg.Sites) == 1:
		sites = []config.Site{cfg.Sites[0]}
	case len(cfg.Sites) == 0:
		return nil, nil, errors.New("no site to connect to: pass --server https://host:4242 --cert-dir DIR, or add sites to the config file (see 'licmon config -h')")
	default:
		hint := "--site NAME"
		if c.fs.Lookup("all-sites") != nil {
			hint += " or --all-sites"
		}
		return nil, nil, fmt.Errorf("the config has several sites (%s): pass %s", strings.Join(cfg.SiteNames(), ", "), hint)
	}
	for i := range sites {
		if err := c.override(&sites[i]); err != nil {
			return nil, nil, err
		}
		if err := sites[i].Validate(); err != nil {
			return nil, nil, fmt.Errorf("site %s: %w", sites[i].Name, err)
		}
		if sites[i].Insecure {
			e.log.Warn("TLS verification of the server is OFF (--insecure): anyone on the path can impersonate the QRS", "site", sites[i].Name)
		}
	}
	return cfg, sites, nil
}

// override applies the connection flags that were given on top of a site.
func (c *connFlags) override(s *config.Site) error {
	str := func(flagName string, v string, dst *string) {
		if c.set(flagName) {
			*dst = v
		}
	}
	str("cert-dir", c.certDir, &s.CertDir)
	str("cert", c.cert, &s.Cert)
	str("key", c.key, &s.Key)
	str("ca", c.ca, &s.CA)
	str(c.userFlagName(), c.user, &s.User)
	str("auth", c.auth, &s.Auth)
	str("header-name", c.headerName, &s.HeaderName)
	str("server-name", c.serverName, &s.ServerName)
	if c.set("insecure") {
		s.Insecure = c.insecure
	}
	if c.set("timeout") {
		if c.timeout <= 0 {
			return fmt.Errorf("--timeout %s: must be a positive duration such as 30s or 2m (how long one QRS request may take)", c.timeout)
		}
		s.Timeout = config.Duration(c.timeout)
	}
	if c.jwtFile != "" {
		b, err := os.ReadFile(c.jwtFile)
		if err != nil {
			return fmt.Errorf("--jwt-file: %w", err)
		}
		s.JWT = strings.TrimSpace(string(b))
	}
	if c.headerValueFile != "" {
		b, err := os.ReadFile(c.headerValueFile)
		if err != nil {
			return fmt.Errorf("--header-value-file: %w", err)
		}
		s.HeaderValue = strings.TrimSpace(string(b))
	}
	return nil
}

func hostName(server string) string {
	u, err := url.Parse(server)
	if err != nil || u.Hostname() == "" {
		return "site"
	}
	return u.Hostname()
}

func configDefaultHint() string { return "looked for " + config.DefaultPath() }
