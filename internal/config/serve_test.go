package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/alert/rules"
	"github.com/licmon/licmon/internal/config"
)

const serveYAML = `
db: licmon.db
sites:
  - name: prod
    server: https://qlik-prod.example.com:4242
    cert_dir: certs
serve:
  listen: 0.0.0.0:8443
  external_url: https://licmon.example.com
  tls_cert_file: tls/cert.pem
  tls_key_file: tls/key.pem
  auth:
    username: admin
    password_file: secrets/dash
schedule:
  check_every: 10m
  collect_at: "03:30"
  timezone: Europe/Paris
alerts:
  resend_interval: 2h
  send_resolved: false
  log_tail_lines: 5
  channels: [ops]
  rules:
    task_failed: {severity: warning, channels: [chat]}
    stale: {enabled: false}
    available_below:
      count: 10
      types:
        professional: {percent: 15}
    runout_within: {days: 45}
channels:
  webhook:
    - name: ops
      url: ${HOOK_URL}
      headers: {Authorization: "Bearer ${HOOK_TOKEN}"}
  slack:
    - name: chat
      url: https://hooks.slack.com/services/T/B/X
  retry:
    max_attempts: 3
    initial_backoff: 1s
`

func TestServeSections(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "secrets"), 0o700)
	os.WriteFile(filepath.Join(dir, "secrets", "dash"), []byte("s3cret\n"), 0o600)
	c, err := config.Parse(strings.NewReader(serveYAML), dir, env(map[string]string{"HOOK_URL": "https://hooks.example.com/x", "HOOK_TOKEN": "hk-7731"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Serve.Listen != "0.0.0.0:8443" || c.Serve.Auth.Password != "s3cret" || c.Serve.TLSCertFile != filepath.Join(dir, "tls/cert.pem") {
		t.Errorf("serve = %+v", c.Serve)
	}
	if c.Schedule.CheckInterval() != 10*time.Minute || c.Schedule.CheckJitterOrDefault() != time.Minute {
		t.Errorf("schedule intervals = %v %v", c.Schedule.CheckInterval(), c.Schedule.CheckJitterOrDefault())
	}
	if h, m, err := c.Schedule.CollectTime(); h != 3 || m != 30 || err != nil {
		t.Errorf("collect time = %d:%d %v", h, m, err)
	}
	if c.Alerts.ResendOrDefault() != 2*time.Hour || c.Alerts.Resolved() {
		t.Errorf("alerts = %+v", c.Alerts)
	}
	if h, tl := c.Alerts.LogLines(); h != config.DefaultLogHeadLines || tl != 5 {
		t.Errorf("log lines = %d %d", h, tl)
	}
	r := c.Alerts.Rules
	if r.Stale.IsEnabled() || !r.TaskFailed.IsEnabled() || r.TaskFailed.SeverityOr("critical") != "warning" {
		t.Errorf("rules = %+v", r)
	}
	if th := r.AvailableBelow.For("professional"); th.Percent != 15 || th.Count != 0 {
		t.Errorf("professional threshold = %+v", th)
	}
	if th := r.AvailableBelow.For("analyzer"); th.Count != 10 {
		t.Errorf("analyzer threshold = %+v", th)
	}
	if r.RunOutWithin.DaysOr(60) != 45 || r.LicenseEndWithin.DaysOr(30) != 30 {
		t.Errorf("days rules wrong")
	}
	if c.Channels.Webhook[0].URL != "https://hooks.example.com/x" || c.Channels.Webhook[0].Headers["Authorization"] != "Bearer hk-7731" {
		t.Errorf("webhook = %+v", c.Channels.Webhook[0])
	}
	if got := strings.Join(c.Channels.Names(), ","); got != "ops,chat" {
		t.Errorf("channel names = %s", got)
	}
	if c.Channels.Retry.MaxAttempts != 3 || c.Channels.Retry.InitialBackoff != time.Second {
		t.Errorf("retry = %+v", c.Channels.Retry)
	}
	var b strings.Builder
	if err := c.Masked().WriteYAML(&b); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cret", "hk-7731", "/services/T/B/X", "hooks.example.com/x"} {
		if strings.Contains(b.String(), secret) {
			t.Errorf("masked config shows %q:\n%s", secret, b.String())
		}
	}
	if c.Channels.Webhook[0].Headers["Authorization"] != "Bearer hk-7731" {
		t.Error("Masked changed the original config")
	}
}

func TestServeDefaults(t *testing.T) {
	c := config.Default()
	if c.Schedule.CheckInterval() != 5*time.Minute || c.Alerts.ResendOrDefault() != 4*time.Hour || !c.Alerts.Resolved() {
		t.Errorf("defaults wrong: %+v %+v", c.Schedule, c.Alerts)
	}
	if h, m, _ := c.Schedule.CollectTime(); h != 2 || m != 0 {
		t.Errorf("collect at %d:%d", h, m)
	}
	if th := c.Alerts.Rules.AvailableBelow.For("professional"); th.Percent != rules.DefaultAvailablePercent {
		t.Errorf("default threshold %+v", th)
	}
}

func TestServeBadConfigs(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown serve key", "serve:\n  listne: :8080\n", `line 2: unknown key "listne" in serve (allowed: listen, external_url`},
		{"unknown webhook key", "channels:\n  webhook:\n    - name: x\n      ulr: https://x\n", `line 4: unknown key "ulr" in a webhook channel (allowed: name, url,`},
		{"unknown rule", "alerts:\n  rules:\n    task_fail: {}\n", `unknown key "task_fail" in alerts.rules`},
		{"bad collect_at", "schedule:\n  collect_at: 25:00\n", `schedule.collect_at: collect_at "25:00" must be a 24-hour time`},
		{"short interval", "schedule:\n  check_every: 5s\n", "schedule.check_every: must be at least 30s"},
		{"undefined channel", "alerts:\n  channels: [pager]\n", `alerts.channels: channel "pager" is not defined`},
		{"bad severity", "alerts:\n  rules:\n    stale: {severity: page}\n", `alerts.rules.stale.severity: "page" is not critical or warning`},
		{"bad type", "alerts:\n  rules:\n    available_below:\n      types: {pro: {count: 1}}\n", `"pro" is not a license type`},
		{"duplicate channel", "channels:\n  slack: [{url: https://a}]\n  teams: [{name: slack, url: https://b}]\n", `two channels are named "slack"`},
		{"half tls", "serve:\n  tls_cert_file: c.pem\n", "set both tls_cert_file and tls_key_file"},
		{"bad listen", "serve:\n  listen: localhost\n", `serve.listen: "localhost" must be host:port`},
		{"listen port out of range", "serve:\n  listen: :99999\n", `serve.listen: ":99999": port 99999 is out of range`},
		{"basic without password", "serve:\n  auth: {username: a}\n", "basic auth needs both username and password"},
		{"negative heavy limit", "serve:\n  max_heavy_requests: -1\n", "serve.max_heavy_requests: -1 must be within 1–256"},
		{"heavy limit too high", "serve:\n  max_heavy_requests: 10000\n", "serve.max_heavy_requests: 10000 must be within 1–256"},
		{"negative collection limit", "serve:\n  max_collections: -1\n", "serve.max_collections: -1 must be within 1–64"},
		{"collection limit too high", "serve:\n  max_collections: 65\n", "serve.max_collections: 65 must be within 1–64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.yaml, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
			var ve *config.ValidationError
			if strings.Contains(tc.want, "unknown key") == errors.As(err, &ve) {
				t.Errorf("unexpected error type %T", err)
			}
		})
	}
}
