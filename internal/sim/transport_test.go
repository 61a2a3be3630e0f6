package sim_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

func startTLS(t *testing.T, s *sim.Site) (string, sim.CertFiles) {
	t.Helper()
	dir := t.TempDir()
	cf, err := sim.EnsureCerts(dir, "qlik.test")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := cf.ServerTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.ServeListener(ctx, ln, cfg, s.Handler(), nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeListener: %v", err)
		}
	})
	return ln.Addr().(*net.TCPAddr).String(), cf
}

func TestMutualTLS(t *testing.T) {
	s := newSite(t, sim.Options{Users: 20})
	addr, cf := startTLS(t, s)
	port := addr[strings.LastIndex(addr, ":")+1:]
	url := "https://localhost:" + port + "/qrs/about?xrfkey=" + xrf

	roots, err := cf.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots.RootCAs}}}
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("X-Qlik-Xrfkey", xrf)
	req.Header.Set("X-Qlik-User", "UserDirectory=INTERNAL; UserId=sa_api")
	if resp, err := noCert.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("request without client certificate got status %d, want a TLS failure", resp.StatusCode)
	}

	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: roots}}
	// exactly the curl example's headers
	req, _ = http.NewRequest("GET", url, nil)
	req.Header.Set("X-Qlik-User", "UserDirectory=INTERNAL; UserId=sa_api")
	req.Header.Set("X-Qlik-Xrfkey", "abcdefghijklmnop")
	resp, err := withCert.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"schemaPath":"About"`)) {
		t.Fatalf("about: %d %s", resp.StatusCode, body)
	}

	req, _ = http.NewRequest("GET", "https://localhost:"+port+"/qrs/about", nil)
	req.Header.Set("X-Qlik-User", "UserDirectory=INTERNAL; UserId=sa_api")
	resp, err = withCert.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || string(body) != sim.XSRFFailure {
		t.Fatalf("without xrfkey: %d %q", resp.StatusCode, body)
	}

	if curl, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command(curl, "-sS", "--cert", cf.Client, "--key", cf.ClientKey, "--cacert", cf.Root,
			"-H", "X-Qlik-User: UserDirectory=INTERNAL; UserId=sa_api", "-H", "X-Qlik-Xrfkey: abcdefghijklmnop", url).CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte(`"buildVersion"`)) {
			t.Fatalf("curl: %v: %s", err, out)
		}
		out, err = exec.Command(curl, "-sS", "--cacert", cf.Root, "-H", "X-Qlik-Xrfkey: abcdefghijklmnop", url).CombinedOutput()
		if err == nil && bytes.Contains(out, []byte("buildVersion")) {
			t.Fatalf("curl without client cert succeeded: %s", out)
		}
	}
}

func TestServeShutsDown(t *testing.T) {
	s := newSite(t, sim.Options{Users: 5})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Serve(ctx, s, "127.0.0.1:0", t.TempDir(), []string{"qlik.test"}, nil) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}

func TestEnsureCertsReuse(t *testing.T) {
	dir := t.TempDir()
	cf, err := sim.EnsureCerts(dir, "qlik.test")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"root.pem", "server.pem", "server_key.pem", "client.pem", "client_key.pem"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Fatalf("%s missing: %v", n, err)
		}
	}
	for _, k := range []string{cf.ServerKey, cf.ClientKey} {
		st, _ := os.Stat(k)
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", filepath.Base(k), st.Mode().Perm())
		}
	}
	before, _ := os.ReadFile(cf.Server)
	if _, err := sim.EnsureCerts(dir, "qlik.test"); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(cf.Server)
	if !bytes.Equal(before, after) {
		t.Error("valid certificates were regenerated")
	}
	if _, err := sim.EnsureCerts(dir, "other.test"); err != nil {
		t.Fatal(err)
	}
	after, _ = os.ReadFile(cf.Server)
	if bytes.Equal(before, after) {
		t.Error("certificates not regenerated for a new hostname")
	}
	cfg, err := cf.ServerTLSConfig()
	if err != nil || cfg.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Fatalf("ServerTLSConfig: %v %v", cfg.ClientAuth, err)
	}
}

func TestXrfkeyAndUserHeader(t *testing.T) {
	s := newSite(t, sim.Options{Users: 5})
	h := s.Handler()
	do := func(query, hdrKey, user string) (int, string) {
		r, _ := http.NewRequest("GET", "/qrs/about"+query, nil)
		if hdrKey != "" {
			r.Header.Set("X-Qlik-Xrfkey", hdrKey)
		}
		if user != "" {
			r.Header.Set("X-Qlik-User", user)
		}
		w := newRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	const u = "UserDirectory=INTERNAL;UserId=sa_repository"
	cases := []struct {
		query, hdr, user string
		code             int
		body             string
	}{
		{"?xrfkey=abcdefghijklmnop", "abcdefghijklmnop", u, 200, ""},
		{"?Xrfkey=ABCDEFGHIJKLMNO1", "ABCDEFGHIJKLMNO1", "UserDirectory=Internal; UserID=sa_repository", 200, ""},
		{"?XRFKEY=0123456789abcdef", "0123456789abcdef", " userdirectory = INTERNAL ; userid = sa_api ", 200, ""},
		{"", "abcdefghijklmnop", u, 403, sim.XSRFFailure},
		{"?xrfkey=abcdefghijklmnop", "", u, 403, sim.XSRFFailure},
		{"?xrfkey=abcdefghijklmnop", "abcdefghijklmnoq", u, 403, sim.XSRFFailure},
		{"?xrfkey=abcdefghijklmno", "abcdefghijklmno", u, 403, sim.XSRFFailure},
		{"?xrfkey=abcdefghijklmn-p", "abcdefghijklmn-p", u, 403, sim.XSRFFailure},
		{"?xrfkey=abcdefghijklmnop", "abcdefghijklmnop", "", 403, sim.MissingUserText},
		{"?xrfkey=abcdefghijklmnop", "abcdefghijklmnop", "UserDirectory=INTERNAL", 403, sim.MissingUserText},
	}
	for _, c := range cases {
		code, body := do(c.query, c.hdr, c.user)
		if code != c.code || (c.body != "" && body != c.body) {
			t.Errorf("%q key %q user %q: %d %q, want %d %q", c.query, c.hdr, c.user, code, body, c.code, c.body)
		}
	}
}
