package config_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/config"
)

// TestWriteSetYAMLPrintsOnlyWhatTheFileSets: `licmon config check` shows
// what the admin wrote (a key set to its default value too), with values
// as read (${ENV} expanded, secrets masked), and none of the defaults.
func TestWriteSetYAMLPrintsOnlyWhatTheFileSets(t *testing.T) {
	env := map[string]string{"QLIK_JWT": "eyJsecret"}
	c, err := parse(t, `
sites:
  - name: prod
    server: https://qlik:4242
    auth: jwt
    jwt: ${QLIK_JWT}
  - name: test
    server: https://qlik-test:4242
    cert_dir: /certs
check:
  license_warn_days: 30
alerts:
  rules:
    stale:
      enabled: false
`, env)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := c.Masked().WriteSetYAML(&out); err != nil {
		t.Fatal(err)
	}
	want := `sites:
  - name: prod
    server: https://qlik:4242
    auth: jwt
    jwt: '*****'
  - name: test
    server: https://qlik-test:4242
    cert_dir: /certs
check:
  license_warn_days: 30
alerts:
  rules:
    stale:
      enabled: false
`
	if out.String() != want {
		t.Errorf("set settings:\n%s\nwant\n%s", out.String(), want)
	}

	out.Reset()
	if err := c.WithDefaults().Masked().WriteYAML(&out); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"task: Reload License Monitor", "listen: 127.0.0.1:8080", "check_every: 5m0s",
		"collect_at: \"02:00\"", "resend_interval: 4h0m0s", "send_resolved: true", "log_tail_lines: 30", `user: INTERNAL\sa_api`} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("--defaults output lacks %q:\n%s", line, out.String())
		}
	}
	if strings.Contains(out.String(), "eyJsecret") {
		t.Errorf("--defaults output leaks the secret:\n%s", out.String())
	}
}

// TestWithDefaultsAgreesWithTheAccessors: what --defaults prints is what
// serve uses.
func TestWithDefaultsAgreesWithTheAccessors(t *testing.T) {
	c, err := parse(t, "schedule:\n  check_every: 10m\nalerts:\n  log_head_lines: -1\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := c.WithDefaults()
	if got := time.Duration(d.Schedule.CheckJitter); got != c.Schedule.CheckJitterOrDefault() || got != time.Minute {
		t.Errorf("check_jitter = %v, want %v", got, c.Schedule.CheckJitterOrDefault())
	}
	if head, tail := d.Alerts.LogLines(); head != 0 || tail != config.DefaultLogTailLines {
		t.Errorf("log lines = %d, %d", head, tail)
	}
	if d.Schedule.CheckInterval() != c.Schedule.CheckInterval() || d.Alerts.ResendOrDefault() != c.Alerts.ResendOrDefault() {
		t.Error("defaults differ from the accessors")
	}
}
