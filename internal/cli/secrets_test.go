package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/cli"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

// TestSecretsNeverPrinted plants known secrets (a JWT, a header value, a
// password in the server URL, the serve password and bearer token, a
// webhook URL token, the client key file) in a configuration, runs the main
// commands against the simulator, succeeding and failing, and scans
// everything they print, save and serve for them.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel() // slow and independent: runs beside the other slow ones
	key := []byte("proxy-signing-key-for-the-test")
	site := simtest.Start(t, sim.Options{Seed: 4, Users: 40, HistoryDays: 30, Scenario: "lm-failing-rest-401"})
	proxy := site.ServeProxy(t, []sim.VirtualProxy{{Prefix: "jwt", Auth: "jwt", JWTKey: key}, {Prefix: "hdr", Auth: "header", HeaderName: "hdr-usr"}})
	broken := simtest.Start(t, sim.Options{Seed: 4, Users: 40, HistoryDays: 30, Faults: []sim.Fault{{Path: "/qrs/*", Kind: sim.FaultStatus, Status: 401}}})

	jwt := sim.MintJWT(key, "INTERNAL", "sa_api", time.Hour)
	badJWT := sim.MintJWT([]byte("not-the-key"), "INTERNAL", "sa_api", time.Hour)
	const (
		headerValue = `INTERNAL\hdr_s3cret_7f3a`
		urlPassword = "Url-Passw0rd-k2"
		servePass   = "Serve-Passw0rd-q8"
		serveToken  = "serve-bearer-T0ken-51"
		hookToken   = "HookT0ken-zz91"
	)
	keyPEM, err := os.ReadFile(filepath.Join(site.CertDir, "client_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"JWT": jwt, "bad JWT": badJWT, "JWT signature": jwt[strings.LastIndex(jwt, ".")+1:],
		"header value": headerValue, "header value user": "hdr_s3cret_7f3a", "bad header value": "nodir_s3cret_b8e2", "URL password": urlPassword,
		"serve password": servePass, "serve token": serveToken, "webhook token": hookToken}
	for i, line := range strings.Split(string(keyPEM), "\n") {
		if len(line) > 40 && !strings.HasPrefix(line, "-----") {
			secrets[fmt.Sprintf("client key line %d", i)] = line
		}
	}

	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "jwt.txt"), []byte(jwt+"\n"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "bad-jwt.txt"), []byte(badJWT+"\n"), 0o600))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	listen := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(site.URL, "https://"))
	ca := filepath.Join(site.CertDir, "root.pem")
	cfgPath := filepath.Join(dir, "licmon.yaml")
	must(os.WriteFile(cfgPath, []byte(fmt.Sprintf(`db: %[1]s/licmon.db
check:
  save_logs: %[1]s/logs
sites:
  - name: cert
    server: %[2]s
    cert_dir: %[3]s
  - name: jwt
    server: %[4]s/jwt
    auth: jwt
    jwt_file: %[1]s/jwt.txt
    ca: %[5]s
  - name: badjwt
    server: %[4]s/jwt
    auth: jwt
    jwt_file: %[1]s/bad-jwt.txt
    ca: %[5]s
  - name: hdr
    server: %[4]s/hdr
    auth: header
    header_name: hdr-usr
    header_value: '%[6]s'
    ca: %[5]s
  - name: badhdr
    server: %[4]s/hdr
    auth: header
    header_name: hdr-usr
    header_value: 'nodir_s3cret_b8e2'
    ca: %[5]s
  - name: urlpass
    server: https://qlikuser:%[7]s@localhost:%[8]s
    cert_dir: %[3]s
  - name: refused
    server: %[9]s
    cert_dir: %[10]s
schedule:
  check_jitter: 10ms # the first checks at once, not after up to 30s
serve:
  listen: %[11]s
  auth:
    username: admin
    password: %[12]s
    bearer_token: %[13]s
channels:
  webhook:
    - name: ops
      url: https://hooks.example.com/services/T0/B0/%[14]s
`, dir, site.URL, site.CertDir, proxy, ca, headerValue, urlPassword, port, broken.URL, broken.CertDir, listen, servePass, serveToken, hookToken)), 0o600))

	var seen bytes.Buffer
	record := func(what string, code int, out, errOut string) {
		fmt.Fprintf(&seen, "== %s (exit %d)\n%s\n%s\n", what, code, out, errOut)
	}
	for _, args := range [][]string{
		{"config", "check"},
		{"check", "--all-sites"},
		{"check", "--all-sites", "--format", "json"},
		{"check", "--all-sites", "--format", "nagios"},
		{"check", "--site", "badjwt", "--format", "json"},
		{"check", "--site", "badhdr"},
		{"collect", "--site", "cert"},
		{"collect", "--site", "jwt"},
		{"collect", "--site", "hdr"},
		{"collect", "--site", "urlpass"},
		{"collect", "--site", "refused"},
		{"report", "--site", "cert", "--format", "json"},
		{"report", "--site", "cert", "--format", "html"},
		{"db", "stats"},
	} {
		code, out, errOut := runBounded(t, append(args, "--config", cfgPath)...)
		if strings.Contains(errOut, "flag provided but not defined") || strings.Contains(errOut, "Usage:") {
			t.Fatalf("licmon %s did not run: %s", strings.Join(args, " "), errOut)
		}
		record(strings.Join(args, " "), code, out, errOut)
	}

	// serve: its pages and API, with and without credentials.
	ctx, cancel := context.WithCancel(context.Background())
	var sout, serr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"serve", "--config", cfgPath, "-v"}, strings.NewReader(""), &sout, &serr)
	}()
	base := "http://" + listen
	client := &http.Client{Timeout: 30 * time.Second}
	get := func(path string, auth bool) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if auth {
			req.SetBasicAuth("admin", servePass)
		}
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintf(&seen, "GET %s: %v\n", path, err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(&seen, "== GET %s %d\n%v\n%s\n", path, resp.StatusCode, resp.Header, b)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/sites/cert/check", nil)
		req.SetBasicAuth("admin", servePass)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer its check in time: %v\n%s", err, serr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, p := range []string{"/", "/sites/cert", "/sites/jwt", "/sites/refused", "/api/v1/sites", "/api/v1/sites/cert",
		"/api/v1/sites/badjwt/check", "/api/v1/sites/refused/check", "/api/v1/sites/cert/report", "/api/v1/alerts",
		"/sites/cert/candidates.csv", "/metrics", "/-/ready"} {
		get(p, true)
	}
	get("/api/v1/sites", false)
	cancel()
	select {
	case code := <-done:
		record("serve", code, sout.String(), serr.String())
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop")
	}

	// Files it saved: the store, script logs, anything in the folder but
	// the planted secret files and the configuration itself.
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || p == cfgPath || strings.HasSuffix(p, "jwt.txt") {
			return nil
		}
		b, _ := os.ReadFile(p)
		fmt.Fprintf(&seen, "== file %s\n", p)
		seen.Write(b)
		return nil
	})

	text := seen.String()
	for _, want := range []string{"== check --all-sites (exit", "HTTP 401", "== GET /api/v1/sites 401", "first collection of cert",
		"first collection of jwt", "first collection of hdr", "first collection of urlpass", `"schemaVersion"`, "<html", "reconstructed"} {
		if !strings.Contains(text, want) {
			t.Errorf("the scan did not cover %q: the commands did not run as planned", want)
		}
	}
	for name, s := range secrets {
		if i := strings.Index(text, s); i >= 0 {
			from, to := max(0, i-300), min(len(text), i+len(s)+100)
			t.Errorf("%s printed or saved:\n…%s…", name, text[from:to])
		}
	}
}
