package email

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/mail"
	"os"
	"strings"
	"text/template"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/licmon/licmon/internal/notify"
)

// TLS modes for [Config.TLSMode].
const (
	// TLSStartTLS requires STARTTLS and fails if the server lacks it.
	TLSStartTLS = "starttls"
	// TLSOpportunistic uses STARTTLS when offered, plain text otherwise.
	TLSOpportunistic = "opportunistic"
	// TLSImplicit connects with TLS from the first byte (SMTPS, port 465).
	TLSImplicit = "implicit"
	// TLSNone never encrypts; only for a relay on the same host.
	TLSNone = "none"
)

// Auth mechanisms for [Config.Auth].
const (
	AuthPlain   = "plain"
	AuthLogin   = "login" // what Exchange / Office 365 relays usually want
	AuthCRAMMD5 = "cram-md5"
	AuthNone    = "none"
)

// DefaultSubject is the subject template when none is configured.
const DefaultSubject = "[licmon] {{.Label}}: {{.Title}} ({{.Site}})"

// Config is one e-mail channel in licmon.yaml.
type Config struct {
	// Name identifies this channel in logs and `licmon alert test`;
	// default "email".
	Name string `yaml:"name"`
	// Host and Port of the SMTP server; Port defaults to 465 for implicit
	// TLS and 587 otherwise.
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// TLSMode is starttls (default; implicit when port is 465),
	// opportunistic, implicit or none.
	TLSMode string `yaml:"tls_mode"`
	// Auth is plain, login, cram-md5 or none; default plain when a username
	// is set, none otherwise.
	Auth string `yaml:"auth"`
	// Username and Password (or PasswordFile) for SMTP AUTH.
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	// From is the sender address, e.g. "licmon <licmon@example.com>".
	From string `yaml:"from"`
	// To lists the recipients.
	To []string `yaml:"to"`
	// Subject is a text/template over [SubjectData]; default
	// [DefaultSubject].
	Subject string `yaml:"subject"`
	// CAFile adds a PEM CA bundle to trust (internal relays with a private
	// CA); the system roots stay trusted.
	CAFile string `yaml:"ca_file"`
	// ServerName overrides the TLS name checked in the server certificate.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify turns certificate verification off. Opt-in only,
	// for lab relays: it lets anyone on the path read the password.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// HelloName is the EHLO name; default the local host name.
	HelloName string `yaml:"hello_name"`
	// Timeout bounds one delivery attempt; default 30s.
	Timeout time.Duration `yaml:"timeout"`
}

// SubjectData is what the subject template sees.
type SubjectData struct {
	// Key, Site, Rule, Severity, Status and Title are copied from the alert.
	Key, Site, Rule, Severity, Status, Title string
	// Label is CRITICAL, WARNING, OK or RESOLVED.
	Label string
	// Headline is the title, prefixed "RESOLVED: " when resolved.
	Headline string
	// Emoji is the colour cue (🔴, 🟠, ✅).
	Emoji string
}

type settings struct {
	name      string
	host      string
	port      int
	tlsMode   string
	auth      string
	user      string
	password  string
	from      string
	to        []string
	subject   *template.Template
	tlsConfig *tls.Config
	helo      string
	timeout   time.Duration
}

func (c Config) settings() (*settings, error) {
	s := &settings{name: c.Name, helo: c.HelloName, timeout: c.Timeout}
	if s.name == "" {
		s.name = "email"
	}
	cerr := func(field string, err error) error {
		return &notify.ConfigError{Channel: s.name, Field: field, Err: err}
	}
	s.host = strings.TrimSpace(c.Host)
	if s.host == "" {
		return nil, cerr("host", notify.ErrMissing)
	}
	if strings.ContainsAny(s.host, ":/ ") {
		return nil, cerr("host", fmt.Errorf("%q must be a host name or IP only; put the port in port", s.host))
	}
	s.tlsMode = strings.ToLower(strings.TrimSpace(c.TLSMode))
	switch s.tlsMode {
	case "":
		s.tlsMode = TLSStartTLS
		if c.Port == 465 {
			s.tlsMode = TLSImplicit
		}
	case TLSStartTLS, TLSOpportunistic, TLSImplicit, TLSNone:
	default:
		return nil, cerr("tls_mode", fmt.Errorf("%q is not one of starttls, opportunistic, implicit, none", c.TLSMode))
	}
	s.port = c.Port
	switch {
	case s.port == 0 && s.tlsMode == TLSImplicit:
		s.port = 465
	case s.port == 0:
		s.port = 587
	case s.port < 0 || s.port > 65535:
		return nil, cerr("port", fmt.Errorf("%d is not a TCP port", c.Port))
	}
	s.user = c.Username
	pw, err := notify.ReadSecret("password", c.Password, c.PasswordFile)
	if err != nil {
		return nil, cerr("password", err)
	}
	s.password = pw
	s.auth = strings.ToLower(strings.TrimSpace(c.Auth))
	switch s.auth {
	case "":
		s.auth = AuthNone
		if s.user != "" {
			s.auth = AuthPlain
		}
	case AuthPlain, AuthLogin, AuthCRAMMD5, AuthNone:
	default:
		return nil, cerr("auth", fmt.Errorf("%q is not one of plain, login, cram-md5, none", c.Auth))
	}
	if s.auth != AuthNone {
		if s.user == "" {
			return nil, cerr("username", fmt.Errorf("auth %s needs a username", s.auth))
		}
		if s.password == "" {
			return nil, cerr("password", fmt.Errorf("auth %s needs password or password_file", s.auth))
		}
		if s.tlsMode == TLSNone && (s.auth == AuthPlain || s.auth == AuthLogin) {
			return nil, cerr("auth", fmt.Errorf("auth %s would send the password in clear text with tls_mode none; use starttls or implicit, or auth cram-md5", s.auth))
		}
	}
	if c.From == "" {
		return nil, cerr("from", notify.ErrMissing)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return nil, cerr("from", fmt.Errorf("%q is not an e-mail address: %w", c.From, err))
	}
	s.from = c.From
	if len(c.To) == 0 {
		return nil, cerr("to", notify.ErrMissing)
	}
	for i, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return nil, cerr(fmt.Sprintf("to[%d]", i), fmt.Errorf("%q is not an e-mail address: %w", to, err))
		}
		s.to = append(s.to, to)
	}
	subj := c.Subject
	if subj == "" {
		subj = DefaultSubject
	}
	s.subject, err = template.New("subject").Option("missingkey=error").Parse(subj)
	if err != nil {
		return nil, cerr("subject", fmt.Errorf("parse template: %w", err))
	}
	if _, err := renderSubject(s.subject, notify.SampleAlert(time.Unix(0, 0))); err != nil {
		return nil, cerr("subject", err)
	}
	s.tlsConfig = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify}
	if c.ServerName != "" {
		s.tlsConfig.ServerName = c.ServerName
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, cerr("ca_file", fmt.Errorf("read CA bundle: %w", err))
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, cerr("ca_file", fmt.Errorf("%s holds no PEM certificate", c.CAFile))
		}
		s.tlsConfig.RootCAs = pool
	}
	if c.Timeout < 0 {
		return nil, cerr("timeout", fmt.Errorf("must not be negative"))
	}
	if s.timeout == 0 {
		s.timeout = 30 * time.Second
	}
	return s, nil
}

func (s *settings) clientOptions() []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSConfig(s.tlsConfig),
	}
	switch s.tlsMode {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	switch s.auth {
	case AuthPlain:
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain))
	case AuthLogin:
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthLogin))
	case AuthCRAMMD5:
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthCramMD5))
	}
	if s.auth != AuthNone {
		opts = append(opts, gomail.WithUsername(s.user), gomail.WithPassword(s.password))
	}
	if s.helo != "" {
		opts = append(opts, gomail.WithHELO(s.helo))
	}
	return opts
}
