package config_test

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/config"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func parse(t *testing.T, yaml string, e map[string]string) (*config.Config, error) {
	t.Helper()
	return config.Parse(strings.NewReader(yaml), t.TempDir(), env(e))
}

func TestLoadGood(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "licmon.yaml")
	os.WriteFile(path, b, 0o600)
	os.MkdirAll(filepath.Join(dir, "secrets"), 0o700)
	os.WriteFile(filepath.Join(dir, "secrets", "dev-header"), []byte("CORP\\svc_licmon\n"), 0o600)
	t.Setenv("LICMON_TEST_JWT", "eyJhbGciOiJIUzI1NiJ9.e30.sig")

	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.SiteNames(); strings.Join(got, ",") != "prod,test,dev" {
		t.Fatalf("sites = %v", got)
	}
	if c.DB != filepath.Join(dir, "history", "licmon.db") {
		t.Errorf("db not resolved against the config dir: %s", c.DB)
	}
	if time.Duration(c.Check.MaxAge) != 3*time.Hour {
		t.Errorf("max_age = %v", c.Check.MaxAge)
	}
	prod, _ := c.Site("PROD")
	cert, key, ca := prod.Files()
	if cert != filepath.Join(dir, "certs/prod/client.pem") || key != filepath.Join(dir, "certs/prod/client_key.pem") || ca != filepath.Join(dir, "certs/prod/root.pem") {
		t.Errorf("files = %s %s %s", cert, key, ca)
	}
	test, _ := c.Site("test")
	if test.JWT != "eyJhbGciOiJIUzI1NiJ9.e30.sig" || time.Duration(test.Timeout) != 45*time.Second {
		t.Errorf("test site = %+v", test)
	}
	if c.TaskFor(test) != "Reload License Monitor (test)" || c.TaskFor(prod) != "Reload License Monitor" {
		t.Errorf("task names wrong")
	}
	dev, _ := c.Site("dev")
	if dev.HeaderValue != `CORP\svc_licmon` {
		t.Errorf("header value from file = %q", dev.HeaderValue)
	}

	var out bytes.Buffer
	if err := c.Masked().WriteYAML(&out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "eyJ") || strings.Contains(out.String(), "svc_licmon") {
		t.Errorf("masked output leaks a secret:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "*****") {
		t.Errorf("masked output has no mask:\n%s", out.String())
	}
}

func TestUnknownKeyNamesLine(t *testing.T) {
	b, _ := os.ReadFile("testdata/unknown-key.yaml")
	_, err := parse(t, string(b), nil)
	if err == nil {
		t.Fatal("want error")
	}
	want := `line 5: unknown key "pasword" in a site`
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not contain %q", err, want)
	}
}

// The allowed keys come from the yaml tags: every key the error offers for
// a section is accepted there, and every unknown key of the file is named
// with its own line, nested sections by their path.
func TestUnknownKeysFromTheTypes(t *testing.T) {
	_, err := parse(t, "sites:\n- name: a\n  servr: x\nalerts:\n  rules:\n    stale: {enabeld: true}\nreport:\n  keeep: 1\n", nil)
	if err == nil {
		t.Fatal("want an error for three unknown keys")
	}
	for _, want := range []string{
		`line 3: unknown key "servr" in a site (allowed: name, server, `,
		`line 6: unknown key "enabeld" in alerts.rules.stale (allowed: enabled, severity, channels`,
		`line 8: unknown key "keeep" in report (allowed: keep, `,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	_, err = parse(t, "check:\n  nope: 1\n", nil)
	_, list, ok := strings.Cut(fmt.Sprint(err), "(allowed: ")
	if !ok {
		t.Fatalf("no allowed keys in %v", err)
	}
	for _, key := range strings.Split(strings.TrimSuffix(list, ")"), ", ") {
		yml := "check:\n  " + key + ": {}\n"
		if _, err := parse(t, yml, nil); err != nil && strings.Contains(err.Error(), "unknown key") {
			t.Errorf("allowed key %q is refused: %v", key, err)
		}
	}
}

func TestBadConfigs(t *testing.T) {
	cases := []struct {
		name, yaml, want string
		env              map[string]string
	}{
		{"missing env", "sites:\n- name: a\n  server: https://h:4242\n  auth: jwt\n  jwt: ${NOPE}\n", "sites[0].jwt: environment variable NOPE is not set", nil},
		{"no name", "sites:\n- server: https://h:4242\n  cert_dir: c\n", "every site needs a name", nil},
		{"duplicate", "sites:\n- {name: a, server: 'https://h:4242', cert_dir: c}\n- {name: A, server: 'https://h:4242', cert_dir: c}\n", "duplicate site name", nil},
		{"http server", "sites:\n- {name: a, server: 'http://h:4242', cert_dir: c}\n", "must be an https URL", nil},
		{"no certs", "sites:\n- {name: a, server: 'https://h:4242'}\n", "certificate auth needs cert_dir", nil},
		{"bad user", "sites:\n- {name: a, server: 'https://h:4242', cert_dir: c, user: sa_api}\n", `must be DIRECTORY\userid`, nil},
		{"bad auth", "sites:\n- {name: a, server: 'https://h:4242', auth: ntlm}\n", `auth "ntlm" is not one of`, nil},
		{"jwt missing", "sites:\n- {name: a, server: 'https://h/jwt', auth: jwt}\n", "jwt auth needs jwt or jwt_file", nil},
		{"both secret forms", "sites:\n- {name: a, server: 'https://h/jwt', auth: jwt, jwt: x, jwt_file: f}\n", "not both", nil},
		{"bad duration", "check:\n  max_age: soon\n", `line 2: invalid duration "soon"`, nil},
		{"not yaml", "sites: [\n", "invalid YAML", nil},
		{"no ca", "sites:\n- {name: a, server: 'https://h:4242', cert: c.pem, key: k.pem}\n", "root.pem", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.yaml, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestDollarWithoutBracesIsKept(t *testing.T) {
	c, err := parse(t, "sites:\n- {name: a, server: 'https://h/hdr', auth: header, header_name: x, header_value: 'pa$$word'}\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Sites[0].HeaderValue != "pa$$word" {
		t.Fatalf("value = %q", c.Sites[0].HeaderValue)
	}
}

func TestMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "pass connection flags") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "90m": 90 * time.Minute, "": 0} {
		got, err := config.ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := config.ParseDuration("-1h"); err == nil {
		t.Error("negative accepted")
	}
}

// TestServerUserinfoMasked checks that user:password@ in a site's server
// URL is never printed: not by config check (Masked) and not in a
// validation error.
func TestServerUserinfoMasked(t *testing.T) {
	c, err := parse(t, "sites:\n  - name: prod\n    server: https://admin:s3cret@qlik.example.com:4242\n    cert_dir: certs\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := c.Masked().WriteYAML(&out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "s3cret") || strings.Contains(out.String(), "admin:") ||
		!strings.Contains(out.String(), "https://*****@qlik.example.com:4242") {
		t.Errorf("config check shows the server's user info:\n%s", out.String())
	}
	if c.Sites[0].Server != "https://admin:s3cret@qlik.example.com:4242" {
		t.Error("Masked changed the original config")
	}
	_, err = parse(t, "sites:\n  - name: prod\n    server: http://admin:s3cret@qlik.example.com:4242\n    cert_dir: certs\n", nil)
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "*****@qlik.example.com") {
		t.Errorf("validation error = %v; want it to name the server without its user info", err)
	}
}

func TestReclaimSection(t *testing.T) {
	good := "reclaim:\n  inactive:\n    professional: 120d\n  max_releases: 20\n  never_release:\n    users: ['CORP\\ceo']\n    tags: [Keep]\n    custom_properties: [KeepUser=keep, Department]\n    removed_externally: only\nreport:\n  keep: [Keep]\n  inactive_days: 60\n"
	c, err := config.Parse(strings.NewReader(good), ".", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.Reclaim.Inactive.Professional) != 120*24*time.Hour || c.Report.InactiveDays != 60 || c.Reclaim.NeverRelease.RemovedExternally != "only" {
		t.Errorf("decoded %+v %+v", c.Reclaim, c.Report)
	}
	for in, want := range map[string]string{
		"reclaim:\n  never_release:\n    blocked: yes-please\n":       "use ignore, protect",
		"reclaim:\n  never_release:\n    users: [ceo]\n":              "DIRECTORY\\userid",
		"reclaim:\n  schedule:\n    enabled: true\n    at: '03:00'\n": "name its sites",
		"reclaim:\n  never_release:\n    tag: [Keep]\n":               "in reclaim.never_release (allowed: users, directories, tags",
		"report:\n  headroom: -3\n":                                   "must be 0",
	} {
		_, err := config.Parse(strings.NewReader(in), ".", func(string) (string, bool) { return "", false })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", in, err, want)
		}
	}
}

// TestPostgresDB checks a PostgreSQL db: the DSN is not taken for a path
// relative to the config, its password is never printed, and
// db_password_file reaches the store as the DSN's password_file.
func TestPostgresDB(t *testing.T) {
	site := "sites:\n  - name: prod\n    server: https://qlik.example.com:4242\n    cert_dir: certs\n"
	dir := t.TempDir()
	c, err := config.Parse(strings.NewReader("db: postgres://licmon:${PW}@db.example.com/licmon\n"+site), dir, env(map[string]string{"PW": "s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "postgres://licmon:s3cret@db.example.com/licmon" {
		t.Errorf("db = %q", c.DB)
	}
	var out strings.Builder
	if err := c.Masked().WriteYAML(&out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "s3cret") || !strings.Contains(out.String(), "postgres://licmon:*****@db.example.com/licmon") {
		t.Errorf("config check shows the database password:\n%s", out.String())
	}

	c, err = config.Parse(strings.NewReader("db: postgres://licmon@db.example.com/licmon?sslmode=require\ndb_password_file: dbpass\n"+site), dir, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(c.DB)
	if err != nil || u.Query().Get("password_file") != filepath.Join(dir, "dbpass") || u.Query().Get("sslmode") != "require" || u.Host != "db.example.com" {
		t.Errorf("db with db_password_file = %q (%v)", c.DB, err)
	}

	for in, want := range map[string]string{
		"db: licmon.db\ndb_password_file: dbpass\n":                      "db_password_file is for a PostgreSQL db",
		"db: postgres://licmon:pw@db/licmon\ndb_password_file: dbpass\n": "keep one",
	} {
		_, err := config.Parse(strings.NewReader(in+site), dir, env(nil))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), ":pw@") {
			t.Errorf("%q: %v, want an error saying %q", in, err, want)
		}
	}
}
