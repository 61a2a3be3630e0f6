package notify

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// ConfigError reports a bad channel setting at construction time; Field is
// the YAML key so the admin knows which line of licmon.yaml to fix.
type ConfigError struct {
	Channel string
	Field   string
	Err     error
}

// Error implements error.
func (e *ConfigError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s config: %v", e.Channel, e.Err)
	}
	return fmt.Sprintf("%s config: %s: %v", e.Channel, e.Field, e.Err)
}

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// ErrMissing is the cause of a [ConfigError] for a required setting that is
// empty.
var ErrMissing = errors.New("required setting is empty")

// ReadSecret returns value, or the trimmed content of file when value is
// empty. Setting both is an error, because it is never clear which one the
// admin meant to be in force. field is the YAML key of value, used in
// messages; the secret itself never is.
func ReadSecret(field, value, file string) (string, error) {
	if value != "" && file != "" {
		return "", fmt.Errorf("set %s or %s_file, not both", field, field)
	}
	if file == "" {
		return value, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read %s_file: %w", field, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("read %s_file: %s is empty", field, file)
	}
	return s, nil
}

// ParseWebhookURL checks that raw is an absolute http(s) URL with a host.
// Its errors never echo raw, since webhook URLs embed their token.
func ParseWebhookURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, ErrMissing
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, errors.New("not a valid URL (value hidden: it may contain a token)")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("URL has no host")
	}
	return u, nil
}

// RedactURL reduces a URL to scheme and host ("https://hooks.slack.com/…")
// for logs and errors: the path and query of webhook URLs are credentials.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<redacted URL>"
	}
	s := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		s += "/…"
	}
	return s
}
