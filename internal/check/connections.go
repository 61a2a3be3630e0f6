package check

import (
	"net/url"
	"strings"
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
