package check

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/licmon/licmon/internal/scriptlog"
)

// requiredConnections are the monitor_apps_REST_* connections the License
// Monitor reads (license-monitor-app.md §2.3): a missing one fails its reload
// at the LIB CONNECT TO. The 7.18 additions are only warned about, because
// sites that still run an older License Monitor do not need them.
var requiredConnections = []string{
	"monitor_apps_REST_license_user",
	"monitor_apps_REST_license_login",
	"monitor_apps_REST_license_professional",
	"monitor_apps_REST_license_analyzer",
	"monitor_apps_REST_license_overview",
	"monitor_apps_REST_user",
}

// newerConnections are needed by License Monitor 7.18 and later.
var newerConnections = []string{
	"monitor_apps_REST_license",
	"monitor_apps_REST_user_condensed",
}

// ParseConnection reads the REST connector connection string of a data
// connection: the URL it calls (host, port, virtual-proxy prefix) and how it
// authenticates.
func ParseConnection(name, connStr string) Connection {
	c := Connection{Name: name, Auth: "unknown"}
	s := strings.TrimSpace(connStr)
	if i := strings.Index(strings.ToUpper(s), "CONNECT TO"); i >= 0 {
		s = strings.TrimSpace(s[i+len("CONNECT TO"):])
	}
	s = strings.Trim(s, `"'`)
	kv := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok {
			kv[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	if raw := kv["url"]; raw != "" {
		c.URL = raw
		if u, err := url.Parse(raw); err == nil {
			c.Host = u.Hostname()
			c.Port = u.Port()
			if c.Port == "" && u.Scheme == "https" {
				c.Port = "443"
			} else if c.Port == "" && u.Scheme == "http" {
				c.Port = "80"
			}
			path := u.Path
			if i := strings.Index(strings.ToLower(path), "/qrs/"); i >= 0 {
				c.Prefix = strings.Trim(path[:i], "/")
				c.Path = path[i:]
			} else {
				c.Path = path
			}
		}
	}
	headers := strings.ToLower(kv["queryheaders"])
	switch {
	case strings.Contains(headers, "authorization%2bearer"):
		c.Auth = "jwt"
	case kv["usecertificate"] != "" && !strings.EqualFold(kv["usecertificate"], "no"):
		c.Auth = "certificate"
		c.Certificate = kv["certificatefilepath"]
		if c.Certificate == "" {
			c.Certificate = kv["certificatestorelocation"] + `\` + kv["certificatestorename"]
		}
	case strings.EqualFold(kv["authschema"], "ntlm"), strings.EqualFold(kv["usewindowsauthentication"], "true"):
		c.Auth = "ntlm"
	case kv["authschema"] != "":
		c.Auth = strings.ToLower(kv["authschema"])
	}
	return c
}

// isMonitorConnection reports whether a data connection is one of the
// monitoring apps' REST connections.
func isMonitorConnection(name string) bool {
	return strings.HasPrefix(strings.ToLower(name), "monitor_apps_rest_")
}

// DataConnection is a data connection as the QRS lists it.
type DataConnection struct {
	Name, ConnectionString string
}

// EvalConnections lists the monitor_apps_REST_* connections among conns and
// flags the missing ones and the known breakages (err: they could not be
// read; sl: the script log of a failed run, whose diagnosis may name one).
func EvalConnections(conns []DataConnection, err error, sl *ScriptLog, site string) ([]Connection, []Finding) {
	if err != nil {
		return nil, []Finding{{Code: "connections-unreadable", Severity: Unknown, Title: "Could not read the data connections",
			Evidence: []string{err.Error()}, Hint: "The identity needs read access to data connections (RootAdmin)."}}
	}
	var out []Connection
	have := map[string]Connection{}
	for _, dc := range conns {
		if !isMonitorConnection(dc.Name) {
			continue
		}
		c := ParseConnection(dc.Name, dc.ConnectionString)
		out = append(out, c)
		have[strings.ToLower(dc.Name)] = c
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	var fs []Finding
	var missing, missingNew []string
	for _, n := range requiredConnections {
		if _, ok := have[strings.ToLower(n)]; !ok {
			missing = append(missing, n)
		}
	}
	for _, n := range newerConnections {
		if _, ok := have[strings.ToLower(n)]; !ok {
			missingNew = append(missingNew, n)
		}
	}
	var d *scriptlog.Diagnosis
	if sl != nil {
		d = sl.Diagnosis
	}
	if d != nil && d.Connection.Name != "" {
		if _, ok := have[strings.ToLower(d.Connection.Name)]; !ok && isMonitorConnection(d.Connection.Name) && !containsFold(missing, d.Connection.Name) && !containsFold(missingNew, d.Connection.Name) {
			missing = append(missing, d.Connection.Name)
		}
	}
	if len(missing) > 0 {
		fs = append(fs, Finding{Code: "connection-missing", Severity: Critical, App: LicenseMonitorApp,
			Title:    fmt.Sprintf("%d monitor_apps_REST connection(s) the License Monitor needs are missing", len(missing)),
			Evidence: missing,
			Hint:     "Recreate them in the QMC > Data connections, or re-import the License Monitor app, which recreates the connections it ships with (after an upgrade, update them as the release notes say)."})
	}
	if len(missingNew) > 0 {
		fs = append(fs, Finding{Code: "connection-missing-718", Severity: Warning, App: LicenseMonitorApp,
			Title:    "Connections used by License Monitor 7.18 and later are missing",
			Evidence: missingNew,
			Hint:     "If the site runs License Monitor 7.18 or later, create them (QMC > Data connections) or re-import the app; older License Monitors do not need them."})
	}
	if d != nil && d.Code == "rest-auth" {
		if c, ok := have[strings.ToLower(d.Connection.Name)]; ok && c.Auth == "ntlm" {
			fs = append(fs, Finding{Code: "connection-ntlm-rejected", Severity: Critical, App: LicenseMonitorApp,
				Title: fmt.Sprintf("%s authenticates with Windows (NTLM) through the proxy and is refused", c.Name),
				Evidence: []string{fmt.Sprintf("url %s (host %s, port %s, prefix %q), auth %s", c.URL, c.Host, c.Port, c.Prefix, c.Auth),
					fmt.Sprintf("HTTP %d in the script log", d.HTTPStatus)},
				Hint: "Either the user and password stored on the monitor_apps_REST_* connections are wrong (update them all, e.g. after a service-account password change), or the virtual proxy no longer accepts Windows authentication (Kerberos, SAML, header or a prefix change): then switch the connections to certificate or JWT authentication (Qlik support article 000104165). " + repairCommand(site, "401")})
		}
	}
	if d != nil && d.Code == "rest-http" && d.HTTPStatus == 404 && isMonitorConnection(d.Connection.Name) {
		fs = append(fs, Finding{Code: "connection-url-not-found", Severity: Critical, App: LicenseMonitorApp,
			Title:    fmt.Sprintf("%s calls a URL the proxy does not serve (HTTP 404)", d.Connection.Name),
			Evidence: connectionEvidence(have, d.Connection.Name),
			Hint:     "The default virtual proxy probably got a prefix (or the host changed) after the connections were made. " + repairCommand(site, "404")})
	}
	if len(fs) == 0 && len(out) > 0 {
		fs = append(fs, Finding{Code: "connections-present", Severity: OK, App: LicenseMonitorApp,
			Title: fmt.Sprintf("All %d monitor_apps_REST connections are present", len(out))})
	}
	return out, fs
}

// containsFold reports whether s holds v, ignoring case: QRS names are
// case-insensitive.
func containsFold(s []string, v string) bool {
	return slices.ContainsFunc(s, func(x string) bool { return strings.EqualFold(x, v) })
}
