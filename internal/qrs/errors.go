package qrs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// Kind classifies an *Error so callers can react without string matching.
type Kind int

// Error kinds.
const (
	KindHTTP                  Kind = iota // a non-2xx HTTP status (see Status)
	KindXSRF                              // 403 "XSRF prevention check failed"
	KindTLSUnknownAuthority               // server certificate not signed by the trusted CA
	KindTLSHostname                       // server certificate does not name the host dialled
	KindTLSServerCertExpired              // server certificate expired or not yet valid
	KindTLSClientCertRejected             // the server refused our client certificate (or none was sent)
	KindTLS                               // another TLS failure
	KindConnRefused                       // nothing listens on the port
	KindDNS                               // the host name does not resolve
	KindTimeout                           // no answer within Config.Timeout
	KindCanceled                          // the caller's context was cancelled
	KindNetwork                           // another network failure
	KindDecode                            // the body is not the JSON expected
	KindNoScriptLog                       // the execution has no script log
	KindTaskNotStarted                    // start/synchronous returned no session
	KindTooLarge                          // the answer exceeded a Limits bound (wraps ErrTooLarge)
	KindDeadline                          // the command's total deadline (WithDeadline) passed
)

var kindNames = []string{"http", "xsrf", "tls-unknown-authority", "tls-hostname", "tls-server-cert-expired",
	"tls-client-cert-rejected", "tls", "connection-refused", "dns", "timeout", "canceled", "network", "decode",
	"no-script-log", "task-not-started", "too-large", "deadline"}

// String names the kind.
func (k Kind) String() string { return enumName(kindNames, int(k), "Kind") }

// Error is a failed QRS call. Path never contains the xrfkey.
type Error struct {
	Method string
	Path   string
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Body is the start of the response body (at most maxErrorBody bytes).
	Body string
	// Identity is who the request authenticated as (no secrets).
	Identity string
	// Hint says what the user can do about it.
	Hint string
	Kind Kind
	Err  error
}

const maxErrorBody = 2048

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Path)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d %s", e.Status, http.StatusText(e.Status))
		if body := strings.TrimSpace(e.Body); body != "" && e.Kind != KindDecode {
			b.WriteString(": ")
			b.WriteString(truncate(strings.Join(strings.Fields(body), " "), 300))
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString("\n  hint: ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsStatus reports whether err is a QRS response with the given HTTP status.
func IsStatus(err error, status int) bool {
	e, ok := asError(err)
	return ok && e.Status == status
}

// IsNotFound reports whether QRS answered 404.
func IsNotFound(err error) bool { return IsStatus(err, http.StatusNotFound) }

// IsKind reports whether err is an *Error of kind k.
func IsKind(err error, k Kind) bool {
	e, ok := asError(err)
	return ok && e.Kind == k
}

// IsNoScriptLog reports whether the execution has no script log.
func IsNoScriptLog(err error) bool { return IsKind(err, KindNoScriptLog) }

// ErrTaskNotStarted is wrapped by the error StartTaskSynchronous returns for an empty session id.
var ErrTaskNotStarted = errors.New("task did not start: running already, disabled, no scheduler, or app unavailable")

// ErrNoScriptLog is wrapped by the error FetchScriptLog returns when there is no log.
var ErrNoScriptLog = errors.New("no script log for this execution")

// errRequestTimeout is the cancellation cause of a request whose idle timer fired.
var errRequestTimeout = errors.New("no response within the timeout")

// statusHint explains an HTTP error status.
func (c *Client) statusHint(status int, body, path string) (Kind, string) {
	entity := entityOf(path)
	switch status {
	case http.StatusUnauthorized:
		switch c.cfg.Auth {
		case AuthJWT:
			return KindHTTP, fmt.Sprintf("the virtual proxy did not accept the JWT (%s): check the token's signature certificate, expiry and the user/directory claim names configured on the virtual proxy", c.identity)
		case AuthHeader:
			return KindHTTP, fmt.Sprintf("the virtual proxy did not accept %s: check the header name and the user directory pattern configured on the header authentication virtual proxy", c.identity)
		}
		return KindHTTP, fmt.Sprintf("not authenticated as %s: on port 4242 use the client certificate exported from this site; through the proxy use --auth jwt or --auth header", c.identity)
	case http.StatusForbidden:
		if strings.Contains(body, "XSRF") {
			return KindXSRF, "QRS did not see the same xrfkey in the query string and the X-Qlik-Xrfkey header: a proxy, load balancer or WAF between licmon and Qlik is probably stripping the query string or the header, or rewriting the URL (a '#' in a filter also cuts the query)"
		}
		return KindHTTP, fmt.Sprintf("%s is not allowed to read %s: give that user the RootAdmin role, or security rules granting read on %s (in certificate mode set the X-Qlik-User user with --user, e.g. INTERNAL\\sa_api)", c.identity, entity, entity)
	case http.StatusNotFound:
		return KindHTTP, fmt.Sprintf("%s does not exist on this server (unknown id, or an endpoint this Qlik Sense version lacks)", path)
	case http.StatusBadRequest:
		if strings.Contains(body, "Cannot parse") || strings.Contains(body, "Missing parameter") {
			return KindHTTP, "QRS could not parse the filter/orderby: quote strings with single quotes, leave GUIDs unquoted"
		}
	case http.StatusConflict:
		return KindHTTP, fmt.Sprintf("%s changed on the server since it was read (its modifiedDate is newer), or the change clashes with existing data: read it again and decide whether the change still applies", entity)
	case http.StatusMethodNotAllowed:
		return KindHTTP, "this Qlik Sense version does not support this call"
	}
	if status >= 500 {
		return KindHTTP, "the repository service failed; check that the Qlik Sense Repository Service is running and its log (C:\\ProgramData\\Qlik\\Sense\\Log\\Repository\\Trace)"
	}
	return KindHTTP, ""
}

func entityOf(path string) string {
	p := strings.TrimPrefix(path, "/")
	if i := strings.Index(p, "qrs/"); i >= 0 {
		p = p[i+4:]
	}
	if i := strings.IndexAny(p, "?"); i >= 0 {
		p = p[:i]
	}
	parts := strings.Split(p, "/")
	if len(parts) >= 2 && parts[0] == "license" {
		return "license/" + parts[1]
	}
	if len(parts) > 0 && parts[0] != "" {
		return parts[0]
	}
	return "this resource"
}

// classifyTransport explains an error from http.Client.Do or a body read.
func (c *Client) classifyTransport(ctx, attemptCtx context.Context, err error) (Kind, string) {
	if de, ok := deadlineCause(ctx); ok {
		return KindDeadline, fmt.Sprintf("the QRS at %s answered too slowly to finish within %s: check the server's load and the network; a longer --timeout also lengthens the deadline", c.base.Host, de.Limit)
	}
	if ctx.Err() != nil {
		return KindCanceled, "the operation was cancelled"
	}
	if attemptCtx != nil && context.Cause(attemptCtx) == errRequestTimeout || errors.Is(err, errRequestTimeout) {
		return KindTimeout, fmt.Sprintf("no answer from %s within %s: is the repository service up and port %s open through the firewall? Large lists on slow sites may need a longer --timeout", c.base.Host, c.cfg.Timeout, c.port())
	}
	var hostErr x509.HostnameError
	if errors.As(err, &hostErr) && hostErr.Certificate != nil {
		names := certNames(hostErr.Certificate)
		return KindTLSHostname, fmt.Sprintf("the server certificate is for %s, not %q: use --server with one of those names, or set the TLS server name override to one of them", strings.Join(names, ", "), hostErr.Host)
	}
	var uaErr x509.UnknownAuthorityError
	if errors.As(err, &uaErr) {
		issuer := ""
		if uaErr.Cert != nil {
			issuer = fmt.Sprintf(" (issued by %q)", uaErr.Cert.Issuer.CommonName)
		}
		if c.cfg.CAFile != "" {
			return KindTLSUnknownAuthority, fmt.Sprintf("the server certificate%s is not signed by the CA in %s: use the root.pem exported from this site's QMC, or --insecure to test", issuer, c.cfg.CAFile)
		}
		return KindTLSUnknownAuthority, fmt.Sprintf("the server certificate%s is not trusted by the system roots: pass the site's root.pem (QMC certificate export), or --insecure to test", issuer)
	}
	var invErr x509.CertificateInvalidError
	if errors.As(err, &invErr) && invErr.Reason == x509.Expired {
		return KindTLSServerCertExpired, "the server certificate is expired or not yet valid: check both machines' clocks and the Qlik certificates"
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "certificate required"), strings.Contains(msg, "bad certificate"),
		strings.Contains(msg, "unknown certificate authority"), strings.Contains(msg, "expired certificate"),
		strings.Contains(msg, "certificate revoked"), strings.Contains(msg, "unsupported certificate"):
		if c.cfg.Auth != AuthCertificate {
			return KindTLSClientCertRejected, fmt.Sprintf("the server demands a client certificate (%s): port 4242 needs certificate authentication; for jwt/header use the proxy URL https://host/<prefix>", tlsAlert(msg))
		}
		return KindTLSClientCertRejected, fmt.Sprintf("the server rejected the client certificate (%s): use client.pem/client_key.pem exported from this site's QMC; a certificate from another site or an old export is refused", tlsAlert(msg))
	case strings.Contains(msg, "tls:"), strings.Contains(msg, "x509:"):
		if strings.Contains(msg, "first record does not look like a TLS handshake") || strings.Contains(msg, "server gave HTTP response") {
			return KindTLS, "the server answered plain HTTP: check the scheme and port in --server (QRS is https on 4242)"
		}
		return KindTLS, "TLS handshake failed: check --server, the CA file and the client certificate"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return KindDNS, fmt.Sprintf("the host name %q does not resolve: check the spelling of --server or use the node's FQDN or IP as shown in QMC > Nodes", c.base.Hostname())
	}
	if errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(msg, "connection refused") || strings.Contains(msg, "actively refused") {
		return KindConnRefused, fmt.Sprintf("nothing accepted the connection on %s: is the Qlik Sense Repository Service running on that node, and is port %s the right one (4242 direct, 443 via the proxy)?", c.base.Host, c.port())
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return KindTimeout, fmt.Sprintf("the connection to %s timed out: is port %s open through the firewall from this machine?", c.base.Host, c.port())
	}
	closed := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		strings.Contains(msg, "connection reset")
	if closed && c.base.Scheme == "https" && c.speaksPlainHTTP(ctx) {
		return KindTLS, fmt.Sprintf("the server at %s speaks plain HTTP, not HTTPS: use http:// in --server, or the right port (the QRS is https on 4242, the proxy https on 443)", c.base.Host)
	}
	return KindNetwork, ""
}

// speaksPlainHTTP tells, after an https connection was closed with no TLS
// answer (the bare "EOF" a plain-HTTP server gives some clients), whether
// the server answers plain HTTP on that port instead. A server that
// completes a TLS handshake does not count: it speaks HTTPS and closed for
// another reason.
func (c *Client) speaksPlainHTTP(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addr := net.JoinHostPort(c.base.Hostname(), c.port())
	d := &net.Dialer{Timeout: 3 * time.Second}
	// Only the handshake is tried, no request is sent: verification does
	// not matter here, only whether TLS is spoken at all.
	td := tls.Dialer{NetDialer: d, Config: &tls.Config{InsecureSkipVerify: true, ServerName: c.base.Hostname()}} // #nosec G402
	if conn, err := td.DialContext(ctx, "tcp", addr); err == nil {
		conn.Close()
		return false
	}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := fmt.Fprintf(conn, "HEAD / HTTP/1.0\r\nHost: %s\r\n\r\n", c.base.Host); err != nil {
		return false
	}
	b := make([]byte, 5)
	_, err = io.ReadFull(conn, b)
	return err == nil && string(b) == "HTTP/"
}

func tlsAlert(msg string) string {
	if i := strings.LastIndex(msg, "tls: "); i >= 0 {
		return msg[i+5:]
	}
	return msg
}

func certNames(cert *x509.Certificate) []string {
	var names []string
	names = append(names, cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && cert.Subject.CommonName != "" {
		names = append(names, "CN "+cert.Subject.CommonName+" (no SANs; Go needs a SAN)")
	}
	return names
}

func (c *Client) port() string {
	if p := c.base.Port(); p != "" {
		return p
	}
	if c.base.Scheme == "http" {
		return "80"
	}
	return "443"
}
