package scriptlog

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
)

// Every fixture's diagnosis reads back from its JSON to the same JSON: a
// check serve stored shows on another instance as it was diagnosed.
func TestDiagnosisJSONRoundTrip(t *testing.T) {
	logs, err := filepath.Glob("testdata/*.log")
	if err != nil || len(logs) < 20 {
		t.Fatalf("want at least 20 fixtures in testdata, got %d (%v)", len(logs), err)
	}
	for _, path := range logs {
		d := diagnoseFile(t, path)
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Diagnosis
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		again, err := json.Marshal(&back)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, again) {
			t.Errorf("%s: the JSON changed through a read:\n%s\n%s", path, b, again)
		}
		if back.Connection.Name != d.Connection.Name || back.Statement.ScriptLine != d.Statement.ScriptLine || !back.End.Equal(d.End) {
			t.Errorf("%s: read back %+v", path, back)
		}
	}
}
