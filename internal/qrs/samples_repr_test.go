package qrs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/samples"
)

// reprSample reads a QRS sample published as a (truncated) Python repr and
// returns it as JSON: the complete part, with the open lists and objects closed.
func reprSample(t *testing.T, name string) []byte {
	t.Helper()
	samples.Require(t, samplesDir)
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if strings.HasPrefix(text, "#") { // the provenance line
		_, text, _ = strings.Cut(text, "\n")
	}
	js, err := samples.PythonRepr(text)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return js
}

// TestRealTaskListSample decodes the real /qrs/task answer (qrspy, 2017) into
// the client's types with unknown fields rejected, and checks the values
// check relies on: the status enum, both dates, the duration, the script-log
// file reference and the execution details.
func TestRealTaskListSample(t *testing.T) {
	var tasks []Task
	if err := strictDecode(reprSample(t, "task_condensed_list.qrspy_2017.TRUNCATED.txt"), &tasks); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(tasks) == 0 {
		t.Fatal("no task decoded")
	}
	last := tasks[0].LastExecution()
	if last == nil {
		t.Fatal("the task has no lastExecutionResult")
	}
	if tasks[0].ID != "96e580be-8d71-4bbb-8a7f-0609633e4ebc" || last.Status != 7 || last.Duration != 49784 ||
		last.FileReferenceID != "2030ee32-cd06-4bb6-8960-37320c7eb68a" || last.ScriptLogAvailable {
		t.Errorf("task = %+v, last execution = %+v", tasks[0], *last)
	}
	if want := time.Date(2017, 1, 20, 1, 46, 27, 831e6, time.UTC); !last.StartTime.Time.Equal(want) {
		t.Errorf("startTime = %v, want %v", last.StartTime.Time, want)
	}
	if len(last.Details) < 2 || last.Details[1].Message != "Trying to start task. Sending task to slave-node qs2.qliklocal.net" {
		t.Errorf("details = %+v", last.Details)
	}
}

// TestRealDataConnectionSample decodes the real /qrs/dataconnection answer
// (qrspy, 2017) strictly into the client's type.
func TestRealDataConnectionSample(t *testing.T) {
	var conns []DataConnection
	if err := strictDecode(reprSample(t, "dataconnection_condensed_list.qrspy_2017.TRUNCATED.txt"), &conns); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(conns) < 2 || conns[0].Name != "qvd" || conns[0].Type != "folder" || conns[0].ConnectionString != `d:\Scalability Tests\QVD\` {
		t.Fatalf("connections = %+v", conns)
	}
}
