package logimport_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any test leaves a goroutine
// running: a leaked request, retry timer, worker or server outlives its
// command.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
