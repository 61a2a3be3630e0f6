package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/licmon/licmon/internal/cli"
)

// The profiles a performance investigation asks a user for: both files are
// written, whatever the command, and are pprof's gzip format.
func TestProfilesFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	t.Setenv("LICMON_CPUPROFILE", cpu)
	t.Setenv("LICMON_MEMPROFILE", mem)
	var out, errb bytes.Buffer
	if code := cli.Main(context.Background(), []string{"version"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s is not a gzipped pprof profile (%d bytes)", filepath.Base(p), len(b))
		}
	}
	if errb.Len() != 0 {
		t.Errorf("stderr: %s", errb.String())
	}
}

func TestProfileToUnwritablePathWarns(t *testing.T) {
	t.Setenv("LICMON_CPUPROFILE", filepath.Join(t.TempDir(), "missing", "cpu.prof"))
	var out, errb bytes.Buffer
	if code := cli.Main(context.Background(), []string{"version"}, nil, &out, &errb); code != 0 {
		t.Fatalf("a profile that cannot be written must not fail the command: exit %d", code)
	}
	if !bytes.Contains(errb.Bytes(), []byte("LICMON_CPUPROFILE")) {
		t.Errorf("stderr does not name the variable: %q", errb.String())
	}
}
