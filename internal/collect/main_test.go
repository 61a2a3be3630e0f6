package collect_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any test leaves a goroutine
// running: a leaked request, timer or server outlives its command.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// long reports whether the long sizes were asked for (LICMON_LONG=1, set by
// a separate CI step): the default sizes prove the same things faster.
func long() bool { return os.Getenv("LICMON_LONG") == "1" }
