package logimport_test

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/logimport"
	"github.com/licmon/licmon/internal/sim/simlogs"
	"github.com/licmon/licmon/internal/store"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "licmon.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// roundTripSize is the generated site: the 5k users over a year
// when LICMON_BIG_TESTS is set (.ci/run sets it), a smaller one otherwise.
func roundTripSize() (users, days int) {
	if os.Getenv("LICMON_BIG_TESTS") != "" {
		return 5000, 365
	}
	return 400, 45
}

// Generated logs, imported, give the daily active users per type and the
// denials of the generator's ground truth, and a second import changes
// nothing.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	users, days := roundTripSize()
	dir := filepath.Join(t.TempDir(), "logs")
	// A full Professional license: the site turns users away, so the
	// logs hold denials as well as sessions.
	truth, err := simlogs.Generate(simlogs.Options{Out: dir, Users: users, Days: days, Seed: 3, Scenario: "at-capacity"})
	if err != nil {
		t.Fatal(err)
	}
	if truth.Sessions == 0 || len(truth.Active) == 0 || len(truth.Denials) == 0 {
		t.Fatalf("the generator wrote no sessions or no denials: %d sessions, %d denial days", truth.Sessions, len(truth.Denials))
	}
	// The live copy of a rolled file (the active .txt read before it was
	// rolled) repeats its rows: they must count once.
	rolled, _ := filepath.Glob(filepath.Join(dir, "ArchivedLogs", "*", "Proxy", "Audit", "*.log"))
	if len(rolled) == 0 {
		t.Fatal("no rolled proxy log")
	}
	b, err := os.ReadFile(rolled[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "copy", "Proxy", "Audit"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "copy", "Proxy", "Audit", "QLIKSERVER1_AuditActivity_Proxy.txt"), b, 0o644); err != nil {
		t.Fatal(err)
	}

	st := openStore(t)
	res, err := logimport.Import(ctx, st, []string{dir}, logimport.Options{Site: "sim"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) > 0 || res.Read != res.Files || res.NotLogs != 0 {
		t.Fatalf("import: %+v", res)
	}
	checkTruth(t, st, truth)

	again, err := logimport.Import(ctx, st, []string{dir}, logimport.Options{Site: "sim"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Read != 0 || again.Skipped != res.Read {
		t.Fatalf("second import read files again: %+v", again)
	}
	checkTruth(t, st, truth)
}

func checkTruth(t *testing.T, st store.Store, truth *simlogs.Truth) {
	t.Helper()
	ctx := context.Background()
	sum, err := st.LogSummary(ctx, "sim")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sessions != int64(truth.Sessions) || sum.Users != int64(truth.Users) || sum.TaskRuns != int64(truth.TaskRuns) ||
		sum.FailedTaskRuns != int64(truth.FailedTaskRuns) || sum.Reloads != int64(truth.ScriptLogs) || truth.TaskRuns == 0 {
		t.Errorf("summary %+v\ntruth: %d sessions of %d users, %d task runs (%d failed), %d script logs", sum,
			truth.Sessions, truth.Users, truth.TaskRuns, truth.FailedTaskRuns, truth.ScriptLogs)
	}
	got, err := st.LogActivity(ctx, "sim", truth.From, truth.To)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		day string
		typ license.Type
	}
	want := map[key][2]int64{}
	for _, a := range truth.Active {
		want[key{a.Day.Format(time.DateOnly), a.Type}] = [2]int64{int64(a.Users), int64(a.Sessions)}
	}
	have := map[key][2]int64{}
	for _, a := range got {
		have[key{a.Day.Format(time.DateOnly), a.Type}] = [2]int64{a.Users, a.Sessions}
	}
	if len(want) != len(have) {
		t.Errorf("%d day/type points, want %d", len(have), len(want))
	}
	bad := 0
	for k, w := range want {
		if have[k] != w && bad < 5 {
			bad++
			t.Errorf("%s %s: users, sessions = %v, want %v", k.day, k.typ, have[k], w)
		}
	}
	for _, typ := range license.Types() {
		den, err := st.Denials(ctx, "sim", typ, truth.From, truth.To)
		if err != nil {
			t.Fatal(err)
		}
		wantDen := map[string][2]int64{}
		for _, d := range truth.Denials {
			if d.Type == typ {
				wantDen[d.Day.Format(time.DateOnly)] = [2]int64{int64(d.Denials), int64(d.Users)}
			}
		}
		haveDen := map[string][2]int64{}
		for _, d := range den {
			if d.Source == license.DenialsFromLogs {
				haveDen[d.Day.Format(time.DateOnly)] = [2]int64{d.Denials, d.Users}
			}
		}
		if len(haveDen) != len(wantDen) {
			t.Errorf("%s: %d denial days, want %d", typ, len(haveDen), len(wantDen))
		}
		for d, w := range wantDen {
			if haveDen[d] != w {
				t.Errorf("%s %s: denials, users = %v, want %v", typ, d, haveDen[d], w)
			}
		}
	}
}

const proxyHeader = "Sequence#\tProductVersion\tTimestamp\tHostname\tId\tDescription\tProxySessionId\tProxyPackageId\tRequestSequenceId\tUserDirectory\tUserId\tObjectId\tObjectName\tService\tOrigin\tContext\tCommand\tResult\tMessage\tId2\r\n"

func proxyRow(seq int, at, id, sid, user string) string {
	return strings.Join([]string{itoa(seq), "v", at, "N1", id, "Command=Start session;Result=0;ResultText=Success", sid, "p", "0", "CORP", user,
		"", "", "Proxy", "", "/hub/", "Start session", "0", "Start session for user", "z"}, "\t") + "\r\n"
}

func itoa(i int) string { return strconv.Itoa(i) }

const securityHeader = "Sequence#\tProductVersion\tTimestamp\tHostname\tId\tDescription\tProxySessionId\tProxyPackageId\tRequestSequenceId\tUserDirectory\tUserId\tObjectId\tObjectName\tSecurityClass\tClientHostAddress\tService\tOrigin\tContext\tCommand\tResult\tMessage\tChecksum\r\n"

func denialRow(seq int, at, id, user string) string {
	return strings.Join([]string{itoa(seq), "v", at, "N1", id, "Command=License user access;Result=403;ResultText=Error: Access denied", "c0de", "p", "0",
		"CORP", user, "", "", "", "10.0.0.1", "Repository", "", "", "License user access", "403",
		"Professional access denied for User: 'CORP\\" + user + "', SessionID: 'c0de', Hostname: '10.0.0.1', OperationType: 'UsageDenied'", "ff"}, "\t") + "\r\n"
}

// Bad files in the tree give warnings and lose nothing of the good ones;
// nothing is written outside the store.
func TestRobustness(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "ArchivedLogs")
	node := filepath.Join(root, "node1")
	write := func(rel, body string) {
		p := filepath.Join(node, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Good rows, then a truncated last line (the file is being written).
	write("Proxy/Audit/N1_AuditActivity_Proxy.txt", proxyHeader+
		proxyRow(1, "20260302T091512.000+0100", "a", "s1", "anna")+
		proxyRow(2, "20260302T101512.000+0100", "b", "s2", "bob")+"3\tv\t2026030")
	// A Windows-1252 file: jörg's denial survives.
	write("Repository/Audit/N1_AuditSecurity_Repository_2026-03-02T12.00.00Z.log", securityHeader+
		denialRow(1, "20260302T091512.000+0100", "d1", "j\xf6rg")+denialRow(2, "20260302T091612.000+0100", "d2", "carl"))
	// A binary file with a log's name.
	write("Engine/Trace/N1_Session_Engine_2026-03-02T12.00.00Z.log", "\x00\x01\x02\x03PK\x05\x06"+strings.Repeat("\x00", 4096))
	// A 2 GB file (sparse: no disk is used) with a log's name: rejected
	// after its first megabyte, not read to the end.
	big := filepath.Join(node, "Engine", "Trace", "N1_Performance_Engine_2026-03-01T12.00.00Z.log")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// A zip with odd paths: .., absolute, drive letter; one good member.
	zpath := filepath.Join(t.TempDir(), "collector.zip")
	zf, err := os.Create(zpath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	for name, body := range map[string]string{
		"../../escape/N2_AuditSecurity_Repository.txt":   securityHeader + denialRow(1, "20260303T091512.000+0100", "z1", "dave"),
		"/abs/N3_AuditSecurity_Repository.txt":           securityHeader + denialRow(1, "20260303T101512.000+0100", "z2", "erin"),
		`C:\ProgramData\N4_AuditSecurity_Repository.txt`: securityHeader + denialRow(1, "20260303T111512.000+0100", "z3", "fred"),
		"node2/Proxy/Audit/N2_AuditActivity_Proxy.txt":   proxyHeader + proxyRow(1, "20260303T091512.000+0100", "zz", "s9", "gina"),
		"inner.zip": "PK",
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	zf.Close()

	before := listTree(t, filepath.Dir(root))
	st := openStore(t)
	res, err := logimport.Import(ctx, st, []string{root, zpath}, logimport.Options{Site: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	warn := ""
	for _, w := range res.Warnings {
		warn += w.String() + "\n"
	}
	for _, want := range []string{"no line end", "Latin-1", "not a Qlik Sense service log", "odd path in the zip", "a zip inside the zip"} {
		if !strings.Contains(warn, want) {
			t.Errorf("no warning %q in:\n%s", want, warn)
		}
	}
	if strings.Count(warn, "not a Qlik Sense service log") != 2 {
		t.Errorf("the binary and the 2 GB file must each be reported:\n%s", warn)
	}
	if res.Bytes > 16<<20 {
		t.Errorf("read %d bytes: the 2 GB file was read past its header", res.Bytes)
	}
	sum, err := st.LogSummary(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sessions != 3 || sum.Denials[license.Professional] != 5 {
		t.Errorf("good rows lost: sessions %d, denials %v", sum.Sessions, sum.Denials)
	}
	if after := listTree(t, filepath.Dir(root)); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("files written next to the logs:\n%v\nbefore:\n%v", after, before)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(zpath), "..", "escape")); err == nil {
		t.Error("a zip member was extracted")
	}
	// The truncated file is not recorded as done: when it grows, the new
	// row is read and the old ones are not counted twice.
	write("Proxy/Audit/N1_AuditActivity_Proxy.txt", proxyHeader+
		proxyRow(1, "20260302T091512.000+0100", "a", "s1", "anna")+
		proxyRow(2, "20260302T101512.000+0100", "b", "s2", "bob")+
		proxyRow(3, "20260302T111512.000+0100", "c", "s3", "carl"))
	if _, err := logimport.Import(ctx, st, []string{root, zpath}, logimport.Options{Site: "prod"}); err != nil {
		t.Fatal(err)
	}
	if sum, _ := st.LogSummary(ctx, "prod"); sum.Sessions != 4 {
		t.Errorf("after the file grew: %d sessions, want 4", sum.Sessions)
	}
}

func listTree(t *testing.T, root string) []string {
	var out []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// The active .txt is imported while it is written; it is then rolled to a
// .log in the archive and a new .txt starts. Each row counts once: the
// .log is read from where the .txt stopped.
func TestActiveThenRolledCountOnce(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rows := ""
	for i := 1; i <= 5; i++ {
		rows += proxyRow(i, "20260302T0"+itoa(i)+"1512.000+0000", "r"+itoa(i), "s"+itoa(i), "u"+itoa(i))
	}
	first3 := strings.Join(strings.SplitAfter(rows, "\r\n")[:3], "")
	active := "Log/Proxy/Audit/N1_AuditActivity_Proxy.txt"
	st := openStore(t)
	// Just created: the first row is not complete yet.
	write(active, proxyHeader+first3[:40])
	sessions := func() int64 {
		t.Helper()
		if _, err := logimport.Import(ctx, st, []string{root}, logimport.Options{Site: "s"}); err != nil {
			t.Fatal(err)
		}
		sum, err := st.LogSummary(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		return sum.Sessions
	}
	if n := sessions(); n != 0 {
		t.Fatalf("a half-written first row: %d sessions, want 0", n)
	}
	write(active, proxyHeader+first3+"4\tv\t2026")
	if n := sessions(); n != 3 {
		t.Fatalf("the active file: %d sessions, want 3", n)
	}
	// Rolled: the .log holds all five rows, the new .txt a sixth.
	if err := os.Remove(filepath.Join(root, active)); err != nil {
		t.Fatal(err)
	}
	write("ArchivedLogs/n1/Proxy/Audit/N1_AuditActivity_Proxy_2026-03-02T12.00.00Z.log", proxyHeader+rows)
	write(active, proxyHeader+proxyRow(1, "20260302T131512.000+0000", "r6", "s6", "u6"))
	if n := sessions(); n != 6 {
		t.Fatalf("after the roll: %d sessions, want 6", n)
	}
	if n := sessions(); n != 6 {
		t.Fatalf("imported again: %d sessions, want 6", n)
	}
}

// Two imports of the same logs at once (serve's schedule and a manual
// run) count nothing twice: a batch whose rows the other saved first is
// refused, and the next import completes the figures.
func TestConcurrentImportsCountOnce(t *testing.T) {
	ctx := context.Background()
	dir, truth := generate(t, 200, 20)
	st := openStore(t)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := logimport.Import(ctx, st, []string{dir}, logimport.Options{Site: "sim", BatchRows: 2000})
			errs <- err
		}()
	}
	for range 2 {
		err := <-errs
		t.Logf("import: %v", err)
		if err != nil && !errors.Is(err, store.ErrLogStreamMoved) && !strings.Contains(err.Error(), "locked") {
			t.Errorf("an import beside another: %v", err)
		}
	}
	if _, err := logimport.Import(ctx, st, []string{dir}, logimport.Options{Site: "sim"}); err != nil {
		t.Fatal(err)
	}
	checkTruth(t, st, truth)
}

// A store of schema 6 recorded an active .txt (its rows were deduplicated
// by Id then, and the migration kept their counts); after the upgrade the
// .txt grows on one node and is rolled to a .log on another: neither
// counts the rows the old import counted again.
func TestLegacyActiveFileContinued(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "logs")
	rows := ""
	for i := 1; i <= 5; i++ {
		rows += proxyRow(i, "20260302T0"+itoa(i)+"1512.000+0000", "r"+itoa(i), "s"+itoa(i), "u"+itoa(i))
	}
	first3 := proxyHeader + strings.Join(strings.SplitAfter(rows, "\r\n")[:3], "")
	st := openStore(t)
	for _, node := range []string{"n1", "n2"} {
		p := filepath.Join(root, node, "Log", "Proxy", "Audit", strings.ToUpper(node)+"_AuditActivity_Proxy.txt")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		body := strings.ReplaceAll(first3, "\tN1\t", "\t"+strings.ToUpper(node)+"\t")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		sum, err := logimport.FileSum(p, int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		// What the schema-6 import left: the file's record (no stream) and
		// its three sessions.
		var days []store.LogUserDay
		for i := 1; i <= 3; i++ {
			days = append(days, store.LogUserDay{Day: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), User: node + `\u` + itoa(i), Sessions: 1})
		}
		if err := st.SaveLogBatch(ctx, "s", &store.LogBatch{UserDays: days, Files: []store.LogFile{{
			Path: "logs/" + node + "/Log/Proxy/Audit/" + filepath.Base(p), Size: int64(len(body)), Checksum: sum, Kind: "proxy activity", Node: node, Rows: 3}}}); err != nil {
			t.Fatal(err)
		}
	}
	full := proxyHeader + rows
	// n1: the .txt grew. n2: it was rolled to a .log (and a new .txt begun).
	if err := os.WriteFile(filepath.Join(root, "n1", "Log", "Proxy", "Audit", "N1_AuditActivity_Proxy.txt"), []byte(full), 0o644); err != nil {
		t.Fatal(err)
	}
	n2 := filepath.Join(root, "n2", "Log", "Proxy", "Audit")
	if err := os.Remove(filepath.Join(n2, "N2_AuditActivity_Proxy.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n2, "N2_AuditActivity_Proxy_2026-03-02T12.00.00Z.log"), []byte(strings.ReplaceAll(full, "\tN1\t", "\tN2\t")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := logimport.Import(ctx, st, []string{root}, logimport.Options{Site: "s"}); err != nil {
		t.Fatal(err)
	}
	sum, err := st.LogSummary(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sessions != 10 {
		t.Errorf("%d sessions, want 5 per node", sum.Sessions)
	}
}
