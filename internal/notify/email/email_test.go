package email

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/httppost"
)

var now = time.Date(2026, 11, 26, 19, 0, 0, 0, time.UTC)

var tiny = notify.RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Microsecond, MaxBackoff: time.Microsecond, MaxElapsed: time.Minute}

func baseConfig(f *fakeSMTP) Config {
	return Config{
		Host: "127.0.0.1", Port: f.port, CAFile: f.caFile,
		Username: "licmon@example.com", Password: "hunter2",
		From: "licmon <licmon@example.com>", To: []string{"qlik-admins@example.com", "Ops <ops@example.com>"},
		HelloName: "licmon.test", Timeout: 5 * time.Second,
	}
}

type parsedMail struct {
	header     mail.Header
	subject    string
	text, html string
}

func parseMail(t *testing.T, raw string) parsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, raw)
	}
	var p parsedMail
	p.header = msg.Header
	p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = part
		if part.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(part)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.text = string(b)
		case "text/html":
			p.html = string(b)
		}
	}
	return p
}

func TestEmailSTARTTLSAuthPlain(t *testing.T) {
	f := newFakeSMTP(t, false)
	cfg := baseConfig(f)
	cfg.Password = ""
	cfg.PasswordFile = filepath.Join(t.TempDir(), "pw")
	os.WriteFile(cfg.PasswordFile, []byte("hunter2\n"), 0o600)
	n, err := New(cfg, httppost.Options{Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if err := notify.Test(t.Context(), n, tiny, now); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.authMech != "PLAIN" || f.authUser != "licmon@example.com" || f.authPass != "hunter2" {
		t.Errorf("auth = %s %s %s", f.authMech, f.authUser, f.authPass)
	}
	if !f.authOverTLS {
		t.Error("password was sent before STARTTLS")
	}
	if f.mailFrom != "licmon@example.com" || strings.Join(f.rcptTo, ",") != "qlik-admins@example.com,ops@example.com" {
		t.Errorf("envelope from %q to %q", f.mailFrom, f.rcptTo)
	}
	p := parseMail(t, f.data)
	if want := "[licmon] CRITICAL: License Monitor reload failed: HTTP 401 on monitor_apps_REST_license_user (prod)"; p.subject != want {
		t.Errorf("subject = %q, want %q", p.subject, want)
	}
	if p.header.Get("X-Licmon-Alert-Key") != "prod/lm-task-failed" || p.header.Get("Message-Id") == "" || p.header.Get("Date") == "" {
		t.Errorf("headers = %v", p.header)
	}
	for _, want := range []string{
		"🔴 CRITICAL: License Monitor reload failed",
		"Site:      prod",
		"Since:     2026-11-26 18:53:00 UTC",
		"  Connection:  monitor_apps_REST_license_user",
		"HTTP 401 <Unauthorized>",
		"    20261126T185704.000+0000      Execution Failed",
		"Dashboard: http://localhost:8480/alerts/prod/lm-task-failed",
	} {
		if !strings.Contains(p.text, want) {
			t.Errorf("text part lacks %q:\n%s", want, p.text)
		}
	}
	for _, want := range []string{
		"HTTP 401 &lt;Unauthorized&gt;",
		"<th align=\"left\" style=\"padding-right:16px\">Site</th><td>prod</td>",
		"The task &#34;Reload License Monitor&#34; failed",
		"0705 SQL SELECT &#34;id&#34;, &#34;lastUsed&#34;",
		`<a href="http://localhost:8480/alerts/prod/lm-task-failed">Open dashboard</a>`,
	} {
		if !strings.Contains(p.html, want) {
			t.Errorf("html part lacks %q:\n%s", want, p.html)
		}
	}
	if strings.Contains(p.html, "<Unauthorized>") {
		t.Error("html part has unescaped alert text")
	}
}

func TestEmailAuthLoginResolved(t *testing.T) {
	f := newFakeSMTP(t, false)
	cfg := baseConfig(f)
	cfg.Auth = "login"
	cfg.Subject = "{{.Emoji}} {{.Headline}} [{{.Site}}/{{.Rule}}]"
	n, err := New(cfg, httppost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := notify.SampleAlert(now)
	a.Status, a.EndsAt = notify.StatusResolved, now.Add(2*time.Minute)
	a.Title = "Reload <ok> & \"done\"\nsecond line"
	if err := notify.Send(t.Context(), n, a, tiny); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.authMech != "LOGIN" || !f.authOverTLS || f.authPass != "hunter2" {
		t.Errorf("auth %s overTLS=%v", f.authMech, f.authOverTLS)
	}
	p := parseMail(t, f.data)
	if want := `✅ RESOLVED: Reload <ok> & "done" second line [prod/lm-task-failed]`; p.subject != want {
		t.Errorf("subject = %q, want %q", p.subject, want)
	}
	if !strings.Contains(p.text, "✅ RESOLVED: Reload <ok>") || !strings.Contains(p.text, "Duration:     9m0s") {
		t.Errorf("text = %s", p.text)
	}
	if !strings.Contains(p.html, "RESOLVED: Reload &lt;ok&gt; &amp; &#34;done&#34;") {
		t.Errorf("html = %s", p.html)
	}
}

func TestEmailImplicitTLS(t *testing.T) {
	f := newFakeSMTP(t, true)
	cfg := baseConfig(f)
	cfg.TLSMode = TLSImplicit
	n, err := New(cfg, httppost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := notify.Test(t.Context(), n, tiny, now); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.authOverTLS || f.data == "" {
		t.Errorf("overTLS=%v data=%d bytes", f.authOverTLS, len(f.data))
	}
}

func TestEmailVerifiesCertificateByDefault(t *testing.T) {
	f := newFakeSMTP(t, false)
	cfg := baseConfig(f)
	cfg.CAFile = ""
	n, err := New(cfg, httppost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(t.Context(), notify.SampleAlert(now))
	if err == nil || retry {
		t.Fatalf("retry=%v err=%v, want permanent certificate error", retry, err)
	}
	f.mu.Lock()
	user := f.authUser
	f.mu.Unlock()
	if user != "" {
		t.Error("credentials were sent to an unverified server")
	}

	// Opt-in insecure mode reaches the server.
	cfg.InsecureSkipVerify = true
	n, _ = New(cfg, httppost.Options{})
	if _, err = n.Notify(t.Context(), notify.SampleAlert(now)); err != nil {
		t.Errorf("insecure: %v", err)
	}
}

func TestEmailRetryClassification(t *testing.T) {
	t.Run("421 greeting is retried", func(t *testing.T) {
		f := newFakeSMTP(t, false)
		f.mu.Lock()
		f.greet421 = 2
		f.mu.Unlock()
		n, _ := New(baseConfig(f), httppost.Options{})
		if err := notify.Send(t.Context(), n, notify.SampleAlert(now), tiny); err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.sessions != 3 || f.data == "" {
			t.Errorf("sessions = %d", f.sessions)
		}
	})
	t.Run("550 recipient is permanent", func(t *testing.T) {
		f := newFakeSMTP(t, false)
		f.mu.Lock()
		f.rejectRcpt = "ops@example.com"
		f.mu.Unlock()
		n, _ := New(baseConfig(f), httppost.Options{})
		err := notify.Send(t.Context(), n, notify.SampleAlert(now), tiny)
		if err == nil {
			t.Fatal("want error")
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.sessions != 1 {
			t.Errorf("sessions = %d, want 1 (not retried): %v", f.sessions, err)
		}
	})
	t.Run("wrong password is permanent and not echoed", func(t *testing.T) {
		f := newFakeSMTP(t, false)
		cfg := baseConfig(f)
		cfg.Password = "wrong-pw-XYZ"
		n, _ := New(cfg, httppost.Options{})
		retry, err := n.Notify(t.Context(), notify.SampleAlert(now))
		if err == nil || retry || strings.Contains(err.Error(), "wrong-pw-XYZ") {
			t.Errorf("retry=%v err=%v", retry, err)
		}
	})
	t.Run("closed port is retryable", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		cfg := Config{Host: "127.0.0.1", Port: port, From: "a@example.com", To: []string{"b@example.com"}}
		n, err := New(cfg, httppost.Options{})
		if err != nil {
			t.Fatal(err)
		}
		retry, err := n.Notify(t.Context(), notify.SampleAlert(now))
		if err == nil || !retry {
			t.Errorf("retry=%v err=%v", retry, err)
		}
	})
}

func TestEmailConfigErrors(t *testing.T) {
	ok := Config{Host: "smtp.example.com", From: "a@example.com", To: []string{"b@example.com"}}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"missing host", func(c *Config) { c.Host = "" }, "email config: host: required setting is empty"},
		{"host with port", func(c *Config) { c.Host = "smtp.example.com:25" }, `email config: host: "smtp.example.com:25" must be a host name or IP only; put the port in port`},
		{"bad from", func(c *Config) { c.From = "licmon at example" }, `email config: from: "licmon at example" is not an e-mail address: mail: no angle-addr`},
		{"bad to", func(c *Config) { c.To = []string{"ok@example.com", "nope"} }, `email config: to[1]: "nope" is not an e-mail address: mail: missing '@' or angle-addr`},
		{"no to", func(c *Config) { c.To = nil }, "email config: to: required setting is empty"},
		{"bad tls", func(c *Config) { c.TLSMode = "ssl" }, `email config: tls_mode: "ssl" is not one of starttls, opportunistic, implicit, none`},
		{"bad auth", func(c *Config) { c.Auth = "ntlm"; c.Username = "u"; c.Password = "p" }, `email config: auth: "ntlm" is not one of plain, login, cram-md5, none`},
		{"plain without tls", func(c *Config) { c.TLSMode = "none"; c.Username = "u"; c.Password = "p" }, "email config: auth: auth plain would send the password in clear text with tls_mode none; use starttls or implicit, or auth cram-md5"},
		{"auth without password", func(c *Config) { c.Username = "u" }, "email config: password: auth plain needs password or password_file"},
		{"bad template", func(c *Config) { c.Subject = "{{.Nope}}" }, `email config: subject: render subject template: template: subject:1:2: executing "subject" at <.Nope>: can't evaluate field Nope in type email.SubjectData`},
		{"missing ca", func(c *Config) { c.CAFile = "/nonexistent/ca.pem" }, "email config: ca_file: read CA bundle: open /nonexistent/ca.pem: no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mod(&c)
			_, err := New(c, httppost.Options{})
			var ce *notify.ConfigError
			if !errors.As(err, &ce) || err.Error() != tc.want {
				t.Errorf("err = %v\nwant  %s", err, tc.want)
			}
		})
	}
	if _, err := New(ok, httppost.Options{}); err != nil {
		t.Errorf("minimal config: %v", err)
	}
	s, _ := Config{Host: "h", Port: 465, From: "a@b.c", To: []string{"d@e.f"}}.settings()
	if s.tlsMode != TLSImplicit {
		t.Errorf("port 465 default tls_mode = %s", s.tlsMode)
	}
}
