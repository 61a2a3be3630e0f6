// Package email delivers licmon alerts by SMTP (through go-mail, because
// net/smtp is frozen and lacks AUTH LOGIN, which Exchange relays need) as a
// multipart/alternative message: a plain-text part and an HTML part with
// the same content.
package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"text/template"

	gomail "github.com/wneessen/go-mail"

	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/httppost"
)

// Notifier sends alerts to a fixed list of recipients through one SMTP
// server.
type Notifier struct {
	s    *settings
	opts httppost.Options
}

// New validates cfg (addresses, TLS and auth combination, subject template,
// CA file), reads password_file and returns a Notifier. It does not connect.
func New(cfg Config, opts httppost.Options) (*Notifier, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	return &Notifier{s: s, opts: opts}, nil
}

// Name implements notify.Notifier.
func (n *Notifier) Name() string { return n.s.name }

// Notify implements notify.Notifier: one SMTP session per alert.
func (n *Notifier) Notify(ctx context.Context, a notify.Alert) (bool, error) {
	msg, err := n.Message(a)
	if err != nil {
		return false, err
	}
	client, err := gomail.NewClient(n.s.host, n.s.clientOptions()...)
	if err != nil {
		return false, fmt.Errorf("set up SMTP client for %s:%d: %w", n.s.host, n.s.port, err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.s.timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(ctx, err), fmt.Errorf("send mail via %s:%d: %w", n.s.host, n.s.port, err)
	}
	return false, nil
}

// Message builds the e-mail for a without sending it.
func (n *Notifier) Message(a notify.Alert) (*gomail.Msg, error) {
	subject, err := renderSubject(n.s.subject, a)
	if err != nil {
		return nil, err
	}
	m := notify.Render(a)
	html, err := HTML(m)
	if err != nil {
		return nil, err
	}
	msg := gomail.NewMsg()
	if err := msg.From(n.s.from); err != nil {
		return nil, fmt.Errorf("set sender: %w", err)
	}
	if err := msg.To(n.s.to...); err != nil {
		return nil, fmt.Errorf("set recipients: %w", err)
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetUserAgent(n.opts.UserAgent())
	if a.Key != "" {
		msg.SetGenHeader("X-Licmon-Alert-Key", a.Key)
	}
	msg.SetGenHeader("X-Licmon-Alert-Status", m.Label)
	msg.SetBodyString(gomail.TypeTextPlain, m.PlainText())
	msg.AddAlternativeString(gomail.TypeTextHTML, html)
	return msg, nil
}

func renderSubject(t *template.Template, a notify.Alert) (string, error) {
	m := notify.Render(a)
	data := SubjectData{
		Key: a.Key, Site: a.Site, Rule: a.Rule, Severity: m.Severity, Status: a.Status, Title: a.Title,
		Label: m.Label, Headline: m.Headline, Emoji: m.Emoji,
	}
	if data.Status == "" {
		data.Status = notify.StatusFiring
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render subject template: %w", err)
	}
	// A subject is one header line: collapse newlines from titles.
	return notify.Truncate(strings.Join(strings.Fields(b.String()), " "), 250), nil
}

// classify decides whether an SMTP failure is worth retrying: 4xx replies
// and network trouble are, 5xx replies (bad recipient, auth rejected), TLS
// verification and missing server features are not.
func classify(ctx context.Context, err error) bool {
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return false
	}
	var tpe *textproto.Error
	if errors.As(err, &tpe) {
		return tpe.Code >= 400 && tpe.Code < 500
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.IsTemp()
	}
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr) {
		return false
	}
	msg := err.Error()
	for _, permanent := range []string{"does not support STARTTLS", "does not support SMTP AUTH", "auth not supported", "unencrypted connection"} {
		if strings.Contains(msg, permanent) {
			return false
		}
	}
	return true
}
