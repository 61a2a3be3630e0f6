package check_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/scriptlog"
)

// TestTextStripsEscapes renders a report whose Qlik texts carry terminal
// escape sequences (a task name, a trigger, a node, a connection, script-log
// lines, an error) and checks that no control character reaches the text
// or Nagios output while the words stay.
func TestTextStripsEscapes(t *testing.T) {
	const esc = "\x1b]0;owned\x07\x1b[2J"
	d := &scriptlog.Diagnosis{Outcome: scriptlog.OutcomeFailed, Code: "rest-auth", Title: "REST auth failed",
		Statement:  scriptlog.Statement{ScriptLine: 12, FirstLine: 40, Text: "SQL SELECT 1 " + esc + "FROM JSON;"},
		Connection: scriptlog.Connection{Name: "monitor_apps_REST_" + esc + "user"},
		Error:      "HTTP protocol error 401 " + esc + "\rUnauthorized",
		Header:     scriptlog.Header{ExecutedBy: "CORP\\" + esc + "svc"},
		Context: []scriptlog.Line{
			{N: 40, ScriptLine: 12, Kind: scriptlog.KindStatement, Text: "SQL SELECT 1 " + esc + "FROM JSON;"},
			{N: 41, Kind: scriptlog.KindMessage, Text: "Error: \x1b[8mhidden\x1b[0m"},
		},
	}
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	r := &check.Report{Site: "prod", Server: "https://qlik:4242", CheckedAt: at, Status: check.Critical,
		Summary: "task " + esc + "failed",
		Findings: []check.Finding{{Code: "script-rest-auth", Severity: check.Critical, Title: "Reload " + esc + "failed",
			Evidence: []string{"node " + esc + "n1"}, Hint: "fix " + esc + "it"}},
		Task: &check.TaskInfo{Name: "Reload " + esc + "License Monitor", App: "License " + esc + "Monitor", Enabled: true,
			Triggers: []check.Trigger{{Name: "trig" + esc, Kind: "schema", Enabled: true}},
			History:  []check.Execution{{Status: "FinishedFail" + esc, Start: at, Node: "node" + esc}}},
		ScriptLog:   &check.ScriptLog{Bytes: 100, Diagnosis: d},
		Connections: []check.Connection{{Name: "monitor_apps_REST_" + esc, Host: "h" + esc, Port: "443", Auth: "ntlm"}},
	}
	var text, nagios, diag bytes.Buffer
	if err := check.WriteText(&text, []*check.Report{r}); err != nil {
		t.Fatal(err)
	}
	if err := check.WriteNagios(&nagios, []*check.Report{r}); err != nil {
		t.Fatal(err)
	}
	check.WriteDiagnosis(&diag, d)
	for name, out := range map[string]string{"text": text.String(), "nagios": nagios.String(), "diagnosis": diag.String()} {
		if i := strings.IndexFunc(out, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }); i >= 0 {
			t.Errorf("%s output has control character %q at %d:\n%q", name, out[i], i, out)
		}
		if strings.Contains(out, "owned") {
			t.Errorf("%s output kept an OSC payload", name)
		}
	}
	for _, want := range []string{"Reload License Monitor", "HTTP protocol error 401 Unauthorized", "Error: hidden", "monitor_apps_REST_user", "CORP\\svc"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q", want)
		}
	}
}
