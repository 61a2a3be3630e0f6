package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/licmon/licmon/internal/qrs"
)

// ValidationError names the setting that is wrong and why.
type ValidationError struct {
	Field string
	Err   error
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ValidationError) Unwrap() error { return e.Err }

// Validate checks every setting and returns all problems at once.
func (c *Config) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i := range c.Sites {
		s := &c.Sites[i]
		field := fmt.Sprintf("sites[%d]", i)
		if s.Name != "" {
			field = fmt.Sprintf("sites[%s]", s.Name)
		}
		if s.Name == "" {
			errs = append(errs, &ValidationError{field + ".name", errors.New("every site needs a name, e.g. prod")})
		} else if seen[strings.ToLower(s.Name)] {
			errs = append(errs, &ValidationError{field + ".name", errors.New("duplicate site name")})
		}
		seen[strings.ToLower(s.Name)] = true
		if err := s.Validate(); err != nil {
			errs = append(errs, &ValidationError{field, err})
		}
	}
	if c.Check.LicenseWarnDays < 0 {
		errs = append(errs, &ValidationError{"check.license_warn_days", errors.New("must be 0 or more")})
	}
	errs = append(errs, c.validateServe()...)
	errs = append(errs, c.validateHA()...)
	errs = append(errs, c.validateReclaim()...)
	return errors.Join(errs...)
}

// Validate checks one site's connection settings.
func (s *Site) Validate() error {
	var errs []error
	if s.Server == "" {
		errs = append(errs, errors.New("server is required, e.g. https://qlik.example.com:4242"))
	} else if u, err := url.Parse(s.Server); err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("server %q must be an https URL such as https://qlik.example.com:4242", qrs.RedactURL(s.Server)))
	}
	switch s.AuthMode() {
	case AuthCertificate:
		if s.CertDir == "" && (s.Cert == "" || s.Key == "") {
			errs = append(errs, errors.New("certificate auth needs cert_dir (with client.pem, client_key.pem, root.pem) or cert and key"))
		}
		if _, _, err := SplitUser(s.UserOrDefault()); err != nil {
			errs = append(errs, err)
		}
	case AuthJWT:
		if s.JWT == "" {
			errs = append(errs, errors.New("jwt auth needs jwt or jwt_file"))
		}
	case AuthHeader:
		if s.HeaderName == "" || s.HeaderValue == "" {
			errs = append(errs, errors.New("header auth needs header_name and header_value (or header_value_file)"))
		}
	default:
		errs = append(errs, fmt.Errorf("auth %q is not one of certificate, jwt, header", s.Auth))
	}
	if s.AuthMode() == AuthCertificate && s.CertDir == "" && s.CA == "" && !s.Insecure {
		errs = append(errs, errors.New("the server is verified against the site's root.pem: set cert_dir or ca (or insecure: true to skip verification, not recommended)"))
	}
	if s.MaxScriptLogMB < 0 {
		errs = append(errs, fmt.Errorf("max_script_log_mb %d must be a positive number of MiB (default 512)", s.MaxScriptLogMB))
	}
	return errors.Join(errs...)
}
