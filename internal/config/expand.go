package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/licmon/licmon/internal/store"
)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR}; a bare $ stays as is so passwords with $ survive.
func expandEnv(field, s string, lookupEnv func(string) (string, bool)) (string, error) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := envRef.FindStringSubmatch(ref)[1]
		v, ok := lookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%s: environment variable %s is not set", field, strings.Join(missing, ", "))
	}
	return out, nil
}

func (c *Config) expand(baseDir string, lookupEnv func(string) (string, bool)) error {
	var err error
	str := func(field string, p *string) {
		if err == nil {
			*p, err = expandEnv(field, *p, lookupEnv)
		}
	}
	path := func(field string, p *string) {
		str(field, p)
		if err == nil && *p != "" && !filepath.IsAbs(*p) && baseDir != "" {
			*p = filepath.Join(baseDir, *p)
		}
	}
	if store.IsPostgres(c.DB) {
		str("db", &c.DB) // a DSN, not a path relative to the config
	} else {
		path("db", &c.DB)
	}
	path("db_password_file", &c.DBPasswordFile)
	if err == nil && c.DBPasswordFile != "" {
		if c.DB, err = store.WithPasswordFile(c.DB, c.DBPasswordFile); err != nil {
			err = fmt.Errorf("db_password_file: %w", err)
		}
	}
	path("check.save_logs", &c.Check.SaveLogs)
	str("check.task", &c.Check.Task)
	for i := range c.Sites {
		s := &c.Sites[i]
		f := func(k string) string { return fmt.Sprintf("sites[%d].%s", i, k) }
		str(f("name"), &s.Name)
		str(f("server"), &s.Server)
		str(f("user"), &s.User)
		str(f("jwt"), &s.JWT)
		str(f("header_name"), &s.HeaderName)
		str(f("header_value"), &s.HeaderValue)
		str(f("server_name"), &s.ServerName)
		str(f("task"), &s.Task)
		for _, p := range []struct {
			k string
			v *string
		}{{"cert_dir", &s.CertDir}, {"cert", &s.Cert}, {"key", &s.Key}, {"ca", &s.CA}, {"jwt_file", &s.JWTFile}, {"header_value_file", &s.HeaderValueFile}} {
			path(f(p.k), p.v)
		}
		for j := range s.Logs {
			path(f(fmt.Sprintf("logs[%d]", j)), &s.Logs[j])
		}
		if err != nil {
			return err
		}
		if err = readSecretFile(f("jwt_file"), s.JWTFile, &s.JWT); err != nil {
			return err
		}
		if err = readSecretFile(f("header_value_file"), s.HeaderValueFile, &s.HeaderValue); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	return c.expandServe(baseDir, lookupEnv)
}

// readSecretFile fills *dst from file when file is set, so that secrets can
// live in a file protected by ACLs instead of the config.
func readSecretFile(field, file string, dst *string) error {
	if file == "" {
		return nil
	}
	if *dst != "" {
		return fmt.Errorf("%s: set either the value or the _file variant, not both", field)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%s: read secret: %w", field, err)
	}
	*dst = strings.TrimSpace(string(b))
	if *dst == "" {
		return fmt.Errorf("%s: %s is empty", field, file)
	}
	return nil
}
