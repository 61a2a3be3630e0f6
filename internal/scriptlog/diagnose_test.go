package scriptlog

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/licmon/licmon/internal/golden"
)

func diagnoseFile(t testing.TB, path string) *Diagnosis {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := Diagnose(f, Options{})
	if err != nil {
		t.Fatalf("Diagnose(%s): %v", path, err)
	}
	return d
}

// TestGolden diagnoses every fixture and compares the JSON with its golden
// file (regenerate with: go test ./internal/scriptlog -update).
func TestGolden(t *testing.T) {
	logs, err := filepath.Glob("testdata/*.log")
	if err != nil || len(logs) < 20 {
		t.Fatalf("want at least 20 fixtures in testdata, got %d (%v)", len(logs), err)
	}
	for _, path := range logs {
		name := strings.TrimSuffix(filepath.Base(path), ".log")
		t.Run(name, func(t *testing.T) {
			d := diagnoseFile(t, path)
			got, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden.Assert(t, name+".golden.json", got)
		})
	}
}

// TestFixtureExpectations pins the facts a user relies on for each fixture,
// independent of the golden files, so a careless -update cannot hide a
// regression in code, line, connection or error.
func TestFixtureExpectations(t *testing.T) {
	const auth401 = "HTTP protocol error 401 (Unauthorized):\nRequested resource requires authentication."
	tests := []struct {
		file       string
		outcome    Outcome
		code       string
		line       int
		conn       string
		connected  bool
		errContain string
		status     int
		stmtPrefix string
	}{
		{"lm-401-new-format", OutcomeFailed, "rest-auth", 705, "monitor_apps_REST_license_user", true, auth401, 401, "SQL SELECT\n\t(SELECT"},
		{"lm-401-old-format", OutcomeFailed, "rest-auth", 705, "monitor_apps_REST_license_user", true, auth401, 401, "SQL SELECT"},
		{"lm-401-utf16le-bom", OutcomeFailed, "rest-auth", 705, "monitor_apps_REST_license_user", true, auth401, 401, "SQL SELECT"},
		{"lm-401-lf-nobom", OutcomeFailed, "rest-auth", 705, "monitor_apps_REST_license_user", true, auth401, 401, "SQL SELECT"},
		{"rest-403", OutcomeFailed, "rest-auth", 705, "monitor_apps_REST_license_professional", true, "HTTP protocol error 403 (Forbidden):\nAccess denied", 403, "SQL SELECT"},
		{"rest-404", OutcomeFailed, "rest-http", 705, "monitor_apps_REST_license_overview", true, "HTTP protocol error 404 (Not Found):", 404, "SQL SELECT"},
		{"rest-502-with-garbage", OutcomeFailed, "rest-http", 705, "monitor_apps_REST_license_analyzer", true, "HTTP protocol error 502 (Bad Gateway):", 502, "SQL SELECT"},
		{"qvx-unexpected-end", OutcomeFailed, "rest-connect", 705, "monitor_apps_REST_user_condensed", true, "QVX_UNEXPECTED_END_OF_DATA: Failed to connect to server", 0, "SQL SELECT"},
		{"ssl-secure-channel", OutcomeFailed, "rest-connect", 705, "monitor_apps_REST_license_login", true, "Could not create SSL/TLS secure channel.", 0, "SQL SELECT"},
		{"timeout", OutcomeFailed, "timeout", 705, "monitor_apps_REST_license_user", true, "The operation has timed out", 0, "SQL SELECT"},
		{"file-not-found-sub", OutcomeFailed, "file-not-found", 121, "", false, "Cannot open file: 'lib://ArchivedLogsFolder/QLIKSERVER1/Engine/Trace/*_Audit_Engine*.log'", 0, "AuditEngine:\nLOAD\n    Timestamp,"},
		{"file-not-found-native-path", OutcomeFailed, "file-not-found", 310, "", false, "(Native Path: \\\\BWMOTPDQLIKRS01\\Qlik\\ArchivedLogs\\", 0, "FOR each vFile"},
		{"field-sessionid", OutcomeFailed, "field-not-found", 201, "", false, "Field 'SessionId' not found", 0, "SessionLog:\nLOAD"},
		{"field-cachebytesadded", OutcomeFailed, "field-not-found", 850, "", false, "Field 'CacheBytesAdded' not found", 0, "Drop field CacheBytesAdded"},
		{"table-filelisttemp", OutcomeFailed, "table-not-found", 410, "", false, "Table 'FileListTemp' not found", 0, "FileList:\nNoConcatenate\nLOAD Distinct FileName\nRESIDENT FileListTemp"},
		{"out-of-memory", OutcomeFailed, "out-of-memory", 520, "", false, "Out of memory.", 0, "LogContent:\nLOAD *\nFROM"},
		{"out-of-memory-truncated", OutcomeTruncated, "out-of-memory", 520, "", false, "OUT OF VIRTUAL AND/OR LOGICAL MEMORY", 0, "LogContent:"},
		{"aborted", OutcomeAborted, "aborted", 300, "", false, "Execution aborted by user", 0, "LogContent:"},
		{"connection-missing", OutcomeFailed, "connection-missing", 690, "monitor_apps_REST_license", false, "Connection 'monitor_apps_REST_license' not found", 0, "LIB CONNECT TO"},
		{"connection-missing-at-lib-connect", OutcomeFailed, "connection-missing", 88, "monitor_apps_REST_user_condensed", false, "Failed to open data source", 0, "LIB CONNECT TO"},
		{"syntax-error", OutcomeFailed, "syntax-error", 34, "", false, "Unexpected token: ')'", 0, "LOAD\n    EmpID,"},
		{"unknown-error", OutcomeFailed, "unknown", 901, "", false, "General Script Error", 0, "STORE LicenseSnapshot"},
		{"truncated-last-line", OutcomeTruncated, "truncated", 34, "", false, "", 0, "LOAD\n    EmpID,"},
		{"huge-line", OutcomeFailed, "field-not-found", 51, "", false, "Field 'Missing' not found", 0, "Data:\nLOAD Missing\nRESIDENT Source"},
		{"success-new-format", OutcomeSuccess, "ok", 0, "", false, "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d := diagnoseFile(t, filepath.Join("testdata", tt.file+".log"))
			if d.Outcome != tt.outcome || d.Code != tt.code {
				t.Errorf("outcome/code = %s/%s, want %s/%s (error %q)", d.Outcome, d.Code, tt.outcome, tt.code, d.Error)
			}
			if d.Statement.ScriptLine != tt.line {
				t.Errorf("line = %d, want %d (statement %q)", d.Statement.ScriptLine, tt.line, d.Statement.Text)
			}
			if d.Connection.Name != tt.conn || d.Connection.Connected != tt.connected {
				t.Errorf("connection = %q connected=%v, want %q %v", d.Connection.Name, d.Connection.Connected, tt.conn, tt.connected)
			}
			if !strings.Contains(d.Error, tt.errContain) || (tt.errContain == "" && d.Error != "") {
				t.Errorf("error = %q, want it to contain %q", d.Error, tt.errContain)
			}
			if d.HTTPStatus != tt.status {
				t.Errorf("httpStatus = %d, want %d", d.HTTPStatus, tt.status)
			}
			if !strings.HasPrefix(d.Statement.Text, tt.stmtPrefix) {
				t.Errorf("statement = %q, want prefix %q", d.Statement.Text, tt.stmtPrefix)
			}
			if tt.outcome != OutcomeSuccess && len(d.Context) == 0 {
				t.Errorf("no context lines")
			}
			if d.Code != "ok" && d.Hint == "" {
				t.Errorf("no hint for %s", d.Code)
			}
			if strings.Contains(d.Hint, "{") {
				t.Errorf("hint has an unfilled placeholder: %q", d.Hint)
			}
		})
	}
}

func TestRestAuthHintNamesConnection(t *testing.T) {
	d := diagnoseFile(t, "testdata/lm-401-new-format.log")
	for _, want := range []string{"monitor_apps_REST_license_user", "ALL monitor_apps_REST_*", "QMC", "000104165", "JWT"} {
		if !strings.Contains(d.Hint, want) {
			t.Errorf("401 hint lacks %q: %s", want, d.Hint)
		}
	}
	d = diagnoseFile(t, "testdata/rest-403.log")
	if !strings.Contains(d.Hint, "RootAdmin") {
		t.Errorf("403 hint lacks RootAdmin: %s", d.Hint)
	}
	d = diagnoseFile(t, "testdata/file-not-found-native-path.log")
	if want := `\\BWMOTPDQLIKRS01\Qlik\ArchivedLogs\BWMOTPDQLIKAS01.CORP.MOTION-IND.COM\Repository\System\`; d.File != want || !strings.Contains(d.Hint, want) {
		t.Errorf("file = %q, hint %q; want native path %q", d.File, d.Hint, want)
	}
}

func TestEncodingsGiveSameDiagnosis(t *testing.T) {
	base := diagnoseFile(t, "testdata/lm-401-new-format.log")
	u16 := diagnoseFile(t, "testdata/lm-401-utf16le-bom.log")
	if diff := cmp.Diff(base, u16); diff != "" {
		t.Errorf("UTF-16 LE diagnosis differs from UTF-8 (-utf8 +utf16):\n%s", diff)
	}
	// BOM-less UTF-16 LE and big-endian with BOM are transcoded too.
	raw, err := os.ReadFile("testdata/lm-401-utf16le-bom.log")
	if err != nil {
		t.Fatal(err)
	}
	noBOM, _ := Diagnose(bytes.NewReader(raw[2:]), Options{})
	be := append([]byte{}, raw...)
	for i := 0; i+1 < len(be); i += 2 {
		be[i], be[i+1] = be[i+1], be[i]
	}
	bigEnd, _ := Diagnose(bytes.NewReader(be), Options{})
	for name, d := range map[string]*Diagnosis{"utf16le-nobom": noBOM, "utf16be": bigEnd} {
		if d.Code != "rest-auth" || d.Statement.ScriptLine != 705 || d.Error != base.Error {
			t.Errorf("%s: code %s line %d error %q", name, d.Code, d.Statement.ScriptLine, d.Error)
		}
	}
}

func TestContextAroundFailure(t *testing.T) {
	d := diagnoseFile(t, "testdata/field-sessionid.log")
	// 5 lines before "SessionLog:", the statement, the error, Execution Failed,
	// Execution finished. (only 1 line after the failure exists).
	var texts []string
	for _, l := range d.Context {
		texts = append(texts, l.Text)
	}
	if len(d.Context) != 5+5+3 {
		t.Fatalf("context has %d lines, want 13: %q", len(d.Context), texts)
	}
	if d.Context[5].Text != "SessionLog:" || d.Context[5].ScriptLine != 201 || d.Context[5].Kind != KindStatement {
		t.Errorf("context[5] = %+v, want the first statement line", d.Context[5])
	}
	if last := d.Context[len(d.Context)-1]; last.Text != "Execution finished." {
		t.Errorf("last context line = %q", last.Text)
	}
	for i := 1; i < len(d.Context); i++ {
		if d.Context[i].N != d.Context[i-1].N+1 {
			t.Errorf("context lines not consecutive at %d: %d after %d", i, d.Context[i].N, d.Context[i-1].N)
		}
	}
	raw, err := os.ReadFile("testdata/field-sessionid.log")
	if err != nil {
		t.Fatal(err)
	}
	d, err = Diagnose(bytes.NewReader(raw), Options{ContextLines: -1})
	if err != nil || len(d.Context) != 7 || d.Context[0].Text != "SessionLog:" {
		t.Errorf("ContextLines -1: %d lines, err %v; want only the 7 failing lines", len(d.Context), err)
	}
}

func TestHeader(t *testing.T) {
	d := diagnoseFile(t, "testdata/lm-401-new-format.log")
	h := d.Header
	if h.ServerVersion != "13.62.4+Build:0.local.Component.Version" || h.UserDirectory != "INTERNAL" ||
		h.UserID != "sa_scheduler" || h.ProcessID != "5376" || h.Other["LogFile CodePage Used"] != "65001" ||
		h.Other["Operating System"] != "Windows 8.1 Enterprise  (64 bit edition)" {
		t.Errorf("header = %+v", h)
	}
	if !d.HasZone || d.Start.Format("2006-01-02T15:04:05.000-0700") != "2020-03-30T12:15:00.001-0400" {
		t.Errorf("start = %v hasZone=%v", d.Start, d.HasZone)
	}
	if d.Duration <= 0 || d.Duration != d.End.Sub(d.Start) {
		t.Errorf("duration = %v", d.Duration)
	}
}

func TestNotALog(t *testing.T) {
	for _, in := range []string{"", "hello\nworld\n", "\xff\xfe", "\x00\x00\x00"} {
		d, err := Diagnose(strings.NewReader(in), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Outcome != OutcomeUnknown || d.Code != "not-a-log" {
			t.Errorf("%q: outcome %s code %s", in, d.Outcome, d.Code)
		}
	}
}

// TestErrorModeZeroStillSuccess: an error that the script survives (SET
// ErrorMode=0) does not make a finished reload a failure.
func TestErrorModeZeroStillSuccess(t *testing.T) {
	in := "2016-12-12 18:10:43 0002 SET ErrorMode=0\n" +
		"2016-12-12 18:10:43 0003 LOAD * FROM [lib://x/a.qvd] (qvd)\n" +
		"2016-12-12 18:10:43      Error: Cannot open file: 'lib://x/a.qvd'\n" +
		"2016-12-12 18:10:44      Execution finished.\n"
	d, err := Diagnose(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != OutcomeSuccess || d.Code != "ok" || d.Error != "" || d.Counts.ErrorLines != 1 {
		t.Errorf("got %s/%s error %q errorLines %d", d.Outcome, d.Code, d.Error, d.Counts.ErrorLines)
	}
}
