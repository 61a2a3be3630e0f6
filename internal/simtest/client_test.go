package simtest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

// The client written from the reference against the simulator written from
// the reference, over real mutual TLS: every call, both script-log paths,
// each auth mode and each error hint.

func ctx() context.Context { return context.Background() }

func TestEveryCall(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 21, Users: 80, HistoryDays: 20, Scenario: "lm-failing-rest-401"})
	c := site.Client(t)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	about, err := c.About(ctx())
	must("about", err)
	if about.BuildVersion == "" || about.SchemaPath != "About" {
		t.Errorf("about = %+v", about)
	}
	lic, err := c.License(ctx())
	must("license", err)
	if _, ok := lic.ValidTo(); !ok {
		t.Errorf("license has no end date: %q", lic.KeyDetails)
	}
	ov, err := c.AccessTypeOverview(ctx())
	must("overview", err)
	if ov.ProfessionalAccess.Total == 0 || ov.ProfessionalAccess.Available != max(ov.ProfessionalAccess.Total-ov.ProfessionalAccess.Allocated, 0) {
		t.Errorf("professional overview inconsistent: %+v", ov.ProfessionalAccess)
	}

	prof, err := c.ProfessionalAccessTypes(ctx(), qrs.ListOptions{})
	must("professional", err)
	ana, err := c.AnalyzerAccessTypes(ctx(), qrs.ListOptions{})
	must("analyzer", err)
	if len(prof)+len(ana) == 0 || len(prof) != ov.ProfessionalAccess.Allocated+ov.ProfessionalAccess.Quarantined {
		t.Errorf("%d professional rows, overview allocated %d quarantined %d", len(prof), ov.ProfessionalAccess.Allocated, ov.ProfessionalAccess.Quarantined)
	}
	_, err = c.UserAccessTypes(ctx(), qrs.ListOptions{})
	must("user access", err)
	_, err = c.LoginAccessTypes(ctx(), qrs.ListOptions{})
	must("login access", err)
	_, err = c.AnalyzerTimeAccessTypes(ctx(), qrs.ListOptions{})
	must("analyzer time", err)
	for _, k := range []qrs.AccessTypeKind{qrs.KindProfessional, qrs.KindAnalyzer, qrs.KindUser, qrs.KindLogin, qrs.KindAnalyzerTime} {
		_, err := c.AccessUsage(ctx(), k, qrs.ListOptions{})
		must(string(k)+" usage", err)
	}
	// Butler's release query: filter on lastUsed.
	cutoff := time.Now().Add(-10 * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
	stale, err := c.ProfessionalAccessTypes(ctx(), qrs.ListOptions{Filter: "lastUsed le '" + cutoff + "'"})
	must("filtered allocations", err)
	for _, a := range stale {
		if a.LastUsed.After(time.Now().Add(-10 * 24 * time.Hour)) {
			t.Errorf("filter lastUsed le %s returned %v", cutoff, a.LastUsed)
		}
	}
	n, err := c.Count(ctx(), "license/professionalaccesstype", "")
	must("count", err)
	if n != len(prof) {
		t.Errorf("count %d, list %d", n, len(prof))
	}

	users, err := c.Users(ctx(), qrs.ListOptions{Filter: "userDirectory eq 'INTERNAL'", OrderBy: "userId asc"})
	must("users", err)
	if len(users) == 0 || users[0].UserDirectory != "INTERNAL" {
		t.Fatalf("users = %+v", users)
	}
	u, err := c.User(ctx(), users[0].ID)
	must("user", err)
	if u.UserID != users[0].UserID {
		t.Errorf("user by id = %s", u.UserID)
	}
	apps, err := c.Apps(ctx(), qrs.ListOptions{Filter: "stream.name eq 'Monitoring apps'"})
	must("apps", err)
	if len(apps) < 2 {
		t.Fatalf("monitoring apps = %d", len(apps))
	}
	app, err := c.App(ctx(), apps[0].ID)
	must("app", err)
	if app.Stream == nil || app.Stream.Name != "Monitoring apps" {
		t.Errorf("app stream = %+v", app.Stream)
	}
	_, err = c.AppObjects(ctx(), qrs.ListOptions{Filter: "objectType eq 'sheet'"})
	must("app objects", err)
	conns, err := c.DataConnections(ctx(), qrs.ListOptions{Filter: "name sw 'monitor_apps_REST_'"})
	must("data connections", err)
	if len(conns) < 8 || !strings.Contains(conns[0].ConnectionString, "QvRestConnector") {
		t.Errorf("%d connections", len(conns))
	}
	_, err = c.ServiceStatus(ctx(), qrs.ListOptions{})
	must("service status", err)
	nodes, err := c.ServerNodeConfigurations(ctx(), qrs.ListOptions{})
	must("nodes", err)
	if len(nodes) == 0 || nodes[0].HostName == "" {
		t.Errorf("nodes = %+v", nodes)
	}

	tasks, err := c.ReloadTasks(ctx(), qrs.ListOptions{Filter: "name eq 'Reload License Monitor'"})
	must("reload tasks", err)
	if len(tasks) != 1 {
		t.Fatalf("%d tasks named Reload License Monitor", len(tasks))
	}
	task := tasks[0]
	one, err := c.ReloadTask(ctx(), task.ID)
	must("reload task", err)
	last := one.LastExecution()
	if last == nil || last.Status != qrs.StatusFinishedFail {
		t.Fatalf("last execution = %+v", last)
	}
	all, err := c.Tasks(ctx(), qrs.ListOptions{})
	must("tasks", err)
	if len(all) < 2 {
		t.Errorf("%d tasks", len(all))
	}
	hist, err := c.ExecutionResults(ctx(), qrs.ListOptions{Filter: "taskID eq " + task.ID, OrderBy: "startTime desc"})
	must("execution results", err)
	if len(hist) == 0 || hist[0].ID != last.ID || hist[0].TaskID != task.ID {
		t.Errorf("history head %+v, last %s", hist[0], last.ID)
	}
	sch, err := c.SchemaEvents(ctx(), qrs.ListOptions{Filter: "reloadTask.id eq " + task.ID})
	must("schema events", err)
	if len(sch) == 0 || !sch[0].Enabled {
		t.Errorf("schema events = %+v", sch)
	}
	_, err = c.CompositeEvents(ctx(), qrs.ListOptions{})
	must("composite events", err)
	_, err = c.ExecutionSessions(ctx(), qrs.ListOptions{})
	must("execution sessions", err)

	// Both script-log paths, each followed by the download.
	for name, ticket := range map[string]func() (string, error){
		"scriptlogfile": func() (string, error) { return c.ScriptLogTicketByExecution(ctx(), task.ID, last.ID) },
		"scriptlog":     func() (string, error) { return c.ScriptLogTicketByFileRef(ctx(), task.ID, last.FileReferenceID) },
	} {
		tk, err := ticket()
		must(name+" ticket", err)
		rc, err := c.DownloadScriptLog(ctx(), tk, "Reload License Monitor.log")
		must(name+" download", err)
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !strings.Contains(string(b), "HTTP protocol error 401") {
			t.Errorf("%s: log lacks the failure: %.200q", name, b)
		}
		if _, err := c.DownloadScriptLog(ctx(), tk, "again.log"); !qrs.IsNotFound(err) {
			t.Errorf("%s: a ticket must be single-use, got %v", name, err)
		}
	}
	rc, used, err := c.FetchScriptLog(ctx(), task.ID, last, qrs.ScriptLogOptions{})
	must("fetch script log", err)
	rc.Close()
	if !strings.Contains(used, "scriptlogfile") {
		t.Errorf("newer path not tried first: %s", used)
	}

	// Start: synchronous, wait, asynchronous; DELETE of an allocation.
	if err := site.SetTaskOutcome("Reload License Monitor", sim.Outcome{}); err != nil {
		t.Fatal(err)
	}
	session, err := c.StartTaskSynchronous(ctx(), task.ID)
	must("start synchronous", err)
	if _, finished, err := c.ExecutionSession(ctx(), session); err != nil || !finished {
		t.Errorf("session after an instant run: finished=%v err=%v", finished, err)
	}
	results, err := c.WaitExecution(ctx(), session, time.Millisecond)
	must("wait", err)
	if len(results) == 0 || !results[0].Status.IsSuccess() {
		t.Errorf("results = %+v", results)
	}
	must("start", c.StartTask(ctx(), task.ID))
	victim := prof[len(prof)-1]
	must("delete allocation", c.DeleteAllocation(ctx(), qrs.KindProfessional, victim.ID))
	after, err := c.AccessTypeOverview(ctx())
	must("overview after delete", err)
	if after.ProfessionalAccess.Allocated+after.ProfessionalAccess.Quarantined != ov.ProfessionalAccess.Allocated+ov.ProfessionalAccess.Quarantined-1 &&
		after.ProfessionalAccess.Quarantined != ov.ProfessionalAccess.Quarantined+1 {
		t.Errorf("overview after delete: %+v (before %+v)", after.ProfessionalAccess, ov.ProfessionalAccess)
	}
}

// TestScriptLogEarly404 retries a download that 404s right after a failure.
func TestScriptLogEarly404(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "early404.yaml")
	os.WriteFile(scenario, []byte("download404: 2\ntasks:\n  - name: Reload License Monitor\n    failure: rest-401\n    failureStreak: 2\n"), 0o600)
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 30, HistoryDays: 5, Scenario: scenario})
	c := site.Client(t)
	tasks, _ := c.ReloadTasks(ctx(), qrs.ListOptions{Filter: "name eq 'Reload License Monitor'"})
	rc, _, err := c.FetchScriptLog(ctx(), tasks[0].ID, tasks[0].LastExecution(), qrs.ScriptLogOptions{Attempts: 3, Delay: time.Millisecond})
	if err != nil {
		t.Fatalf("download with retry: %v", err)
	}
	rc.Close()

	site2 := simtest.Start(t, sim.Options{Seed: 3, Users: 30, HistoryDays: 5, Scenario: scenario})
	c2 := site2.Client(t)
	tasks, _ = c2.ReloadTasks(ctx(), qrs.ListOptions{Filter: "name eq 'Reload License Monitor'"})
	if _, _, err := c2.FetchScriptLog(ctx(), tasks[0].ID, tasks[0].LastExecution(), qrs.ScriptLogOptions{Attempts: 1, Delay: time.Millisecond}); err == nil {
		t.Fatal("a single attempt succeeded although the download 404s twice")
	}
}

// TestScriptLogFallback uses the older path when the newer one is unknown
// (servers before May 2025).
func TestScriptLogFallback(t *testing.T) {
	s, err := sim.New(sim.Options{Seed: 4, Users: 30, HistoryDays: 5, Scenario: "lm-failing-file-not-found"})
	if err != nil {
		t.Fatal(err)
	}
	site := simtest.ServeWith(t, s, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(strings.ToLower(r.URL.Path), "/scriptlogfile") {
				http.Error(w, "Not found", http.StatusNotFound)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	c := site.Client(t)
	tasks, _ := c.ReloadTasks(ctx(), qrs.ListOptions{Filter: "name eq 'Reload License Monitor'"})
	rc, used, err := c.FetchScriptLog(ctx(), tasks[0].ID, tasks[0].LastExecution(), qrs.ScriptLogOptions{Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if !strings.Contains(used, "scriptlog?fileReferenceId") || !strings.Contains(string(b), "Cannot open file") {
		t.Fatalf("used %s, log %.120q", used, b)
	}
}

func TestProxyAuthModes(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 5, Users: 30, HistoryDays: 5})
	key := []byte("test-key")
	proxy := site.ServeProxy(t, []sim.VirtualProxy{{Prefix: "jwt", Auth: "jwt", JWTKey: key}, {Prefix: "hdr", Auth: "header", HeaderName: "hdr-usr"}})
	ca := filepath.Join(site.CertDir, "root.pem")
	for _, tc := range []struct {
		name string
		cfg  qrs.Config
		ok   bool
	}{
		{"jwt", qrs.Config{Server: proxy + "/jwt", Auth: qrs.AuthJWT, JWT: sim.MintJWT(key, "INTERNAL", "sa_api", time.Hour), CAFile: ca}, true},
		{"jwt wrong key", qrs.Config{Server: proxy + "/jwt", Auth: qrs.AuthJWT, JWT: sim.MintJWT([]byte("other"), "INTERNAL", "sa_api", time.Hour), CAFile: ca}, false},
		{"header", qrs.Config{Server: proxy + "/hdr", Auth: qrs.AuthHeader, HeaderName: "hdr-usr", HeaderValue: `INTERNAL\sa_api`, CAFile: ca}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := qrs.New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			_, err = c.About(ctx())
			if tc.ok && err != nil {
				t.Fatal(err)
			}
			if !tc.ok {
				var qe *qrs.Error
				if !qrs.IsStatus(err, http.StatusUnauthorized) || !errors.As(err, &qe) || !strings.Contains(qe.Error(), "JWT") {
					t.Fatalf("want a 401 naming the JWT identity, got %v", err)
				}
			}
		})
	}
}

func hint(err error) string {
	var qe *qrs.Error
	if errors.As(err, &qe) {
		return qe.Hint
	}
	return ""
}

func TestErrorHints(t *testing.T) {
	s, err := sim.New(sim.Options{Seed: 6, Users: 20, HistoryDays: 5})
	if err != nil {
		t.Fatal(err)
	}
	site := simtest.ServeWith(t, s, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case strings.HasSuffix(r.URL.Path, "/qrs/servicestatus/full"):
				http.Error(w, "Internal server error", http.StatusInternalServerError)
			case strings.HasSuffix(r.URL.Path, "/qrs/servernodeconfiguration/full"):
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, "<html><body>Login</body></html>")
			case strings.HasSuffix(r.URL.Path, "/qrs/tag/full"):
				time.Sleep(400 * time.Millisecond)
				h.ServeHTTP(w, r)
			default:
				h.ServeHTTP(w, r)
			}
		})
	})
	files := func(dir string) (string, string, string) {
		return filepath.Join(dir, "client.pem"), filepath.Join(dir, "client_key.pem"), filepath.Join(dir, "root.pem")
	}
	cert, key, ca := files(site.CertDir)
	newClient := func(cfg qrs.Config) *qrs.Client {
		t.Helper()
		c, err := qrs.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.CloseIdleConnections)
		return c
	}
	base := qrs.Config{Server: site.URL, CertFile: cert, KeyFile: key, CAFile: ca, Retries: -1}

	t.Run("WrongCA", func(t *testing.T) {
		other := t.TempDir()
		if _, err := sim.EnsureCerts(other); err != nil {
			t.Fatal(err)
		}
		cfg := base
		cfg.CAFile = filepath.Join(other, "root.pem")
		_, err := newClient(cfg).About(ctx())
		if !qrs.IsKind(err, qrs.KindTLSUnknownAuthority) || !strings.Contains(hint(err), cfg.CAFile) {
			t.Fatalf("err %v hint %q", err, hint(err))
		}
	})
	t.Run("HostnameMismatch", func(t *testing.T) {
		cfg := base
		cfg.ServerName = "qlik.wrong.example"
		_, err := newClient(cfg).About(ctx())
		if !qrs.IsKind(err, qrs.KindTLSHostname) || !strings.Contains(hint(err), "localhost") {
			t.Fatalf("err %v hint %q", err, hint(err))
		}
	})
	t.Run("NoClientCert", func(t *testing.T) {
		cfg := qrs.Config{Server: site.URL, Auth: qrs.AuthHeader, HeaderName: "hdr-usr", HeaderValue: `INTERNAL\sa_api`, CAFile: ca, Retries: -1}
		_, err := newClient(cfg).About(ctx())
		if !qrs.IsKind(err, qrs.KindTLSClientCertRejected) || hint(err) == "" {
			t.Fatalf("err %v hint %q", err, hint(err))
		}
	})
	t.Run("ExpiredClientCert", func(t *testing.T) {
		dir := t.TempDir()
		c, k := writeExpiredCert(t, dir)
		cfg := base
		cfg.CertFile, cfg.KeyFile = c, k
		_, err := qrs.New(cfg)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "expired") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("XSRF", func(t *testing.T) {
		cfg := base
		cfg.Transport = stripXrfkey{http.DefaultTransport}
		// A transport of our own bypasses the TLS settings: use the
		// simulator's TLS config through a clone.
		tlsCfg, err := certsClientTLS(site.CertDir)
		if err != nil {
			t.Fatal(err)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsCfg
		cfg.Transport = stripXrfkey{tr}
		_, err = newClient(cfg).About(ctx())
		if !qrs.IsKind(err, qrs.KindXSRF) || !strings.Contains(strings.ToLower(hint(err)), "xrfkey") {
			t.Fatalf("err %v hint %q", err, hint(err))
		}
	})
	t.Run("500", func(t *testing.T) {
		_, err := newClient(base).ServiceStatus(ctx(), qrs.ListOptions{})
		if !qrs.IsStatus(err, 500) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("GarbageJSON", func(t *testing.T) {
		_, err := newClient(base).ServerNodeConfigurations(ctx(), qrs.ListOptions{})
		if !qrs.IsKind(err, qrs.KindDecode) || !strings.Contains(err.Error(), "text/html") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("Timeout", func(t *testing.T) {
		cfg := base
		cfg.Timeout = 100 * time.Millisecond
		err := qrs.Stream(ctx(), newClient(cfg), "tag/full", qrs.ListOptions{}, func(any) error { return nil })
		if !qrs.IsKind(err, qrs.KindTimeout) || hint(err) == "" {
			t.Fatalf("err %v hint %q", err, hint(err))
		}
	})
	t.Run("Forbidden", func(t *testing.T) {
		// Without X-Qlik-User the simulated QRS refuses the call.
		tlsCfg, err := certsClientTLS(site.CertDir)
		if err != nil {
			t.Fatal(err)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsCfg
		cfg := base
		cfg.Transport = dropHeader{tr, "X-Qlik-User"}
		_, err = newClient(cfg).About(ctx())
		if !qrs.IsStatus(err, http.StatusForbidden) || !strings.Contains(hint(err), "sa_api") {
			t.Fatalf("err %v hint %q", err, hint(err))
		}
	})
}

type stripXrfkey struct{ rt http.RoundTripper }

func (s stripXrfkey) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	q := r.URL.Query()
	q.Del("xrfkey")
	r.URL.RawQuery = q.Encode()
	return s.rt.RoundTrip(r)
}

type dropHeader struct {
	rt     http.RoundTripper
	header string
}

func (d dropHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Del(d.header)
	return d.rt.RoundTrip(r)
}

func certsClientTLS(dir string) (*tls.Config, error) {
	cf, err := sim.EnsureCerts(dir)
	if err != nil {
		return nil, err
	}
	return cf.ClientTLSConfig()
}

func writeExpiredCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "old client"},
		NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	certFile, keyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client_key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}
