package cli_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/cli"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any test leaves a goroutine
// running: a leaked request, timer or server outlives its command. It
// points LICMON_CONFIG at a file that does not exist, once for every test,
// so that no test reads the config of the machine it runs on and the slow
// tests can run in parallel (t.Setenv forbids it). The waits between
// retries are 10ms instead of production's 0.5s and 1s doubling: the fault
// tests count the retries, they do not need to wait them out.
func TestMain(m *testing.M) {
	cli.SetRetryBackoffForTests(10 * time.Millisecond)
	os.Setenv("LICMON_CONFIG", filepath.Join(os.TempDir(), "licmon-cli-test-no-config", "none.yaml"))
	goleak.VerifyTestMain(m)
}
