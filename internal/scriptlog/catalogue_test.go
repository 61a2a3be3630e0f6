package scriptlog

import (
	"regexp"
	"strings"
	"testing"
)

func TestCatalogueCoversRequiredCodes(t *testing.T) {
	have := map[string]bool{}
	for _, r := range Catalogue() {
		have[r.Code] = true
		if r.Title == "" || r.Severity == "" || (r.Hint == "" && r.Code != "ok") {
			t.Errorf("rule %s lacks title, severity or hint", r.Code)
		}
		for _, p := range append(append([]string{}, r.Error...), r.Statement...) {
			if _, err := regexp.Compile(p); err != nil {
				t.Errorf("rule %s: %v", r.Code, err)
			}
		}
	}
	for _, c := range []string{"rest-auth", "rest-http", "rest-connect", "file-not-found", "field-not-found",
		"table-not-found", "syntax-error", "out-of-memory", "aborted", "timeout", "connection-missing", "unknown",
		"truncated", "ok", "not-a-log"} {
		if !have[c] {
			t.Errorf("catalogue lacks %s", c)
		}
	}
	// Catalogue returns a copy: callers cannot change classification.
	c := Catalogue()
	c[0].Error[0] = "x"
	if Catalogue()[0].Error[0] == "x" {
		t.Error("Catalogue shares its slices")
	}
}

// TestClassifyPhrasings covers verified texts and, for [U] texts, several
// plausible phrasings, including the ordering traps between rules.
func TestClassifyPhrasings(t *testing.T) {
	tests := []struct{ err, stmt, code string }{
		{"HTTP protocol error 401 (Unauthorized):\nRequested resource requires authentication.", "SQL SELECT", "rest-auth"},
		{"QVX_UNEXPECTED_END_OF_DATA: HTTP protocol error 401 (Unauthorized):", "", "rest-auth"},
		{"The remote server returned an error: (401) Unauthorized.", "", "rest-auth"},
		{"Response status code does not indicate success: 403 (Forbidden).", "", "rest-auth"},
		{"HTTP protocol error 403 (Forbidden):", "", "rest-auth"},
		{"http protocol error 404 (not found):", "", "rest-http"},
		{"The remote server returned an error: (503) Server Unavailable.", "", "rest-http"},
		{"HTTP protocol error 504 (Gateway Timeout):", "", "rest-http"},
		{"HTTP protocol error 500 (Internal Server Error):", "", "rest-http"},
		{"HTTP protocol error 429 (Too Many Requests):", "", "rest-http"},
		{"QVX_UNEXPECTED_END_OF_DATA:", "", "rest-connect"},
		{"The request was aborted: Could not create SSL/TLS secure channel.", "", "rest-connect"},
		{"Unable to connect to the remote server", "", "rest-connect"},
		{"No connection could be made because the target machine actively refused it 127.0.0.1:443", "", "rest-connect"},
		{"The remote name could not be resolved: 'qlik.example.com'", "", "rest-connect"},
		{"The operation has timed out", "", "timeout"},
		{"Timeout expired while waiting for the response", "", "timeout"},
		{"Cannot open file: 'lib://ArchivedLogsFolder/n/Engine/Trace/*_Audit_Engine*.log'", "", "file-not-found"},
		{"Could not find a part of the path '\\\\srv\\share\\x'", "", "file-not-found"},
		{"Field 'SessionId' not found", "", "field-not-found"},
		{"Field not found - <SessionId>", "", "field-not-found"},
		{"Table 'FileListTemp' not found", "", "table-not-found"},
		{"Unexpected token: ')', expected one of: ','", "", "syntax-error"},
		{"Syntax error, missing/misplaced FROM", "", "syntax-error"},
		{"Script line error", "", "syntax-error"},
		{"OUT OF VIRTUAL AND/OR LOGICAL MEMORY, allocating 512 MB", "", "out-of-memory"},
		{"Engine stopped with exit code 1", "", "out-of-memory"},
		{"Execution aborted", "", "aborted"},
		{"Reload was aborted by user", "", "aborted"},
		{"Aborted by the scheduler: task session timeout", "", "aborted"},
		{"Connection 'monitor_apps_REST_license' not found", "", "connection-missing"},
		{"Connector not found", "", "connection-missing"},
		{"Data connection 'x' does not exist", "", "connection-missing"},
		{"Anything at all", "LIB CONNECT TO 'monitor_apps_REST_app'", "connection-missing"},
		{"Anything at all", "SQL SELECT", "unknown"},
	}
	for _, tt := range tests {
		if got := classify(tt.err, tt.stmt).Code; got != tt.code {
			t.Errorf("classify(%q, %q) = %s, want %s", tt.err, tt.stmt, got, tt.code)
		}
	}
}

func TestHTTPStatusAndFields(t *testing.T) {
	for in, want := range map[string]int{
		"HTTP protocol error 401 (Unauthorized):":                        401,
		"The remote server returned an error: (503) Server Unavailable.": 503,
		"Response status code does not indicate success: 404":            404,
		"Field 'SessionId' not found":                                    0,
	} {
		if got := httpStatus(in); got != want {
			t.Errorf("httpStatus(%q) = %d, want %d", in, got, want)
		}
	}
	d := &Diagnosis{Error: "Field not found - <SessionId>"}
	if h := fillHint("{field} {connection} {file} {status} {line} {table}", d); h != "SessionId (unknown) (unknown) (none) (unknown) (unknown)" {
		t.Errorf("fillHint = %q", h)
	}
	if strings.Contains(ruleByCode("rest-auth").Hint, "{") == false {
		t.Error("rest-auth hint should name the connection through {connection}")
	}
}
