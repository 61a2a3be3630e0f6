package service

import (
	"fmt"
	"strings"
)

// StartingConfig is what `licmon init` and `licmon service install` found on
// this machine, to write a first configuration from.
type StartingConfig struct {
	// Site is the site's name; Server its QRS URL ("" when not found: the
	// site is then written commented out, to fill in).
	Site, Server string
	// CertDir is the folder of the QMC's PEM export ("" when not found).
	CertDir string
	// CertFrom says where CertDir came from, for the comment.
	CertFrom string
	// LogDir is Qlik's Log folder for scheduled log import ("" for none).
	LogDir string
	// DB and SaveLogs are set for the service layout; "" keeps licmon's
	// per-user defaults.
	DB, SaveLogs string
	// Listen is serve's address (default 127.0.0.1:8080).
	Listen string
	// CertDirHint is the example cert_dir of a site left to fill in
	// (default: a folder under Qlik's export folder on Windows).
	CertDirHint string
}

// YAML renders the configuration with comments that say what each setting
// is and where the value came from. Strings are single-quoted, so Windows
// paths and names with spaces need no escaping.
func (c StartingConfig) YAML() []byte {
	var b strings.Builder
	// Single quotes: a Windows path needs no escaping inside them.
	q := func(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# licmon configuration, written by licmon init.\n")
	w("# Check it with: licmon config check --config THIS-FILE\n")
	w("# Every key is described in 'licmon config -h' and the README.\n\n")
	if c.DB != "" {
		w("# History store (SQLite), next to this file for the service.\n")
		w("db: %s\n\n", q(c.DB))
	}
	w("check:\n")
	w("  task: %s   # the License Monitor's reload task in the QMC\n", q("Reload License Monitor"))
	if c.SaveLogs != "" {
		w("  save_logs: %s   # failed script logs are kept here\n", q(c.SaveLogs))
	}
	w("\nserve:\n")
	listen := c.Listen
	if listen == "" {
		listen = "127.0.0.1:8080"
	}
	w("  # Dashboard, API and /metrics. 127.0.0.1 is this machine only; to open it\n")
	w("  # to others, listen on :8080 and set serve.auth (see licmon serve -h).\n")
	w("  listen: %s\n\n", q(listen))
	name := c.Site
	if name == "" {
		name = "prod"
	}
	prefix := ""
	if c.Server == "" {
		prefix = "#"
		w("# No QRS was found on this machine: fill in the site and remove the '#'.\n")
	}
	w("sites:\n")
	w("%s  - name: %s\n", prefix, q(name))
	server := c.Server
	if server == "" {
		server = "https://qlik.example.com:4242"
	}
	w("%s    server: %s   # QRS, port 4242, certificate authentication\n", prefix, q(server))
	certDir := c.CertDir
	if certDir == "" {
		w("%s    # The QMC's certificate export (Certificates > Export, PEM, with the key):\n", prefix)
		certDir = c.CertDirHint
		if certDir == "" {
			certDir = `C:\ProgramData\Qlik\Sense\Repository\Exported Certificates\licmon`
		}
	} else if c.CertFrom != "" {
		w("%s    # %s\n", prefix, c.CertFrom)
	}
	w("%s    cert_dir: %s   # client.pem, client_key.pem, root.pem\n", prefix, q(certDir))
	w("%s    user: %s\n", prefix, q(`INTERNAL\sa_api`))
	if c.LogDir != "" {
		w("%s    # Qlik's log folder on this node: serve imports it every schedule.logs_every.\n", prefix)
		w("%s    logs:\n%s      - %s\n", prefix, prefix, q(c.LogDir))
	}
	return []byte(b.String())
}
