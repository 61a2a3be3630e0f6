// Package webhook delivers licmon alerts as a documented JSON POST to any
// HTTP receiver (ticketing systems, automation, a chat bridge), optionally
// signed with HMAC-SHA256 so the receiver can tell licmon from an impostor.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/httppost"
)

// PayloadVersion is the version of [Payload]. It changes only when a field
// is removed or changes meaning; new fields may appear within a version.
const PayloadVersion = "1"

// SignatureHeader carries "sha256=<hex>" = HMAC-SHA256(secret, body) when a
// secret is configured (the GitHub convention, so existing verifiers work).
const SignatureHeader = "X-Licmon-Signature"

// Config is one webhook receiver in licmon.yaml.
type Config struct {
	// Name identifies this receiver in logs and in `licmon alert test`;
	// default "webhook".
	Name string `yaml:"name"`
	// URL is the receiver; URLFile reads it from a file instead.
	URL     string `yaml:"url"`
	URLFile string `yaml:"url_file"`
	// Headers are added to every request, e.g. Authorization.
	Headers map[string]string `yaml:"headers"`
	// HeaderFiles read header values from files (secrets), keyed by header.
	HeaderFiles map[string]string `yaml:"header_files"`
	// Secret, or SecretFile, enables the X-Licmon-Signature header.
	Secret     string `yaml:"secret"`
	SecretFile string `yaml:"secret_file"`
	// Timeout bounds one attempt; default 10s.
	Timeout time.Duration `yaml:"timeout"`
}

// Payload is the JSON body licmon posts. It is a stable contract: field
// names are snake_case, slices are never null, times are RFC 3339 UTC.
type Payload struct {
	// Version is [PayloadVersion].
	Version string `json:"version"`
	// LicmonVersion is the sending licmon's version.
	LicmonVersion string `json:"licmon_version"`
	// Key is the dedup key, e.g. "prod/lm-task-failed".
	Key string `json:"key"`
	// Site, Rule, Severity ("critical"|"warning"|"ok") and Status
	// ("firing"|"resolved") are copied from the alert.
	Site     string `json:"site"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
	// Title is the raw alert title; Text the rendered headline with state
	// ("🔴 CRITICAL: …", "✅ RESOLVED: …") for receivers that show one line.
	Title   string `json:"title"`
	Text    string `json:"text"`
	Summary string `json:"summary"`
	// Details are extra facts, one per entry.
	Details []string `json:"details"`
	// Diagnosis is present when a script log was diagnosed.
	Diagnosis *Diagnosis `json:"diagnosis,omitempty"`
	// LogHead and LogTail are the first and last script-log lines.
	LogHead []string `json:"log_head"`
	LogTail []string `json:"log_tail"`
	// DashboardURL links to the licmon dashboard ("" if not configured).
	DashboardURL string `json:"dashboard_url"`
	// StartsAt is when the condition began; EndsAt is set when resolved.
	StartsAt time.Time  `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at,omitempty"`
	// Labels are free-form key/values; never null.
	Labels map[string]string `json:"labels"`
}

// Diagnosis is the script-log diagnosis in [Payload].
type Diagnosis struct {
	Code       string `json:"code"`
	Connection string `json:"connection"`
	Line       int    `json:"line"`
	Statement  string `json:"statement"`
	Error      string `json:"error"`
	Hint       string `json:"hint"`
}

// Notifier posts alerts to one webhook receiver.
type Notifier struct {
	target  *httppost.Target
	header  http.Header
	secret  []byte
	version string
}

// New validates cfg, reads its *_file secrets and returns a Notifier.
func New(cfg Config, opts httppost.Options) (*Notifier, error) {
	t, err := httppost.NewTarget(cfg.Name, "webhook", cfg.URL, cfg.URLFile, cfg.Timeout, opts)
	if err != nil {
		return nil, err
	}
	cerr := func(field string, err error) error {
		return &notify.ConfigError{Channel: t.Name, Field: field, Err: err}
	}
	n := &Notifier{target: t, header: http.Header{}, version: opts.Version}
	for k, v := range cfg.Headers {
		if err := checkHeader(k, v); err != nil {
			return nil, cerr("headers", err)
		}
		n.header.Set(k, v)
	}
	for k, file := range cfg.HeaderFiles {
		if _, dup := cfg.Headers[k]; dup {
			return nil, cerr("header_files", fmt.Errorf("header %q is also set in headers", k))
		}
		v, err := notify.ReadSecret("header", "", file)
		if err != nil {
			return nil, cerr("header_files", fmt.Errorf("header %q: %w", k, err))
		}
		if err := checkHeader(k, v); err != nil {
			return nil, cerr("header_files", err)
		}
		n.header.Set(k, v)
	}
	secret, err := notify.ReadSecret("secret", cfg.Secret, cfg.SecretFile)
	if err != nil {
		return nil, cerr("secret", err)
	}
	n.secret = []byte(secret)
	n.header.Set("User-Agent", opts.UserAgent())
	n.header.Set("Content-Type", "application/json")
	return n, nil
}

func checkHeader(k, v string) error {
	if k == "" || strings.ContainsAny(k, " \t\r\n:") {
		return fmt.Errorf("invalid header name %q", k)
	}
	if strings.ContainsAny(v, "\r\n") {
		// Do not echo the value: it is often a token.
		return fmt.Errorf("header %q value contains a line break", textproto.CanonicalMIMEHeaderKey(k))
	}
	return nil
}

// Name implements notify.Notifier.
func (n *Notifier) Name() string { return n.target.Name }

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, a notify.Alert) (bool, error) {
	body, err := Encode(a, n.version)
	if err != nil {
		return false, err
	}
	h := n.header.Clone()
	if len(n.secret) > 0 {
		h.Set(SignatureHeader, Sign(n.secret, body))
	}
	return n.target.Post(ctx, h, body)
}

// Sign returns the X-Licmon-Signature value for body: "sha256=" followed by
// the lower-case hex HMAC-SHA256 of body keyed with secret. Receivers should
// compare it with hmac.Equal.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// NewPayload builds the payload for a.
func NewPayload(a notify.Alert, version string) Payload {
	msg := notify.Render(a)
	p := Payload{
		Version:       PayloadVersion,
		LicmonVersion: version,
		Key:           a.Key,
		Site:          a.Site,
		Rule:          a.Rule,
		Severity:      msg.Severity,
		Status:        a.Status,
		Title:         a.Title,
		Text:          msg.TitleLine(),
		Summary:       a.Summary,
		Details:       orEmpty(a.Details),
		LogHead:       orEmpty(a.LogHead),
		LogTail:       orEmpty(a.LogTail),
		DashboardURL:  a.DashboardURL,
		StartsAt:      a.StartsAt.UTC(),
		Labels:        a.Labels,
	}
	if p.Status == "" {
		p.Status = notify.StatusFiring
	}
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	if a.Resolved() && !a.EndsAt.IsZero() {
		t := a.EndsAt.UTC()
		p.EndsAt = &t
	}
	if d := a.Diagnosis; d != nil {
		p.Diagnosis = &Diagnosis{Code: d.Code, Connection: d.Connection, Line: d.Line, Statement: d.Statement, Error: d.Error, Hint: d.Hint}
	}
	return p
}

// Encode returns the JSON body for a, exactly as posted. HTML escaping is
// off so that "<", ">" and "&" in log lines stay readable in receivers that
// show the raw body; the output is still valid JSON.
func Encode(a notify.Alert, version string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(NewPayload(a, version)); err != nil {
		return nil, fmt.Errorf("encode webhook payload: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
