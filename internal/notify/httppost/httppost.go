// Package httppost delivers alerts over HTTP for the webhook, Slack and
// Teams channels: one JSON POST with a per-attempt timeout, answers
// classified as retryable or not, URLs redacted in every error; package
// notify itself stays free of HTTP.
package httppost

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/termtext"
)

// DefaultTimeout bounds one delivery attempt when a channel sets none.
const DefaultTimeout = 10 * time.Second

// Options are the dependencies shared by all channels.
type Options struct {
	// Version is the licmon version, sent in payloads and User-Agent.
	Version string
	// Client is the HTTP client for webhook, Slack and Teams; nil means a
	// client with the default transport (which honours HTTPS_PROXY). The
	// per-attempt timeout comes from the channel config, not the client.
	Client *http.Client
}

// HTTPClient returns o.Client or a default client.
func (o Options) HTTPClient() *http.Client {
	if o.Client != nil {
		return o.Client
	}
	return &http.Client{}
}

// UserAgent is the User-Agent header licmon sends.
func (o Options) UserAgent() string {
	v := o.Version
	if v == "" {
		v = "dev"
	}
	return "licmon/" + v
}

// HTTPError is a non-2xx answer from a receiver.
type HTTPError struct {
	// URL is the redacted receiver URL.
	URL string
	// StatusCode and Status are from the response.
	StatusCode int
	Status     string
	// Body is the start of the response body, on one line (Slack and Teams
	// explain 400s there, e.g. "invalid_blocks").
	Body string
}

// Error implements error.
func (e *HTTPError) Error() string {
	s := fmt.Sprintf("post %s: HTTP %s", e.URL, e.Status)
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// Retryable reports whether the status is worth retrying: 408, 425, 429
// and 5xx are; other 4xx mean the request itself is wrong.
func (e *HTTPError) Retryable() bool {
	switch e.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return e.StatusCode >= 500
}

// PostJSON posts body to rawURL with the given headers, bounded by timeout,
// and classifies the outcome for [Notifier.Notify]. Errors show the URL only
// as [notify.RedactURL] does.
func PostJSON(ctx context.Context, client *http.Client, rawURL string, header http.Header, body []byte, timeout time.Duration) (retry bool, err error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	red := notify.RedactURL(rawURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("build request for %s: invalid URL", red)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return classifyTransport(ctx, red, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // allow connection reuse
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	he := &HTTPError{URL: red, StatusCode: resp.StatusCode, Status: resp.Status, Body: cleanSnippet(string(snippet))}
	if he.Status == "" {
		he.Status = fmt.Sprint(resp.StatusCode)
	}
	return he.Retryable(), he
}

// classifyTransport strips the URL from a client error (url.Error prints the
// full URL, token included) and decides whether a retry can help.
func classifyTransport(ctx context.Context, red string, err error) (bool, error) {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	wrapped := fmt.Errorf("post %s: %w", red, err)
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr):
		// A certificate problem needs a config change (ca_file), not time.
		return false, wrapped
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return false, wrapped
	}
	// Timeouts, refused or reset connections, DNS hiccups, proxies.
	return true, wrapped
}

func cleanSnippet(s string) string {
	return notify.Truncate(strings.Join(strings.Fields(termtext.Clean(s)), " "), 200)
}

// Target is where a channel that POSTs JSON sends its alerts: the checked
// URL (a secret: never printed whole), the timeout and the options. Webhook,
// Slack and Teams share it so that a URL is read, validated and posted to
// the same way everywhere.
type Target struct {
	// Name is the channel's name, for Notifier.Name.
	Name string
	// URL is the parsed endpoint, for channel-specific checks.
	URL     *url.URL
	raw     string
	timeout time.Duration
	opts    Options
}

// NewTarget reads the URL (url or url_file) of the channel named name (or
// def when empty), checks it and the timeout, and returns the target.
func NewTarget(name, def, rawURL, urlFile string, timeout time.Duration, opts Options) (*Target, error) {
	if name == "" {
		name = def
	}
	raw, err := notify.ReadSecret("url", rawURL, urlFile)
	if err != nil {
		return nil, &notify.ConfigError{Channel: name, Field: "url", Err: err}
	}
	u, err := notify.ParseWebhookURL(raw)
	if err != nil {
		return nil, &notify.ConfigError{Channel: name, Field: "url", Err: err}
	}
	if timeout < 0 {
		return nil, &notify.ConfigError{Channel: name, Field: "timeout", Err: fmt.Errorf("must not be negative")}
	}
	return &Target{Name: name, URL: u, raw: strings.TrimSpace(raw), timeout: timeout, opts: opts}, nil
}

// Post sends body with header (User-Agent added when missing); the bool
// says whether a failure is worth retrying.
func (t *Target) Post(ctx context.Context, header http.Header, body []byte) (bool, error) {
	if header == nil {
		header = http.Header{}
	}
	if header.Get("User-Agent") == "" {
		header.Set("User-Agent", t.opts.UserAgent())
	}
	return PostJSON(ctx, t.opts.HTTPClient(), t.raw, header, body, t.timeout)
}
