package qrs

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func aboutMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/about", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{}`) })
	return mux
}

func TestTLSErrorHints(t *testing.T) {
	site := newPKI(t, "site")
	other := newPKI(t, "other")

	t.Run("unknown authority names root.pem", func(t *testing.T) {
		srv := startTLS(t, site, tls.RequireAndVerifyClientCert, aboutMux())
		cfg := site.certConfig(srv)
		cfg.CAFile = other.caFile
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.About(t.Context())
		e := mustKind(t, err, KindTLSUnknownAuthority)
		if !strings.Contains(e.Hint, other.caFile) || !strings.Contains(e.Hint, "--insecure") {
			t.Errorf("hint %q should name %s and --insecure", e.Hint, other.caFile)
		}
		if strings.Contains(err.Error(), "xrfkey") {
			t.Errorf("error repeats the URL with the xrfkey: %v", err)
		}
	})

	t.Run("hostname mismatch lists SANs", func(t *testing.T) {
		p := newPKI(t, "named")
		certPEM, keyPEM := p.issue(t, "central", []string{"qlik-central.example.com"}, nil, false, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		var err error
		if p.serverTLS, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
			t.Fatal(err)
		}
		srv := startTLS(t, p, tls.RequireAndVerifyClientCert, aboutMux())
		c, err := New(p.certConfig(srv))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.About(t.Context())
		e := mustKind(t, err, KindTLSHostname)
		if !strings.Contains(e.Hint, "qlik-central.example.com") || !strings.Contains(e.Hint, "--server") {
			t.Errorf("hint %q should list the SAN and suggest --server", e.Hint)
		}
		// The ServerName override is the fix the hint offers.
		cfg := p.certConfig(srv)
		cfg.ServerName = "qlik-central.example.com"
		c2, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c2.About(t.Context()); err != nil {
			t.Fatalf("with ServerName override: %v", err)
		}
	})

	t.Run("no client certificate", func(t *testing.T) {
		srv := startTLS(t, site, tls.RequireAndVerifyClientCert, aboutMux())
		c, err := New(Config{Server: srv.URL, CAFile: site.caFile, Auth: AuthJWT, JWT: fakeJWT(`{}`), Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.About(t.Context())
		e := mustKind(t, err, KindTLSClientCertRejected)
		if !strings.Contains(e.Hint, "client certificate") {
			t.Errorf("hint %q", e.Hint)
		}
	})

	t.Run("server rejects client certificate from another site", func(t *testing.T) {
		srv := startTLS(t, site, tls.RequireAndVerifyClientCert, aboutMux())
		cfg := site.certConfig(srv)
		cfg.CertFile, cfg.KeyFile = other.certFile, other.keyFile
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.About(t.Context())
		e := mustKind(t, err, KindTLSClientCertRejected)
		if !strings.Contains(e.Hint, "rejected the client certificate") {
			t.Errorf("hint %q", e.Hint)
		}
	})

	t.Run("insecure skips verification", func(t *testing.T) {
		srv := startTLS(t, site, tls.RequireAndVerifyClientCert, aboutMux())
		cfg := site.certConfig(srv)
		cfg.CAFile, cfg.Insecure = "", true
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.About(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCertificateLoadingErrors(t *testing.T) {
	p := newPKI(t, "site")
	dir := t.TempDir()
	base := Config{Server: "https://qlik:4242", CertFile: p.certFile, KeyFile: p.keyFile, CAFile: p.caFile}

	check := func(t *testing.T, cfg Config, wants ...string) {
		t.Helper()
		_, err := New(cfg)
		var ce *CertError
		if !errors.As(err, &ce) {
			t.Fatalf("want *CertError, got %T %v", err, err)
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q should contain %q", err, w)
			}
		}
	}
	t.Run("missing client.pem", func(t *testing.T) {
		cfg := base
		cfg.CertFile = filepath.Join(dir, "client.pem")
		check(t, cfg, "client.pem not found in "+dir, "Certificates > Export")
	})
	t.Run("missing root.pem", func(t *testing.T) {
		cfg := base
		cfg.CAFile = filepath.Join(dir, "root.pem")
		check(t, cfg, "root.pem not found")
	})
	t.Run("root.pem without certificates", func(t *testing.T) {
		cfg := base
		cfg.CAFile = filepath.Join(dir, "empty-root.pem")
		writeFile(t, cfg.CAFile, []byte("not a certificate\n"))
		check(t, cfg, "contains no PEM certificates")
	})
	t.Run("encrypted PKCS8 key", func(t *testing.T) {
		cfg := base
		cfg.KeyFile = filepath.Join(dir, "client_key.pem")
		writeFile(t, cfg.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}}))
		check(t, cfg, "client_key.pem is encrypted", "without a password", "ACLs")
	})
	t.Run("encrypted legacy key", func(t *testing.T) {
		cfg := base
		cfg.KeyFile = filepath.Join(dir, "legacy_key.pem")
		writeFile(t, cfg.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
			Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00"}, Bytes: []byte{1}}))
		check(t, cfg, "is encrypted")
	})
	t.Run("key does not match certificate", func(t *testing.T) {
		other := newPKI(t, "other")
		cfg := base
		cfg.KeyFile = other.keyFile
		check(t, cfg, "does not belong to certificate", "same QMC export")
	})
	t.Run("expired client certificate", func(t *testing.T) {
		certPEM, keyPEM := p.issue(t, "old", nil, nil, true, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC))
		cfg := base
		cfg.CertFile, cfg.KeyFile = filepath.Join(dir, "old.pem"), filepath.Join(dir, "old_key.pem")
		writeFile(t, cfg.CertFile, certPEM)
		writeFile(t, cfg.KeyFile, keyPEM)
		check(t, cfg, "expired on 2021-01-01", "valid 2020-01-01 to 2021-01-01", "re-export")
	})
	t.Run("combined cert and key file", func(t *testing.T) {
		cert, _ := readPEMFile(p.certFile, "", "")
		key, _ := readPEMFile(p.keyFile, "", "")
		cfg := base
		cfg.CertFile, cfg.KeyFile = filepath.Join(dir, "combined.pem"), ""
		writeFile(t, cfg.CertFile, append(cert, key...))
		if _, err := New(cfg); err != nil {
			t.Fatal(err)
		}
	})
}

func TestStatusErrorHints(t *testing.T) {
	var calls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/license", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("Forbidden"))
	})
	mux.HandleFunc("GET /qrs/user/full", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	mux.HandleFunc("GET /qrs/app/full", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("POST /qrs/task/{id}/start", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /qrs/reloadtask/full", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>Please log in</body></html>"))
	})
	mux.HandleFunc("GET /qrs/about", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"buildVersion": 12`)
	})
	c, _ := newFake(t, mux, func(c *Config) { c.UserDirectory, c.UserID = "CORP", "monitor" })

	_, err := c.License(t.Context())
	e := mustKind(t, err, KindHTTP)
	if e.Status != 403 || !IsStatus(err, http.StatusForbidden) || !strings.Contains(e.Hint, `CORP\monitor`) || !strings.Contains(e.Hint, "RootAdmin") || !strings.Contains(e.Hint, "license") {
		t.Errorf("403 hint %q", e.Hint)
	}
	if strings.Contains(e.Path, "xrfkey") {
		t.Errorf("path %q leaks the xrfkey", e.Path)
	}

	_, err = c.Users(t.Context(), ListOptions{})
	e = mustKind(t, err, KindHTTP)
	if !IsStatus(err, http.StatusUnauthorized) || !strings.Contains(e.Hint, `CORP\monitor`) {
		t.Errorf("401 hint %q", e.Hint)
	}

	_, err = c.Apps(t.Context(), ListOptions{})
	if !IsStatus(err, 500) || calls.Load() != 4 {
		t.Errorf("500 GET: err %v after %d calls, want 4 (1 + 3 retries)", err, calls.Load())
	}
	calls.Store(0)
	err = c.StartTask(t.Context(), "f7a5c6c1-0000-0000-0000-000000000001")
	if !IsStatus(err, 500) || calls.Load() != 1 {
		t.Errorf("500 POST: err %v after %d calls, want exactly 1 (no retry)", err, calls.Load())
	}

	_, err = c.ReloadTasks(t.Context(), ListOptions{})
	e = mustKind(t, err, KindDecode)
	for _, w := range []string{"/qrs/reloadtask/full", "text/html", "<html><body>Please log in", "login form"} {
		if !strings.Contains(e.Hint, w) {
			t.Errorf("decode hint %q should contain %q", e.Hint, w)
		}
	}
	_, err = c.About(t.Context())
	e = mustKind(t, err, KindDecode)
	if !strings.Contains(e.Hint, `{"buildVersion": 12`) || !strings.Contains(e.Hint, "/qrs/about") {
		t.Errorf("truncated JSON hint %q", e.Hint)
	}
}

func TestXSRFErrorHint(t *testing.T) {
	p := newPKI(t, "site")
	// A proxy that strips the query string: QRS then sees no xrfkey.
	f := &fakeQRS{routes: aboutMux()}
	strip := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.RawQuery = ""
		f.ServeHTTP(w, r)
	})
	srv := startTLS(t, p, tls.RequireAndVerifyClientCert, strip)
	c, err := New(p.certConfig(srv))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.About(t.Context())
	e := mustKind(t, err, KindXSRF)
	if !IsKind(err, KindXSRF) || !strings.Contains(e.Hint, "xrfkey") || !strings.Contains(e.Hint, "stripping the query string") {
		t.Errorf("hint %q", e.Hint)
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/about", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	c, _ := newFake(t, mux, func(c *Config) { c.Timeout, c.Retries = 50*time.Millisecond, -1 })
	_, err := c.About(t.Context())
	e := mustKind(t, err, KindTimeout)
	if !IsKind(err, KindTimeout) || !strings.Contains(e.Hint, "port") || !strings.Contains(e.Hint, "--timeout") {
		t.Errorf("hint %q", e.Hint)
	}

	c2, _ := newFake(t, mux, nil)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = c2.About(ctx)
	mustKind(t, err, KindCanceled)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v should wrap context.Canceled", err)
	}
}

func TestStreamBodyStallTimesOut(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/user/full", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"id":"1","userId":"a"},`))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	c, _ := newFake(t, mux, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	n := 0
	err := c.StreamUsers(t.Context(), ListOptions{}, func(User) error { n++; return nil })
	mustKind(t, err, KindTimeout)
	if n != 1 {
		t.Errorf("decoded %d users before the stall, want 1", n)
	}
}

func TestConnectionRefusedHint(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := New(Config{Server: "https://" + addr, Transport: http.DefaultTransport, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.About(t.Context())
	e := mustKind(t, err, KindConnRefused)
	if !strings.Contains(e.Hint, "Repository Service running") || !strings.Contains(e.Hint, "4242") {
		t.Errorf("hint %q", e.Hint)
	}
}

func TestClassifyDNSError(t *testing.T) {
	c, err := New(Config{Server: "https://qlik-typo.example:4242", Transport: http.DefaultTransport})
	if err != nil {
		t.Fatal(err)
	}
	kind, hint := c.classifyTransport(t.Context(), nil, &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "qlik-typo.example", IsNotFound: true}})
	if kind != KindDNS || !strings.Contains(hint, "qlik-typo.example") {
		t.Errorf("kind %v hint %q", kind, hint)
	}
}

func TestErrorMessageShape(t *testing.T) {
	e := &Error{Method: "GET", Path: "/qrs/about", Status: 403, Body: "XSRF prevention check failed. Possible XSRF discovered.", Hint: "h", Kind: KindXSRF}
	want := "GET /qrs/about: HTTP 403 Forbidden: XSRF prevention check failed. Possible XSRF discovered.\n  hint: h"
	if e.Error() != want {
		t.Errorf("got %q\nwant %q", e.Error(), want)
	}
	inner := errors.New("inner")
	if !errors.Is(&Error{Err: inner}, inner) {
		t.Error("Unwrap broken")
	}
}
