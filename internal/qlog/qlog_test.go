package qlog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/samples"
)

const secHeader = "Sequence#\tProductVersion\tTimestamp\tHostname\tId\tDescription\tProxySessionId\tProxyPackageId\tRequestSequenceId\tUserDirectory\tUserId\tObjectId\tObjectName\tSecurityClass\tClientHostAddress\tService\tOrigin\tContext\tCommand\tResult\tMessage\tChecksum"

func extractAll(t *testing.T, name string, body string) (Batch, Stats) {
	t.Helper()
	fn, ok := ParseFileName(name)
	if !ok {
		t.Fatalf("ParseFileName(%q) failed", name)
	}
	var all Batch
	st, err := Extract(fn, strings.NewReader(body), func(b *Batch) error {
		all.Sessions = append(all.Sessions, b.Sessions...)
		all.Uses = append(all.Uses, b.Uses...)
		all.Denials = append(all.Denials, b.Denials...)
		all.Commands = append(all.Commands, b.Commands...)
		all.Tasks = append(all.Tasks, b.Tasks...)
		return nil
	})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	return all, st
}

func TestParseFileName(t *testing.T) {
	f, ok := ParseFileName("QSNODE1_AuditSecurity_Repository_2024-03-05T10.58.53Z.log")
	if !ok || f.Host != "QSNODE1" || f.Kind != KindSecurity || !f.Rolled ||
		!f.Closed.Equal(time.Date(2024, 3, 5, 10, 58, 53, 0, time.UTC)) {
		t.Fatalf("rolled name: %+v %v", f, ok)
	}
	f, ok = ParseFileName("PRO2-WIN1_AuditActivity_Proxy.txt")
	if !ok || f.Host != "PRO2-WIN1" || f.Kind != KindProxyActivity || f.Rolled || !f.Closed.IsZero() {
		t.Fatalf("active name: %+v %v", f, ok)
	}
	if f, _ := ParseFileName("my_host_name_Session_Engine.txt"); f.Host != "my_host_name" || f.Kind != KindEngineSession {
		t.Fatalf("host with underscores: %+v", f)
	}
	if _, ok := ParseFileName("1444921956216_Global.log"); ok {
		t.Fatal("a node.js service log is not a service log of the Audit/System/Trace kind")
	}
	s, ok := ParseScriptLogName("9b709d76-3d52-4d22-9fd7-f90001e687a7.2016_12_12_18_10_43.1212D6BB3B9AB83EA9B0.log")
	if !ok || s.AppID != "9b709d76-3d52-4d22-9fd7-f90001e687a7" || s.Started.Hour() != 18 {
		t.Fatalf("script log name: %+v %v", s, ok)
	}
	s, ok = ParseScriptLogName("9b709d76-3d52-4d22-9fd7-f90001e687a7.20240305T091512.317+0100.ABC123.log")
	if !ok || !s.Started.Equal(time.Date(2024, 3, 5, 8, 15, 12, 317e6, time.UTC)) {
		t.Fatalf("script log name with a service-log time: %+v %v", s, ok)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2011, 8, 5, 12, 56, 57, 0, time.UTC)
	for _, s := range []string{"20110805T145657.000+0200", "20110805T145657.000+02:00", "20110805T125657Z",
		"2011-08-05T14:56:57+02:00", "20110805T145657+0200", "2011-08-05 12:56:57"} {
		got, ok := ParseTime(s)
		if !ok || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "Timestamp", "20111305T145657.000+0200", "20110805T145657.", "20110805T145657.000+02", "2011080"} {
		if _, ok := ParseTime(s); ok {
			t.Errorf("ParseTime(%q) accepted", s)
		}
	}
	if got, _ := ParseTime(FormatTime(time.Date(2024, 3, 5, 9, 15, 12, 317e6, time.FixedZone("", 3600)))); !got.Equal(time.Date(2024, 3, 5, 8, 15, 12, 317e6, time.UTC)) {
		t.Errorf("FormatTime round trip: %v", got)
	}
}

func TestParseDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{"00:12:30": 750 * time.Second, "26:00:00": 26 * time.Hour,
		"1.02:00:00": 26 * time.Hour, "0.5": 12 * time.Hour, "00:00:01.5": 1500 * time.Millisecond} {
		if got, ok := ParseDuration(s); !ok || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "x", "1:2", "00:61:00", "-1"} {
		if _, ok := ParseDuration(s); ok {
			t.Errorf("ParseDuration(%q) accepted", s)
		}
	}
}

// A security log in another column order with extra and missing columns,
// a BOM, CRLF, both offset forms, escapes, a broken message line and a
// truncated last row: every event of the good rows is read, every oddity
// is reported.
func TestReaderLenient(t *testing.T) {
	body := "\ufeffMessage\tExtra\tTimestamp\tId\tSequence#\tUserDirectory\tUserId\tCommand\tResult\r\n" +
		"Professional access denied for User: 'CORP\\anna', SessionID: 'c0de1', Hostname: '10.1.1.1', OperationType: 'UsageDenied'\tx\t20240305T091512.317+0100\tid-1\t1\tCORP\tanna\tLicense user access\t403\r\n" +
		"Login access denied for SessionID: 'c0de2', Hostname: \"10.1.1.2\", OperationType: 'UsageDenied'\tx\t20240305T101512.000+01:00\tid-2\t2\tCORP\tbob\tLicense user access\t403\r\n" +
		"line one\u2193line two\u21d4tabbed\n" + // a message broken by a raw line end in a real file
		"continued\tx\t20240305T101512.000+0100\tid-3\tnot-a-number\tCORP\tbob\tLicense user access\t0\r\n" +
		"Analyzer access denied for User: 'CORP\\carl', OperationType: 'UsageDenied'\tx\t20240305T111512.000+0100\tid-4\t4\tCORP\tcarl\tLicense user access\t403\r\n" +
		"Analyzer access denied for User: 'CORP\\cut'\tx\t2024030"
	b, st := extractAll(t, "N1_AuditSecurity_Repository.txt", body)
	if len(b.Denials) != 3 {
		t.Fatalf("denials: %+v", b.Denials)
	}
	d := b.Denials[0]
	if d.User != `CORP\anna` || d.Type != license.Professional || !d.At.Equal(time.Date(2024, 3, 5, 8, 15, 12, 317e6, time.UTC)) {
		t.Errorf("first denial: %+v", d)
	}
	if b.Denials[1].Type != license.LoginAccess || b.Denials[1].User != `CORP\bob` || b.Denials[2].Type != license.Analyzer {
		t.Errorf("denials: %+v", b.Denials)
	}
	if !st.IncompleteLastLine || st.Skipped != 3 || st.Rows != 3 {
		t.Errorf("stats: %+v", st)
	}
	if len(st.Warnings) == 0 || !strings.Contains(st.Warnings[len(st.Warnings)-1].String(), "no line end") {
		t.Errorf("warnings: %v", st.Warnings)
	}
}

func TestUnescape(t *testing.T) {
	in := "a\tb\nc\fd\re"
	if e := Escape(in); strings.ContainsAny(e, "\t\n\f\r") || Unescape(e) != in {
		t.Fatalf("Escape/Unescape: %q -> %q", in, Escape(in))
	}
}

func TestWrongEncodingAndBinary(t *testing.T) {
	// A Windows-1252 file: the user name survives as Latin-1.
	body := secHeader + "\n" + "1\tv\t20240305T091512.317+0100\tN1\tid-1\tCommand=License user access;Result=403;ResultText=Error: Access denied\t0\t0\t0\tCORP\tj\xf6rg\t\t\t\t\tRepository\t\t\t\t\tProfessional access denied for User: 'CORP\\j\xf6rg', OperationType: 'UsageDenied'\tff\n"
	b, st := extractAll(t, "N1_AuditSecurity_Repository.txt", body)
	if len(b.Denials) != 1 || b.Denials[0].User != `CORP\jörg` || st.Latin1 != 1 {
		t.Fatalf("latin-1: %+v %+v", b.Denials, st)
	}
	_, err := Extract(FileName{Kind: KindSecurity}, strings.NewReader("\x00\x01\x02PK\x03\x04binary"), func(*Batch) error { return nil })
	if !errors.Is(err, ErrNotServiceLog) {
		t.Fatalf("binary file: %v", err)
	}
	// UTF-16 (a log re-saved by a Windows editor) is transcoded.
	u16 := []byte{0xFF, 0xFE}
	for _, r := range secHeader + "\n" {
		u16 = append(u16, byte(r), 0)
	}
	_, st, err = func() (Batch, Stats, error) {
		st, err := Extract(FileName{Kind: KindSecurity}, strings.NewReader(string(u16)), func(*Batch) error { return nil })
		return Batch{}, st, err
	}()
	if err != nil || !st.UTF16 {
		t.Fatalf("utf-16: %v %+v", err, st)
	}
}

func TestProxyAndEngineSessions(t *testing.T) {
	hdr := "Sequence#\tProductVersion\tTimestamp\tHostname\tId\tDescription\tProxySessionId\tProxyPackageId\tRequestSequenceId\tUserDirectory\tUserId\tObjectId\tObjectName\tService\tOrigin\tContext\tCommand\tResult\tMessage\tId2\n"
	body := hdr +
		"1\tv\t20240305T091512.317+0100\tnode1\ta\tCommand=Start session;Result=0;ResultText=Success\tc0deAAA\tp\t0\tCORP\tanna\t\t\tProxy\t\t/hub/\tStart session\t0\tStart session for user 'CORP\\anna'\tz\n" +
		"2\tv\t20240305T091600.000+0100\tnode1\tb\tCommand=Start session;Result=0;ResultText=Success\t0\t0\t0\tINTERNAL\tsa_api\t\t\tProxy\t\t\tStart session\t0\tinternal\tz\n" +
		"3\tv\t20240305T111512.000+0100\tnode1\tc\tCommand=Stop session;Result=0;ResultText=Success\tc0deAAA\tp\t0\tCORP\tanna\t\t\tProxy\t\t\tStop session\t0\tStop session for user 'CORP\\anna'\tz\n"
	// The start counts the session; the internal account's and the stop
	// add nothing.
	b, _ := extractAll(t, "NODE1_AuditActivity_Proxy.txt", body)
	if len(b.Sessions) != 1 || !b.Sessions[0].At.Equal(time.Date(2024, 3, 5, 8, 15, 12, 317e6, time.UTC)) || b.Sessions[0].User != `CORP\anna` || b.Sessions[0].Engine {
		t.Fatalf("proxy sessions: %+v", b.Sessions)
	}
	eng := "Sequence#\tTimestamp\tLevel\tHostname\tId\tActiveUserDirectory\tActiveUserId\tAppId\tApp Title\tProxySessionId\tSessionId\tSession Start\tSession Duration\tCPU Spent (s)\tMessage\tId2\n" +
		"1\t20240305T120000.000+0100\tINFO\tnode1\te1\tCORP\tanna\tapp\tSales\tc0deAAA\ts1\t20240305T091600.000+0100\t02:00:00\t1.5\t\tz\n" +
		"2\t20240305T120000.000+0100\tINFO\tnode1\te2\tINTERNAL\tsa_scheduler\tapp\tSales\t0\ts2\t20240305T091600.000+0100\t00:01:00\t1.5\t\tz\n"
	b, _ = extractAll(t, "NODE1_Session_Engine.txt", eng)
	if len(b.Sessions) != 1 || !b.Sessions[0].At.Equal(time.Date(2024, 3, 5, 8, 16, 0, 0, time.UTC)) || !b.Sessions[0].Engine || b.Sessions[0].User != `CORP\anna` {
		t.Fatalf("engine sessions: %+v", b.Sessions)
	}
}

func TestSchedulerRuns(t *testing.T) {
	hdr := "Sequence#\tProductVersion\tTimestamp\tHostname\tId\tDescription\tProxySessionId\tProxyPackageId\tRequestSequenceId\tUserDirectory\tUserId\tObjectId\tObjectName\tService\tOrigin\tContext\tCommand\tResult\tMessage\tId2\n"
	body := hdr +
		"1\tv\t20231204T120000.000+0000\tqmi\tr1\tCommand=Start task;Result=0;ResultText=Success\t0\t0\t0\tINTERNAL\tsa_scheduler\tT1|A1\tReload License Monitor|License Monitor\tScheduler\t\t\tStart task\t0\tChanging task state to Triggered\tz\n" +
		"2\tv\t20231204T121000.000+0000\tqmi\tr2\tCommand=Finished task;Result=65;ResultText=Error: Failed\t0\t0\t0\tINTERNAL\tsa_scheduler\tT1|A1\tReload License Monitor|License Monitor\tScheduler\t\t\tFinished task\t65\tTask finished with state FinishedFail\tz\n"
	b, _ := extractAll(t, "qmi_AuditActivity_Scheduler.txt", body)
	if len(b.Tasks) != 1 {
		t.Fatalf("tasks: %+v", b.Tasks)
	}
	r := b.Tasks[0]
	if r.Task != "Reload License Monitor" || r.App != "License Monitor" || r.AppID != "a1" || r.Status != "FinishedFail" || r.Result != "65" || r.End.Sub(r.Start) != 10*time.Minute {
		t.Fatalf("run: %+v", r)
	}
}

// The real License-related messages of a 2023 repository log (samples):
// every denial line is a session-limit denial of a named user, every
// "User access … LicenseProfessionalAccessTypeId" line a professional use.
func TestRealMessages(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "samples", "real-2023-scheduler-repository-log-values.txt")
	samples.Require(t, path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var denials, uses, timedout int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m, ok := ParseLicenseMessage(sc.Text())
		if !ok {
			continue
		}
		switch {
		case m.Denied():
			denials++
			if !m.SessionLimit || m.User != `QMI-QS-78E3\qlik` || !strings.HasPrefix(m.SessionID, "c0de") {
				t.Errorf("denial %q: %+v", sc.Text(), m)
			}
		case m.Operation == "Timedout":
			timedout++
		case m.Type == license.Professional:
			uses++
			if _, ok := ParseTime(m.LastUsed); !ok || m.User != `QMI-QS-78E3\qlik` {
				t.Errorf("use %q: %+v", sc.Text(), m)
			}
		}
	}
	if denials != 3 || uses != 3 || timedout != 3 {
		t.Fatalf("denials %d, uses %d, timed out %d; want 3 each", denials, uses, timedout)
	}
}

// endlessLog produces n bytes of security-log rows without holding them.
type endlessLog struct {
	left int64
	seq  int
	buf  []byte
	head bool
}

func (e *endlessLog) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if len(e.buf) == 0 {
		if !e.head {
			e.head = true
			e.buf = append(e.buf, secHeader+"\n"...)
		}
		for len(e.buf) < 64<<10 {
			e.seq++
			e.buf = append(e.buf, "1\tv\t20240305T091512.317+0100\tN1\tid\tCommand=License user access;Result=403;ResultText=Error: Access denied\t0\t0\t0\tCORP\tu\t\t\t\t\tRepository\t\t\tLicense user access\t403\tProfessional access denied for User: 'CORP\\u', OperationType: 'UsageDenied'\tff\n"...)
		}
	}
	n := copy(p, e.buf)
	if int64(n) > e.left {
		n = int(e.left)
	}
	e.buf = e.buf[n:]
	e.left -= int64(n)
	return n, nil
}

// Memory stays flat in the size of the input: a 2 GB log (behind
// LICMON_BIG_TESTS, which .ci/run sets; 128 MB otherwise) is read with the
// heap bounded by the batch, not the file.
func TestStreamingMemoryFlat(t *testing.T) {
	size := int64(128 << 20)
	if os.Getenv("LICMON_BIG_TESTS") != "" {
		size = 2 << 30
	}
	var peak uint64
	var ms runtime.MemStats
	events := 0
	st, err := Extract(FileName{Kind: KindSecurity}, &endlessLog{left: size}, func(b *Batch) error {
		events += len(b.Denials)
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if events < int(size/400) {
		t.Fatalf("only %d events from %d bytes", events, size)
	}
	if peak > 64<<20 {
		t.Fatalf("heap reached %d MB reading %d MB: not streaming", peak>>20, size>>20)
	}
	if !st.IncompleteLastLine {
		t.Error("the generated input ends mid-row; the reader must say so")
	}
}

// The active .txt read early and the rolled .log it became have one
// identity; the .log resumed where the .txt ended gives only the rows
// written since, and a file that does not continue those bytes is refused.
func TestIdentityAndResume(t *testing.T) {
	row := func(seq int, user string) string {
		return strconv.Itoa(seq) + "\tv\t20240305T0915" + fmt.Sprintf("%02d", seq) + ".000+0000\tN1\tid-" + strconv.Itoa(seq) +
			"\tCommand=License user access;Result=403;ResultText=Error\t0\t0\t0\tCORP\t" + user + "\t\t\t\t\tRepository\t\t\t\t\t" +
			"Professional access denied for User: 'CORP\\" + user + "', OperationType: 'UsageDenied'\tff\r\n"
	}
	txt := secHeader + "\r\n" + row(1, "anna") + row(2, "bob") + "3\tv\t2024"
	log := secHeader + "\r\n" + row(1, "anna") + row(2, "bob") + row(3, "carl") + row(4, "dan")
	idTxt, ok1, err1 := Identity(strings.NewReader(txt))
	idLog, ok2, err2 := Identity(strings.NewReader(log))
	if err1 != nil || err2 != nil || !ok1 || !ok2 || idTxt != idLog {
		t.Fatalf("identity: %q %v %v, %q %v %v", idTxt, ok1, err1, idLog, ok2, err2)
	}
	if _, ok, _ := Identity(strings.NewReader(secHeader + "\r\n")); ok {
		t.Fatal("a file with no data row has no identity yet")
	}
	if other, _, _ := Identity(strings.NewReader(secHeader + "\r\n" + row(1, "zoe"))); other == idTxt {
		t.Fatal("another first row, the same identity")
	}
	read := func(body string, opts Options) ([]string, int64, []byte, error) {
		var users []string
		var end int64
		var tail []byte
		_, err := ExtractFrom(FileName{Kind: KindSecurity}, strings.NewReader(body), opts, func(b *Batch) error {
			for _, d := range b.Denials {
				users = append(users, d.User)
			}
			end, tail = b.End, append([]byte(nil), b.Tail...)
			return nil
		})
		return users, end, tail, err
	}
	users, end, tail, err := read(txt, Options{})
	if err != nil || strings.Join(users, ",") != `CORP\anna,CORP\bob` || end != int64(len(secHeader+"\r\n"+row(1, "anna")+row(2, "bob"))) {
		t.Fatalf("the .txt: %v %d %v", users, end, err)
	}
	users, _, _, err = read(log, Options{From: end, Tail: tail})
	if err != nil || strings.Join(users, ",") != `CORP\carl,CORP\dan` {
		t.Fatalf("the .log resumed: %v %v", users, err)
	}
	forged := secHeader + "\r\n" + row(1, "anna") + row(2, "bot") + row(3, "carl")
	if _, _, _, err := read(forged, Options{From: end, Tail: tail}); !errors.Is(err, ErrResumeMismatch) {
		t.Fatalf("other bytes before the resume point: %v", err)
	}
	if _, _, _, err := read(secHeader+"\r\n"+row(1, "anna"), Options{From: end, Tail: tail}); !errors.Is(err, ErrResumeMismatch) {
		t.Fatalf("a shorter file: %v", err)
	}
}
