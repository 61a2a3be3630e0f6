package inspect

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any test leaves a goroutine
// running: a leaked request, timer or server outlives its command.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
