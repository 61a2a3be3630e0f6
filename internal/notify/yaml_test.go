package notify_test

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/email"
	"github.com/licmon/licmon/internal/notify/slack"
	"github.com/licmon/licmon/internal/notify/teams"
	"github.com/licmon/licmon/internal/notify/webhook"
)

// readmeExample is the configuration documented for the README; decoding it
// strictly proves the YAML keys and the duration syntax.
const readmeExample = `
retry:
  max_attempts: 5
  initial_backoff: 2s
  max_backoff: 1m
  max_elapsed: 5m
webhook:
  - name: itsm
    url: https://itsm.example.com/api/licmon
    headers:
      X-Source: licmon
    header_files:
      Authorization: /etc/licmon/itsm-auth-header
    secret_file: /etc/licmon/webhook-hmac
    timeout: 10s
slack:
  - name: qlik-admins
    url_file: /etc/licmon/slack-url
    timeout: 10s
teams:
  - name: bi-ops
    url_file: /etc/licmon/teams-workflow-url
email:
  - name: mail
    host: smtp.office365.com
    port: 587
    tls_mode: starttls
    auth: login
    username: licmon@example.com
    password_file: /etc/licmon/smtp-password
    from: "licmon <licmon@example.com>"
    to: [qlik-admins@example.com, "BI Ops <bi-ops@example.com>"]
    subject: "[licmon] {{.Label}}: {{.Title}} ({{.Site}})"
    ca_file: /etc/licmon/corp-ca.pem
    timeout: 30s
`

type alerting struct {
	Retry   notify.RetryPolicy `yaml:"retry"`
	Webhook []webhook.Config   `yaml:"webhook"`
	Slack   []slack.Config     `yaml:"slack"`
	Teams   []teams.Config     `yaml:"teams"`
	Email   []email.Config     `yaml:"email"`
}

func TestConfigYAMLExample(t *testing.T) {
	dec := yaml.NewDecoder(strings.NewReader(readmeExample))
	dec.KnownFields(true)
	var c alerting
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Retry.MaxBackoff != time.Minute || c.Webhook[0].HeaderFiles["Authorization"] == "" || c.Webhook[0].Timeout != 10*time.Second {
		t.Errorf("decoded %+v", c)
	}
	e := c.Email[0]
	if e.Auth != "login" || e.TLSMode != "starttls" || len(e.To) != 2 || e.PasswordFile == "" || e.Timeout != 30*time.Second {
		t.Errorf("email = %+v", e)
	}
	if c.Slack[0].URLFile == "" || c.Teams[0].URLFile == "" {
		t.Error("url_file not decoded")
	}
}
