package repair

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// connString is a REST connector connection string split into its parts so
// that one setting can change while every other byte stays as it was:
// CUSTOM CONNECT TO "provider=QvRestConnector.exe;url=…;…;".
type connString struct {
	head  string // up to and including the opening quote
	parts []string
	tail  string // the closing quote and anything after it
}

func parseConnString(s string) (*connString, error) {
	i := strings.Index(strings.ToUpper(s), "CONNECT TO")
	if i < 0 {
		return nil, fmt.Errorf("not a REST connector connection string (no CONNECT TO)")
	}
	rest := s[i+len("CONNECT TO"):]
	j := strings.IndexAny(rest, `"'`)
	if j < 0 {
		return nil, fmt.Errorf("not a REST connector connection string (no quoted settings after CONNECT TO)")
	}
	q := rest[j]
	body := rest[j+1:]
	k := strings.LastIndexByte(body, q)
	if k < 0 {
		return nil, fmt.Errorf("not a REST connector connection string (the quote %c after CONNECT TO is not closed)", q)
	}
	cs := &connString{head: s[:i+len("CONNECT TO")] + rest[:j+1], tail: body[k:]}
	cs.parts = strings.Split(body[:k], ";")
	return cs, nil
}

func (c *connString) String() string {
	return c.head + strings.Join(c.parts, ";") + c.tail
}

func (c *connString) get(key string) (string, bool) {
	for _, p := range c.parts {
		k, v, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), key) {
			return v, true
		}
	}
	return "", false
}

// set changes key in place, or adds it before the trailing empty part.
func (c *connString) set(key, value string) {
	for i, p := range c.parts {
		k, _, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), key) {
			c.parts[i] = k + "=" + value
			return
		}
	}
	at := len(c.parts)
	if at > 0 && c.parts[at-1] == "" {
		at--
	}
	c.parts = append(c.parts[:at], append([]string{key + "=" + value}, c.parts[at:]...)...)
}

// Settings are what a connection string says about where and how the REST
// connector calls the QRS.
type Settings struct {
	URL, Host, Port, Prefix, Path string
	// Auth is ntlm, certificate, jwt, anonymous or unknown.
	Auth string
}

// ReadSettings parses the parts of a connection string a repair changes.
func ReadSettings(s string) (Settings, error) {
	cs, err := parseConnString(s)
	if err != nil {
		return Settings{}, err
	}
	return cs.settings()
}

func (c *connString) settings() (Settings, error) {
	var st Settings
	raw, ok := c.get("url")
	if !ok {
		return st, fmt.Errorf("the connection string has no url setting")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return st, fmt.Errorf("the connection string's url %q is not an absolute URL", raw)
	}
	st.URL, st.Host, st.Port = raw, u.Hostname(), u.Port()
	i := strings.Index(strings.ToLower(u.Path), "/qrs/")
	if i < 0 {
		return st, fmt.Errorf("the connection string's url %q does not call the QRS (/qrs/…)", raw)
	}
	st.Prefix, st.Path = strings.Trim(u.Path[:i], "/"), u.Path[i:]
	st.Auth = "unknown"
	hdr, _ := c.get("queryHeaders")
	uc, _ := c.get("useCertificate")
	schema, _ := c.get("authSchema")
	win, _ := c.get("useWindowsAuthentication")
	switch {
	case strings.Contains(strings.ToLower(hdr), "authorization%2bearer"):
		st.Auth = "jwt"
	case uc != "" && !strings.EqualFold(uc, "no"):
		st.Auth = "certificate"
	case strings.EqualFold(schema, "ntlm"), strings.EqualFold(win, "true"):
		st.Auth = "ntlm"
	case schema != "":
		st.Auth = strings.ToLower(schema)
	}
	return st, nil
}

// Target is what the repaired connections should look like; empty fields
// keep what the connection has.
type Target struct {
	// User is the user the connection logs on as (DIRECTORY\userid).
	User string
	// Host replaces the URL's host (the local proxy's or the central node's).
	Host string
	// Prefix replaces the virtual-proxy prefix when SetPrefix is true ("" = none).
	Prefix    string
	SetPrefix bool
	// Auth "certificate" switches to the certificate variant of
	// fix_monitor_apps.ps1: straight to https://HOST:4242 with the exported
	// client certificate and X-Qlik-User INTERNAL\sa_api. "ntlm" switches
	// back to Windows authentication through the proxy.
	Auth string
	// Password says that a new password will be stored (it is never kept
	// here: only its presence is planned and shown).
	Password bool
}

// Empty reports whether the target changes nothing.
func (t Target) Empty() bool {
	return t.User == "" && t.Host == "" && !t.SetPrefix && t.Auth == "" && !t.Password
}

// Validate checks the target before any connection is read.
func (t Target) Validate() error {
	if t.Empty() {
		return fmt.Errorf("nothing to repair: give --password-file (new password), --user, --host, --prefix or --switch-to")
	}
	if t.User != "" {
		d, id, ok := strings.Cut(t.User, `\`)
		if !ok || d == "" || id == "" || strings.ContainsAny(t.User, ";\"'") {
			return fmt.Errorf("--user %q: use DIRECTORY\\userid, e.g. CORP\\qservice", t.User)
		}
	}
	if t.Host != "" && (strings.ContainsAny(t.Host, "/:;\"' ") || t.Host != strings.TrimSpace(t.Host)) {
		return fmt.Errorf("--host %q: give a host name only, e.g. qlik.corp.example (no scheme, port or path)", t.Host)
	}
	if t.SetPrefix && strings.ContainsAny(strings.Trim(t.Prefix, "/"), "/:;\"'? ") {
		return fmt.Errorf("--prefix %q: give the virtual proxy prefix as the QMC shows it, e.g. windows", t.Prefix)
	}
	switch t.Auth {
	case "", "ntlm":
	case "certificate":
		if t.Host == "" {
			return fmt.Errorf("--switch-to certificate needs --host with the central node's FQDN: the connection calls https://FQDN:4242 with the certificate exported for that name")
		}
		if t.Password {
			return fmt.Errorf("--switch-to certificate uses the exported client certificate: a --password-file makes no sense with it")
		}
	default:
		return fmt.Errorf("--switch-to %q: use ntlm or certificate (a JWT needs a token from a JWT virtual proxy: put it in the connections in the QMC)", t.Auth)
	}
	return nil
}

// Rewrite applies the URL and authentication parts of t to a connection
// string, keeping every other setting byte for byte.
func Rewrite(s string, t Target) (string, error) {
	cs, err := parseConnString(s)
	if err != nil {
		return "", err
	}
	st, err := cs.settings()
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(st.URL)
	host, port, prefix := st.Host, st.Port, st.Prefix
	if t.Host != "" {
		host = t.Host
	}
	if t.SetPrefix {
		prefix = strings.Trim(t.Prefix, "/")
	}
	switch t.Auth {
	case "certificate":
		port, prefix = "4242", ""
		cs.set("useCertificate", "FromFile")
		cs.set("certificateFilePath", host+`\client.pfx`)
		cs.set("authSchema", "anonymous")
		hdr, _ := cs.get("queryHeaders")
		if !strings.Contains(strings.ToLower(hdr), "x-qlik-user") {
			hdr = strings.TrimSuffix(hdr, "%1User-Agent%2Windows")
			cs.set("queryHeaders", hdr+`%1X-Qlik-User%2UserDirectory%%2INTERNAL%%1 %%userid%%2sa_api`)
		}
	case "ntlm":
		if st.Auth == "certificate" {
			port = ""
			if t.Host == "" {
				host = "localhost"
			}
			hdr, _ := cs.get("queryHeaders")
			if i := strings.Index(strings.ToLower(hdr), "%1x-qlik-user"); i >= 0 {
				hdr = hdr[:i] + "%1User-Agent%2Windows"
				cs.set("queryHeaders", hdr)
			}
		}
		cs.set("useCertificate", "No")
		cs.set("authSchema", "ntlm")
	}
	u.Host = host
	if port != "" {
		u.Host = host + ":" + port
	}
	p := st.Path
	if prefix != "" {
		p = "/" + prefix + st.Path
	}
	u.Path, u.RawPath = p, ""
	cs.set("url", u.String())
	return cs.String(), nil
}

var bearer = regexp.MustCompile(`(?i)(bearer(?:%20|\s)+)[A-Za-z0-9\-_.=+/]+`)

// Mask hides secrets a connection string may carry (a JWT in the
// Authorization header) before it is shown or saved in a report.
func Mask(s string) string {
	return bearer.ReplaceAllString(s, "$1***")
}
