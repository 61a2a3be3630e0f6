// Package golden compares a test's output with a file under testdata/, the
// way every package of licmon pins its larger outputs (reports, charts,
// payloads, /metrics). `go test ./internal/<pkg> -update` rewrites the files
// from the current output; read the diff before committing it.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// Update reports whether the test run was asked to rewrite golden files.
func Update() bool { return *update }

// Assert compares got with testdata/name. With -update it writes got there
// instead (creating testdata/ when needed).
func Assert(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file %s (go test -update writes it from the current output): %v", path, err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs from the current output (-want +got); if the change is intended, rewrite it with go test -run '%s' -update and read the diff:\n%s", path, t.Name(), d)
	}
}
