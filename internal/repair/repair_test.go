package repair_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/golden"
	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/repair"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

const ntlm = `CUSTOM CONNECT TO "provider=QvRestConnector.exe;url=https://localhost/qrs/app/full;timeout=900;method=GET;autoDetectResponseType=true;keyGenerationStrategy=0;authSchema=ntlm;skipServerCertificateValidation=true;useCertificate=No;certificateStoreLocation=LocalMachine;certificateStoreName=My;trustedLocations=qrs-proxy%2https://localhost:4244;queryParameters=xrfkey%20000000000000000;addMissingQueryParametersToFinalRequest=false;queryHeaders=X-Qlik-XrfKey%20000000000000000%1User-Agent%2Windows;PaginationType=None;"`

func TestRewrite(t *testing.T) {
	cases := []struct {
		name   string
		target repair.Target
		want   string
	}{
		{"prefix", repair.Target{Prefix: "windows", SetPrefix: true}, strings.Replace(ntlm, "https://localhost/qrs/", "https://localhost/windows/qrs/", 1)},
		{"host", repair.Target{Host: "qlik.corp.example"}, strings.Replace(ntlm, "https://localhost/qrs/", "https://qlik.corp.example/qrs/", 1)},
		{"password only", repair.Target{Password: true}, ntlm},
		{"certificate", repair.Target{Auth: "certificate", Host: "qs1.corp.example"},
			`CUSTOM CONNECT TO "provider=QvRestConnector.exe;url=https://qs1.corp.example:4242/qrs/app/full;timeout=900;method=GET;autoDetectResponseType=true;keyGenerationStrategy=0;authSchema=anonymous;skipServerCertificateValidation=true;useCertificate=FromFile;certificateStoreLocation=LocalMachine;certificateStoreName=My;trustedLocations=qrs-proxy%2https://localhost:4244;queryParameters=xrfkey%20000000000000000;addMissingQueryParametersToFinalRequest=false;queryHeaders=X-Qlik-XrfKey%20000000000000000%1X-Qlik-User%2UserDirectory%%2INTERNAL%%1 %%userid%%2sa_api;PaginationType=None;certificateFilePath=qs1.corp.example\client.pfx;"`},
	}
	for _, tc := range cases {
		got, err := repair.Rewrite(ntlm, tc.target)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
	// certificate and back gives the NTLM string on localhost again
	cert, _ := repair.Rewrite(ntlm, repair.Target{Auth: "certificate", Host: "qs1.corp.example"})
	back, err := repair.Rewrite(cert, repair.Target{Auth: "ntlm"})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := repair.ReadSettings(back)
	if st.Auth != "ntlm" || st.Host != "localhost" || st.Port != "" || !strings.Contains(back, "User-Agent%2Windows") {
		t.Errorf("back to ntlm: %+v\n%s", st, back)
	}
	for _, bad := range []string{"", "provider=QvRestConnector.exe;url=https://x/qrs/app", `CUSTOM CONNECT TO "url=https://x/qrs/app`, `CUSTOM CONNECT TO "timeout=1;"`, `CUSTOM CONNECT TO "url=https://x/other;"`} {
		if _, err := repair.Rewrite(bad, repair.Target{Host: "h"}); err == nil {
			t.Errorf("Rewrite(%q) accepted", bad)
		}
	}
}

func TestTargetValidate(t *testing.T) {
	bad := map[string]repair.Target{
		"nothing":           {},
		"user without dir":  {User: "qservice"},
		"host with scheme":  {Host: "https://qlik"},
		"cert without host": {Auth: "certificate"},
		"cert and password": {Auth: "certificate", Host: "h", Password: true},
		"jwt":               {Auth: "jwt"},
		"prefix with slash": {Prefix: "a/b", SetPrefix: true},
	}
	for name, tg := range bad {
		if err := tg.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := (repair.Target{User: `CORP\qservice`, Password: true}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestMaskHidesJWT(t *testing.T) {
	s := `queryHeaders=X-Qlik-XrfKey%20000000000000000%1Authorization%2Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzYSJ9.c2ln;`
	got := repair.Mask(s)
	if strings.Contains(got, "eyJ") || !strings.Contains(got, "Bearer ***") {
		t.Errorf("Mask = %s", got)
	}
}

func conns() []qrs.DataConnection {
	mk := func(id, name, cs, user string) qrs.DataConnection {
		d := qrs.DataConnection{Name: name, ConnectionString: cs, Username: user, Type: "QvRestConnector.exe"}
		d.ID = id
		d.ModifiedDate.Time = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
		return d
	}
	return []qrs.DataConnection{
		mk("b", "monitor_apps_REST_user", strings.Replace(ntlm, "app/full", "user/full", 1), `CORP\old`),
		mk("a", "monitor_apps_REST_app", ntlm, `CORP\old`),
		mk("c", "monitor_apps_REST_broken", "not a connection string", ""),
	}
}

func TestPlanText(t *testing.T) {
	p := repair.Build(conns(), repair.Target{User: `CORP\qservice`, Password: true, Prefix: "windows", SetPrefix: true})
	if p.ToChange() != 2 {
		t.Errorf("ToChange = %d, want 2", p.ToChange())
	}
	var b bytes.Buffer
	if err := p.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "plan.txt", b.Bytes())
}

func TestSelected(t *testing.T) {
	c := conns()
	qrsTask := qrs.DataConnection{Name: "qrs_task", Type: "QvRestConnector.exe", ConnectionString: strings.Replace(ntlm, "app/full", "task/full", 1)}
	folder := qrs.DataConnection{Name: "ServerLogFolder", Type: "folder", ConnectionString: `C:\ProgramData\Qlik\Sense\Log\`}
	if !repair.Selected(c[0], false) || repair.Selected(qrsTask, false) || !repair.Selected(qrsTask, true) || repair.Selected(folder, true) {
		t.Error("selection: want monitor_apps_REST_* always, other QRS REST connections with --all-monitoring-apps, folders never")
	}
}

func TestBackupRoundTripAndPermissions(t *testing.T) {
	p := repair.Build(conns(), repair.Target{Host: "qlik.corp.example"})
	b := repair.NewBackup(p, "prod", "https://qlik:4242", "admin", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "sub", "backup.json")
	if err := b.Write(path); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		st, _ := os.Stat(path)
		if st.Mode().Perm() != 0o600 {
			t.Errorf("backup mode %v, want 0600", st.Mode().Perm())
		}
	}
	got, err := repair.ReadBackupFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Connections) != 2 || got.Connections[0].User != `CORP\old` || got.Connections[0].ConnectionString != ntlm {
		t.Errorf("read back %+v", got.Connections)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(strings.ToLower(string(raw)), "password") {
		t.Errorf("the backup mentions a password:\n%s", raw)
	}
}

func TestReadBackupRefusesOtherFiles(t *testing.T) {
	ok := `{"format":"licmon-repair-backup/1","site":"s","server":"","created":"2026-01-01T00:00:00Z","by":"me","connections":[{"id":"a","name":"n","connectionString":` + jsonString(ntlm) + `,"user":"u","modifiedDate":"2026-01-01T00:00:00Z"}]}`
	if _, err := repair.ReadBackup(strings.NewReader(ok)); err != nil {
		t.Fatalf("valid backup refused: %v", err)
	}
	bad := map[string]string{
		"empty":          ``,
		"other format":   strings.Replace(ok, "licmon-repair-backup/1", "v0", 1),
		"unknown field":  strings.Replace(ok, `"by":"me"`, `"by":"me","password":"x"`, 1),
		"no id":          strings.Replace(ok, `"id":"a"`, `"id":""`, 1),
		"id with slash":  strings.Replace(ok, `"id":"a"`, `"id":"../x"`, 1),
		"bad string":     strings.Replace(ok, jsonString(ntlm), `"rm -rf"`, 1),
		"no connections": `{"format":"licmon-repair-backup/1","connections":[]}`,
		"trailing":       ok + ` {}`,
	}
	for name, in := range bad {
		if _, err := repair.ReadBackup(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

func FuzzReadBackup(f *testing.F) {
	f.Add(`{"format":"licmon-repair-backup/1","connections":[{"id":"a","name":"n","connectionString":"CUSTOM CONNECT TO \"url=https://h/qrs/app;\"","user":"u"}]}`)
	f.Add(`{"format":1}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, in string) {
		b, err := repair.ReadBackup(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, c := range b.Connections {
			if c.ID == "" || strings.ContainsAny(c.ID, "/?#% ") {
				t.Fatalf("accepted id %q", c.ID)
			}
			if _, err := repair.ReadSettings(c.ConnectionString); err != nil {
				t.Fatalf("accepted connection string %q: %v", c.ConnectionString, err)
			}
		}
	})
}

// monitorConns reads the site's monitor_apps_REST_* connections.
func monitorConns(t *testing.T, c *qrs.Client) []qrs.DataConnection {
	t.Helper()
	dcs, err := c.DataConnections(context.Background(), qrs.ListOptions{Filter: "name sw 'monitor_apps_REST_'"})
	if err != nil {
		t.Fatal(err)
	}
	return dcs
}

func TestApplyConflictAndUndoAgainstTheSimulator(t *testing.T) {
	site := simtest.Start(t, sim.Options{Scenario: "lm-failing-rest-404", Users: 60, Seed: 3})
	c := site.Client(t)
	ctx := context.Background()
	before := monitorConns(t, c)
	p := repair.Build(before, repair.Target{Prefix: "windows", SetPrefix: true, User: `CORP\qservice`})
	// someone edits one connection in the QMC after the plan was made
	victim := p.Changes[3].Entity
	if _, err := c.UpdateDataConnection(ctx, victim, qrs.ConnectionUpdate{ConnectionString: victim.ConnectionString, Username: `CORP\admin`}); err != nil {
		t.Fatal(err)
	}
	b := repair.NewBackup(p, "sim", site.URL, "tester", time.Now())
	outs := repair.Apply(ctx, c, p, "")
	sum := repair.Summary(outs)
	if sum[repair.Conflict] != 1 || sum[repair.Updated] != len(before)-1 {
		t.Fatalf("outcomes %v, want one conflict and the rest updated", sum)
	}
	after := map[string]qrs.DataConnection{}
	for _, dc := range monitorConns(t, c) {
		after[dc.ID] = dc
	}
	if got := after[victim.ID]; got.Username != `CORP\admin` || got.ConnectionString != victim.ConnectionString {
		t.Errorf("the connection changed meanwhile was touched: %+v", got)
	}
	b.Record(outs)
	if len(b.Connections) != len(before)-1 {
		t.Errorf("backup keeps %d connections, want the %d updated", len(b.Connections), len(before)-1)
	}
	undo, err := repair.Undo(ctx, c, b, false)
	if err != nil {
		t.Fatal(err)
	}
	if s := repair.Summary(undo); s[repair.Updated] != len(before)-1 {
		t.Errorf("undo %v", s)
	}
	restored := map[string]qrs.DataConnection{}
	for _, dc := range monitorConns(t, c) {
		restored[dc.ID] = dc
	}
	for _, dc := range before {
		if dc.ID == victim.ID {
			continue
		}
		if r := restored[dc.ID]; r.ConnectionString != dc.ConnectionString || r.Username != dc.Username {
			t.Errorf("%s not restored exactly:\n got %s %s\nwant %s %s", dc.Name, r.Username, r.ConnectionString, dc.Username, dc.ConnectionString)
		}
	}
	// a second undo finds everything as the backup holds it
	again, _ := repair.Undo(ctx, c, b, false)
	if s := repair.Summary(again); s[repair.Unchanged] != len(before)-1 {
		t.Errorf("second undo %v, want all unchanged", s)
	}
}

func TestUndoLeavesALaterChangeAlone(t *testing.T) {
	site := simtest.Start(t, sim.Options{Scenario: "lm-failing-rest-401", Users: 60, Seed: 4})
	c := site.Client(t)
	ctx := context.Background()
	p := repair.Build(monitorConns(t, c), repair.Target{User: `CORP\qservice`, Password: true})
	b := repair.NewBackup(p, "sim", site.URL, "tester", time.Now())
	b.Record(repair.Apply(ctx, c, p, sim.DefaultServicePassword))
	later := monitorConns(t, c)[0]
	if _, err := c.UpdateDataConnection(ctx, later, qrs.ConnectionUpdate{ConnectionString: later.ConnectionString, Username: `CORP\someone`}); err != nil {
		t.Fatal(err)
	}
	outs, err := repair.Undo(ctx, c, b, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if o.ID == later.ID && o.Result != repair.Conflict {
			t.Errorf("connection changed after the repair: %s %s, want conflict", o.Result, o.Detail)
		}
	}
	forced, _ := repair.Undo(ctx, c, b, true)
	if s := repair.Summary(forced); s[repair.Updated] != 1 {
		t.Errorf("--force undo %v, want the one left alone restored", s)
	}
}
