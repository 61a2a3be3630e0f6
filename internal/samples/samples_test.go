package samples

import (
	"path/filepath"
	"testing"
)

// fakeTB records how Require stopped the test instead of stopping it.
type fakeTB struct {
	testing.TB
	failed, skipped bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true }
func (f *fakeTB) Skipf(string, ...any)  { f.skipped = true }

func TestRequire(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-samples")
	for _, c := range []struct {
		ci, require   string
		fail, skipped bool
	}{
		{ci: "true", fail: true},
		{require: "1", fail: true},
		{skipped: true},
	} {
		t.Setenv("CI", c.ci)
		t.Setenv("LICMON_REQUIRE_SAMPLES", c.require)
		f := &fakeTB{}
		Require(f, missing)
		if f.failed != c.fail || f.skipped != c.skipped {
			t.Errorf("CI=%q LICMON_REQUIRE_SAMPLES=%q: failed=%v skipped=%v, want failed=%v skipped=%v",
				c.ci, c.require, f.failed, f.skipped, c.fail, c.skipped)
		}
	}
	f := &fakeTB{}
	Require(f, t.TempDir())
	if f.failed || f.skipped {
		t.Errorf("an existing folder stopped the test")
	}
}
