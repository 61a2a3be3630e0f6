package cli_test

import (
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any test leaves a goroutine
// running: a leaked request, timer or server outlives its command. It
// points LICMON_CONFIG at a file that does not exist, once for every test,
// so that no test reads the config of the machine it runs on and the slow
// tests can run in parallel (t.Setenv forbids it).
func TestMain(m *testing.M) {
	os.Setenv("LICMON_CONFIG", filepath.Join(os.TempDir(), "licmon-cli-test-no-config", "none.yaml"))
	goleak.VerifyTestMain(m)
}
