// Package samples lets tests use the real Qlik samples kept in
// ../shared/samples beside the repository. A developer without that folder
// gets a skip; CI (CI=true, or LICMON_REQUIRE_SAMPLES=1) gets a failure,
// because a test that can skip in CI is a test CI does not run.
package samples

import (
	"os"
	"testing"
)

// Required reports whether a missing samples folder must fail the test
// rather than skip it.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("LICMON_REQUIRE_SAMPLES") == "1"
}

// Require stops the test unless path (a samples folder or file, relative to
// the test's package directory) exists: a skip on a developer's machine, a
// failure in CI.
func Require(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if Required() {
			t.Fatalf("real Qlik samples missing at %s: %v (CI must run with shared/ beside the repository)", path, err)
			return
		}
		t.Skipf("real Qlik samples not found at %s (put shared/ beside the repository to run this test): %v", path, err)
	}
}
