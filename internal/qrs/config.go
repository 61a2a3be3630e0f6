package qrs

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// AuthMode selects how the client authenticates to QRS.
type AuthMode int

const (
	// AuthCertificate is mutual TLS with the exported client.pem/client_key.pem directly against
	// QRS on port 4242; the X-Qlik-User header picks the user whose rights apply.
	AuthCertificate AuthMode = iota
	// AuthJWT sends "Authorization: Bearer <JWT>" through a JWT virtual proxy prefix
	// (https://host/<prefix>); no client certificate.
	AuthJWT
	// AuthHeader sends a configured header (e.g. "hdr-usr: DIR\user") through a header
	// authentication virtual proxy; no client certificate.
	AuthHeader
)

// String names the mode as used in flags and messages.
func (m AuthMode) String() string {
	switch m {
	case AuthCertificate:
		return "certificate"
	case AuthJWT:
		return "jwt"
	case AuthHeader:
		return "header"
	}
	return fmt.Sprintf("AuthMode(%d)", int(m))
}

// ParseAuthMode parses "certificate"/"cert", "jwt" or "header".
func ParseAuthMode(s string) (AuthMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "certificate", "cert":
		return AuthCertificate, nil
	case "jwt":
		return AuthJWT, nil
	case "header":
		return AuthHeader, nil
	}
	return 0, fmt.Errorf("parse auth mode %q: use certificate, jwt or header", s)
}

// Defaults applied by New for zero Config fields.
const (
	DefaultUserDirectory = "INTERNAL"
	DefaultUserID        = "sa_api"
	DefaultTimeout       = 30 * time.Second
	DefaultRetries       = 3
	DefaultRetryBackoff  = 500 * time.Millisecond
	DefaultUserAgent     = "licmon-qrs/1"
)

// Config describes how to reach and authenticate to QRS.
type Config struct {
	// Server is the base URL: https://qlik.example.com:4242 for direct QRS, or
	// https://host/prefix for a virtual proxy. Requests go to Server + "/qrs/...".
	Server string
	// CertFile, KeyFile and CAFile are client.pem, client_key.pem and root.pem as exported from
	// the QMC. KeyFile may be empty when CertFile also holds the key. CAFile empty means the
	// system roots, which never contain a Qlik site CA.
	CertFile, KeyFile, CAFile string
	// Insecure skips server certificate verification; the caller should warn loudly.
	Insecure bool
	// ServerName overrides the name used for TLS SNI and verification, for when the DNS name
	// dialled is not in the server certificate.
	ServerName string
	// UserDirectory and UserID form X-Qlik-User in certificate mode (default INTERNAL\sa_api).
	UserDirectory, UserID string
	// Auth selects certificate (default), JWT or header authentication.
	Auth AuthMode
	// JWT is the signed token for AuthJWT. It is never logged.
	JWT string
	// HeaderName and HeaderValue are the header for AuthHeader, e.g. "hdr-usr" and `DIR\user`.
	HeaderName, HeaderValue string
	// Timeout bounds the wait for response headers and every gap between body reads, so a large
	// streamed list is not cut off while it is still arriving (default 30s).
	Timeout time.Duration
	// Retries is how many times an idempotent GET is retried after a 5xx, 429 or transient
	// network error (default 3; negative disables retries).
	Retries int
	// RetryBackoff is the first backoff; it doubles per attempt with jitter (default 500ms).
	RetryBackoff time.Duration
	// Limits bound the size of answers (zero fields: the defaults).
	Limits Limits
	// UserAgent is sent on every request (default "licmon-qrs/1").
	UserAgent string
	// HTTPClient replaces the client built from the TLS settings (tests, custom proxies).
	HTTPClient *http.Client
	// Transport replaces only the transport; the client keeps its cookie jar.
	Transport http.RoundTripper
	// Logger receives debug logs of requests (never secrets). Nil discards.
	Logger *slog.Logger
	// Now is the clock used for certificate validity checks; nil means time.Now.
	Now func() time.Time
}

// LogValue masks secrets so a Config can be logged safely.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("server", RedactURL(c.Server)),
		slog.String("auth", c.Auth.String()),
		slog.String("cert", c.CertFile),
		slog.String("key", c.KeyFile),
		slog.String("ca", c.CAFile),
		slog.Bool("insecure", c.Insecure),
		slog.String("user", c.UserDirectory+`\`+c.UserID),
		slog.String("jwt", mask(c.JWT)),
		slog.String("header", c.HeaderName+": "+mask(c.HeaderValue)),
	)
}

func mask(s string) string {
	if s == "" {
		return ""
	}
	return "***"
}

// Client is a QRS client. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	cfg      Config
	hc       *http.Client
	log      *slog.Logger
	identity string
	qlikUser string
}

// New validates cfg, loads the certificates and returns a client. Certificate problems come back
// as *CertError with a hint saying how to fix them.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.Server) == "" {
		return nil, errors.New("create QRS client: server URL is empty: pass e.g. https://qlik.example.com:4242")
	}
	base, err := url.Parse(strings.TrimSpace(cfg.Server))
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, fmt.Errorf("create QRS client: server %q is not a URL like https://qlik.example.com:4242 or https://host/prefix", RedactURL(cfg.Server))
	}
	base.Path = strings.TrimSuffix(base.Path, "/")
	base.RawPath = ""
	base.RawQuery, base.Fragment = "", ""
	if strings.HasSuffix(strings.ToLower(base.Path), "/qrs") {
		// A user pasting ".../qrs" would otherwise get ".../qrs/qrs/about".
		base.Path = base.Path[:len(base.Path)-4]
	}
	if cfg.UserDirectory == "" {
		cfg.UserDirectory = DefaultUserDirectory
	}
	if cfg.UserID == "" {
		cfg.UserID = DefaultUserID
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Retries == 0 {
		cfg.Retries = DefaultRetries
	} else if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = DefaultRetryBackoff
	}
	cfg.Limits.defaults()
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{base: base, cfg: cfg, log: log}

	switch cfg.Auth {
	case AuthCertificate:
		c.qlikUser = fmt.Sprintf("UserDirectory=%s; UserId=%s", cfg.UserDirectory, cfg.UserID)
	case AuthJWT:
		if strings.TrimSpace(cfg.JWT) == "" {
			return nil, errors.New("create QRS client: JWT authentication needs a token: pass the signed JWT for the virtual proxy")
		}
		if base.Path == "" {
			log.Warn("JWT authentication without a virtual proxy prefix in the server URL; QRS on 4242 does not accept JWTs", "server", RedactURL(base.String()))
		}
	case AuthHeader:
		if strings.TrimSpace(cfg.HeaderName) == "" || strings.TrimSpace(cfg.HeaderValue) == "" {
			return nil, errors.New("create QRS client: header authentication needs a header name and value, e.g. hdr-usr and DIR\\user")
		}
	default:
		return nil, fmt.Errorf("create QRS client: unknown auth mode %d", int(cfg.Auth))
	}

	var certIdentity string
	switch {
	case cfg.HTTPClient != nil:
		c.hc = cfg.HTTPClient
	default:
		rt := cfg.Transport
		if rt == nil {
			tr, subject, err := buildTransport(cfg, log)
			if err != nil {
				return nil, err
			}
			rt, certIdentity = tr, subject
		}
		c.hc = &http.Client{Transport: rt}
		if cfg.Auth != AuthCertificate {
			// The proxy issues a session cookie on the first call; reusing it avoids a new
			// session (and, for analyzer capacity, consumption) per request.
			jar, err := cookiejar.New(nil)
			if err != nil {
				return nil, fmt.Errorf("create cookie jar: %w", err)
			}
			c.hc.Jar = jar
		}
	}
	c.identity = identityString(cfg, certIdentity)
	return c, nil
}

// Identity describes who the client authenticates as, for messages (no secrets).
func (c *Client) Identity() string { return c.identity }

// BaseURL returns the server base URL requests are built on.
func (c *Client) BaseURL() string { return c.base.String() }

func identityString(cfg Config, certSubject string) string {
	switch cfg.Auth {
	case AuthJWT:
		if u := jwtUser(cfg.JWT); u != "" {
			return "JWT user " + u + " (via virtual proxy)"
		}
		return "JWT bearer token (user claims unreadable)"
	case AuthHeader:
		// The header value is the credential (whoever sends it is that
		// user), so like the JWT it is never shown.
		return fmt.Sprintf("header %s with the configured value (via virtual proxy)", cfg.HeaderName)
	}
	s := fmt.Sprintf(`X-Qlik-User %s\%s`, cfg.UserDirectory, cfg.UserID)
	if certSubject != "" {
		s = "client certificate " + certSubject + " + " + s
	}
	return s
}

// jwtUser reads the user claims of a JWT without verifying it, only to name the identity in hints.
func jwtUser(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) < 2 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	var dir, id string
	for k, v := range claims {
		s, ok := v.(string)
		if !ok {
			continue
		}
		switch strings.ToLower(k) {
		case "userdirectory", "user_directory", "ud":
			dir = s
		case "userid", "user_id", "uid":
			id = s
		case "sub":
			if id == "" {
				id = s
			}
		}
	}
	if dir != "" && id != "" {
		return dir + `\` + id
	}
	return id
}

// RedactURL returns the URL s with its user information (user:password@)
// replaced by *****, for every place a server URL is printed: config
// check, errors, check output, the dashboard and the API. It works on the
// text, so a URL that does not parse is masked too.
func RedactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return s
	}
	return scheme + "://*****@" + rest[at+1:]
}
