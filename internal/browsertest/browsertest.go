// Package browsertest starts headless Chromium for the browser tests of the
// HTML report and the dashboard. It finds Debian's chromium (installed by
// .ci/run), and skips the test when there is none, unless
// LICMON_REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure, so CI can
// never pass by skipping.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// Path returns the chromium binary: $LICMON_CHROMIUM, /usr/bin/chromium, or
// the first of chromium, chromium-browser, google-chrome on PATH.
func Path(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("LICMON_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no chromium found (apt-get install chromium, or set LICMON_CHROMIUM)"
	if os.Getenv("LICMON_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + "; LICMON_REQUIRE_BROWSER=1 forbids skipping")
	}
	t.Skip("browser test skipped: " + msg)
	return ""
}

// Allocator starts a headless chromium with a fresh profile and returns
// its allocator context, for chromedp.NewContext; the browser stops when the
// test ends. The flags keep Chromium from reaching the network on its own
// (this machine has none), so every request a test sees comes from the page.
func Allocator(t testing.TB, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")), chromedp.WindowSize(width, height),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	return actx
}
