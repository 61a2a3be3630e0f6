package qrs

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var xrfRe = regexp.MustCompile(`^[0-9a-zA-Z]{16}$`)

func TestCertificateModeSendsXrfkeyAndQlikUser(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/about", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"buildVersion":"25.15.2.0","schemaPath":"About","nodeType":1}`)
	})
	c, f := newFake(t, mux, nil)
	for range 3 {
		a, err := c.About(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if a.BuildVersion != "25.15.2.0" || a.NodeType != 1 {
			t.Fatalf("about = %+v", a)
		}
	}
	seen := map[string]bool{}
	for _, r := range f.requests() {
		key := r.URL.Query().Get("xrfkey")
		if !xrfRe.MatchString(key) {
			t.Errorf("xrfkey %q is not 16 [0-9a-zA-Z]", key)
		}
		if h := r.Header.Get("X-Qlik-Xrfkey"); h != key {
			t.Errorf("header xrfkey %q != query %q", h, key)
		}
		if seen[key] {
			t.Errorf("xrfkey %q reused", key)
		}
		seen[key] = true
		if got := r.Header.Get("X-Qlik-User"); got != "UserDirectory=INTERNAL; UserId=sa_api" {
			t.Errorf("X-Qlik-User = %q", got)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("Accept = %q", got)
		}
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != "QlikClient" {
			t.Errorf("client certificate not presented")
		}
	}
	if len(seen) != 3 {
		t.Fatalf("requests = %d, want 3", len(seen))
	}
	if !strings.Contains(c.Identity(), "CN=QlikClient") || !strings.Contains(c.Identity(), `INTERNAL\sa_api`) {
		t.Errorf("identity = %q", c.Identity())
	}
}

func fakeJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(claims)) + ".c2ln"
}

func TestProxyModesSendAuthHeadersWithoutClientCert(t *testing.T) {
	jwt := fakeJWT(`{"userId":"svc_licmon","userDirectory":"CORP"}`)
	cases := []struct {
		name   string
		mod    func(*Config)
		check  func(*http.Request) string
		idPart string
	}{
		{"jwt", func(c *Config) { c.Auth, c.JWT = AuthJWT, jwt },
			func(r *http.Request) string {
				if r.Header.Get("Authorization") != "Bearer "+jwt {
					return "Authorization header missing"
				}
				return ""
			}, `JWT user CORP\svc_licmon`},
		{"header", func(c *Config) { c.Auth, c.HeaderName, c.HeaderValue = AuthHeader, "hdr-usr", `CORP\svc_licmon` },
			func(r *http.Request) string {
				if r.Header.Get("hdr-usr") != `CORP\svc_licmon` {
					return "hdr-usr header missing"
				}
				return ""
			}, `header hdr-usr with the configured value`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPKI(t, "proxy")
			mux := http.NewServeMux()
			mux.HandleFunc("GET /vp/qrs/about", func(w http.ResponseWriter, r *http.Request) {
				http.SetCookie(w, &http.Cookie{Name: "X-Qlik-Session-vp", Value: "sess1", Path: "/"})
				writeJSON(w, 200, `{"buildVersion":"1"}`)
			})
			f := &fakeQRS{routes: mux}
			srv := startTLS(t, p, tls.NoClientCert, f)
			cfg := Config{Server: srv.URL + "/vp/", CAFile: p.caFile}
			tc.mod(&cfg)
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if _, err := c.About(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			reqs := f.requests()
			for i, r := range reqs {
				if msg := tc.check(r); msg != "" {
					t.Error(msg)
				}
				if r.Header.Get("X-Qlik-User") != "" {
					t.Error("X-Qlik-User must not be sent in proxy modes")
				}
				if len(r.TLS.PeerCertificates) != 0 {
					t.Error("client certificate sent in proxy mode")
				}
				if i == 1 {
					if ck, err := r.Cookie("X-Qlik-Session-vp"); err != nil || ck.Value != "sess1" {
						t.Error("proxy session cookie not reused on the second request")
					}
				}
			}
			if !strings.Contains(c.Identity(), tc.idPart) {
				t.Errorf("identity = %q, want it to contain %q", c.Identity(), tc.idPart)
			}
			if strings.Contains(c.Identity(), jwt) {
				t.Error("identity leaks the JWT")
			}
		})
	}
}

func TestFilterAndOrderByEncodingRoundTrips(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/app/full", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		b, _ := json.Marshal([]map[string]string{{"name": q.Get("filter"), "description": q.Get("orderby")}})
		writeJSON(w, 200, string(b))
	})
	c, f := newFake(t, mux, nil)
	filters := []string{
		"name eq 'Reload License Monitor'",
		"name eq 'Sales #1'",
		"name eq 'R&D' and stream.name eq 'A+B'",
		`name eq 'it''s "quoted"' or (name sw 'monitor_apps_REST_')`,
		"lastUsed le '2024-01-01T23:59:59.999Z'",
	}
	for _, filter := range filters {
		apps, err := c.Apps(t.Context(), ListOptions{Filter: filter, OrderBy: "name asc"})
		if err != nil {
			t.Fatalf("%q: %v", filter, err)
		}
		if len(apps) != 1 || apps[0].Name != filter || apps[0].Description != "name asc" {
			t.Fatalf("server saw %+v, want filter %q", apps, filter)
		}
	}
	for _, r := range f.requests() {
		if strings.Contains(r.URL.RawQuery, "+") || strings.Contains(r.URL.RawQuery, " ") {
			t.Errorf("raw query %q should encode spaces as %%20", r.URL.RawQuery)
		}
	}
}

func TestConfigLogValueMasksSecrets(t *testing.T) {
	cfg := Config{Server: "https://x", Auth: AuthJWT, JWT: "secret.jwt.token", HeaderName: "hdr-usr", HeaderValue: `DIR\boss`}
	s := cfg.LogValue().String()
	if strings.Contains(s, "secret.jwt.token") || strings.Contains(s, `DIR\boss`) {
		t.Fatalf("log value leaks secrets: %s", s)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	cases := map[string]Config{
		"empty server":   {},
		"not a url":      {Server: "qlik:4242"},
		"jwt without":    {Server: "https://h/jwt", Auth: AuthJWT},
		"header without": {Server: "https://h/hdr", Auth: AuthHeader, HeaderName: "hdr-usr"},
		"no client cert": {Server: "https://h:4242"},
	}
	for name, cfg := range cases {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: expected an error", name)
		}
	}
	c, err := New(Config{Server: "https://h/prefix/qrs/", Transport: http.DefaultTransport})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.buildURL(request{path: "about"}, "abcdefghijklmnop"); got != "https://h/prefix/qrs/about?xrfkey=abcdefghijklmnop" {
		t.Errorf("url = %s", got)
	}
	if m, err := ParseAuthMode("JWT"); err != nil || m != AuthJWT {
		t.Errorf("ParseAuthMode(JWT) = %v, %v", m, err)
	}
	if _, err := ParseAuthMode("ntlm"); err == nil {
		t.Error("ParseAuthMode(ntlm) should fail")
	}
}
