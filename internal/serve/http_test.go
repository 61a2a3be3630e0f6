package serve

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// newIdleServer builds a server that is never Run: its handler answers
// from the configuration and an empty store, enough for the HTTP layer.
func newIdleServer(t *testing.T, mutate func(c *config.Config)) *Server {
	t.Helper()
	site := simtest.Start(t, sim.Options{Seed: 1, Users: 10, HistoryDays: 5})
	cfg := config.Default()
	cfg.DB = filepath.Join(t.TempDir(), "licmon.db")
	cfg.Sites = []config.Site{{Name: "sim", Server: site.URL, CertDir: site.CertDir}}
	cfg.Serve.Listen = "127.0.0.1:0"
	if mutate != nil {
		mutate(cfg)
	}
	ld := &loader{cfg: cfg}
	s, err := New(t.Context(), Options{Load: ld.Load, NewClient: QRSClient("test", nil), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.ln.Close(); s.closeStore() })
	return s
}

func serveReq(h http.Handler, method, path string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestAuthScheme checks that the bearer scheme is matched without regard
// to case (RFC 7235) and that a 401 is the API's JSON error with a
// WWW-Authenticate challenge.
func TestAuthScheme(t *testing.T) {
	h := newIdleServer(t, func(c *config.Config) { c.Serve.Auth = config.ServeAuth{BearerToken: "t0ken"} }).Handler()
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		if w := serveReq(h, "GET", "/api/v1/sites", "Authorization", scheme+" t0ken"); w.Code != 200 {
			t.Errorf("Authorization: %s <token> = %d, want 200", scheme, w.Code)
		}
	}
	for _, bad := range []string{"", "Bearer wrong", "Bearer", "Bearert0ken", "Basic dDBrZW4="} {
		w := serveReq(h, "GET", "/api/v1/sites", "Authorization", bad)
		if w.Code != 401 {
			t.Errorf("Authorization %q = %d, want 401", bad, w.Code)
			continue
		}
		if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("401 WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("401 content type %q, want JSON", ct)
		}
		var e struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
			Error  string `json:"error"`
			Hint   string `json:"hint"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Status != 401 || e.Code != "unauthorized" || e.Error == "" || e.Hint == "" {
			t.Errorf("401 body %s (%v) is not the JSON error format", w.Body, err)
		}
		if strings.Contains(w.Body.String(), "t0ken") {
			t.Error("the 401 shows the token")
		}
	}
}

// TestCrossSitePOSTRefused checks the CSRF protection of POST /-/reload: a
// form posted from another site is refused (403, JSON error), a same-origin
// or non-browser POST is not.
func TestCrossSitePOSTRefused(t *testing.T) {
	h := newIdleServer(t, nil).Handler()
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site", "Content-Type", "application/x-www-form-urlencoded", "Origin", "https://evil.example"},
		{"Origin", "https://evil.example", "Content-Type", "text/plain"},
		{"Sec-Fetch-Site", "same-site", "Origin", "https://other.example.com"},
	} {
		w := serveReq(h, "POST", "http://licmon.example.com/-/reload", hdr...)
		if w.Code != http.StatusForbidden {
			t.Errorf("cross-site POST %v = %d, want 403", hdr, w.Code)
			continue
		}
		if !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") || !strings.Contains(w.Body.String(), `"code": "cross-origin"`) {
			t.Errorf("403 body is not the JSON error: %s", w.Body)
		}
	}
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "same-origin", "Origin", "http://licmon.example.com"},
		{}, // curl, scripts: no browser headers
	} {
		if w := serveReq(h, "POST", "http://licmon.example.com/-/reload", hdr...); w.Code != 200 {
			t.Errorf("POST %v = %d %s, want 200", hdr, w.Code, w.Body)
		}
	}
}

// TestSecurityHeadersEverywhere checks that the answers outside the
// dashboard (/metrics, the health endpoints, 401s, reload) carry the same
// protective headers as the pages.
func TestSecurityHeadersEverywhere(t *testing.T) {
	h := newIdleServer(t, func(c *config.Config) { c.Serve.Auth = config.ServeAuth{BearerToken: "t0ken"} }).Handler()
	for _, c := range []struct{ method, path, auth string }{
		{"GET", "/-/healthy", ""}, {"GET", "/-/ready", ""}, {"GET", "/metrics", "Bearer t0ken"},
		{"GET", "/metrics", ""}, {"POST", "/-/reload", "Bearer t0ken"}, {"GET", "/", "Bearer t0ken"},
	} {
		w := serveReq(h, c.method, c.path, "Authorization", c.auth)
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if got := w.Header().Get(k); got != want {
				t.Errorf("%s %s (%d): %s = %q, want %q", c.method, c.path, w.Code, k, got, want)
			}
		}
	}
}

// TestNoOpenRedirect requests paths that tempt a redirect to another host
// and checks that no answer sends the browser off the site.
func TestNoOpenRedirect(t *testing.T) {
	h := newIdleServer(t, nil).Handler()
	for _, p := range []string{"//evil.example/", "//evil.example/%2e%2e", "/static//evil.example/", "/static/../\\evil.example",
		"/sites//evil.example", "/%2f%2fevil.example/", "/./evil.example", "/static/index.html", "/sites/sim/candidates.csv/..//evil.example"} {
		r := httptest.NewRequest("GET", "http://licmon.example.com/", nil)
		r.URL.Path, r.URL.RawPath = "", ""
		r.RequestURI = p
		if u, err := r.URL.Parse(p); err == nil {
			r.URL = u
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		loc := w.Header().Get("Location")
		if loc == "" {
			continue
		}
		if strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") || strings.Contains(loc, "://") {
			t.Errorf("GET %s redirects to %q: off the site", p, loc)
		}
	}
}

// TestServerUserinfoMasked checks that user:password@ in a site's server
// URL shows on neither the dashboard nor the API.
func TestServerUserinfoMasked(t *testing.T) {
	s := newIdleServer(t, func(c *config.Config) {
		c.Sites[0].Server = strings.Replace(c.Sites[0].Server, "https://", "https://admin:s3cret@", 1)
	})
	h := s.Handler()
	for _, p := range []string{"/api/v1/sites", "/api/v1/sites/sim", "/", "/sites/sim"} {
		w := serveReq(h, "GET", p)
		if w.Code != 200 {
			t.Errorf("GET %s = %d", p, w.Code)
		}
		if b := w.Body.String(); strings.Contains(b, "s3cret") || strings.Contains(b, "admin:") {
			t.Errorf("GET %s shows the server's user info", p)
		}
	}
	if b := serveReq(h, "GET", "/api/v1/sites").Body.String(); !strings.Contains(b, `"server": "https://*****@`) {
		t.Errorf("/api/v1/sites does not name the masked server: %s", b)
	}
}

// TestCollectLockShared checks that serve's collection takes the same lock
// as `licmon collect`: while a CLI collection of the site runs, serve's
// says so instead of racing it.
func TestCollectLockShared(t *testing.T) {
	s := newIdleServer(t, nil)
	release, err := store.LockCollect(s.dbPath, "sim")
	if err != nil {
		t.Fatal(err)
	}
	st := s.rt.Load().sites[0]
	_, err = s.collectLocked(t.Context(), st)
	if !errors.Is(err, store.ErrCollectRunning) || !strings.Contains(err.Error(), "another licmon collect is running for site sim") {
		t.Fatalf("collect while another runs: %v", err)
	}
	release()
	_, err = s.collectLocked(t.Context(), st)
	st.client.CloseIdleConnections() // so the simulated site shuts down at once
	if err != nil {
		t.Fatalf("collect after the other ended: %v", err)
	}
}
