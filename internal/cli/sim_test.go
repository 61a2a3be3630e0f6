package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/cli"
)

// TestSimBannerShowsTheScenarioSite: licmon sim builds the site a scenario
// file describes (its users: and historyDays:) and says so, and lists the
// capacity presets in its help.
func TestSimBannerShowsTheScenarioSite(t *testing.T) {
	dir := t.TempDir()
	yml := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(yml, []byte("users: 37\nhistoryDays: 12\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // serve nothing: print the banner and stop
	var out, errb bytes.Buffer
	code := cli.Main(ctx, []string{"sim", "--cert-dir", filepath.Join(dir, "certs"), "--listen", "127.0.0.1:0", "--scenario", yml}, strings.NewReader(""), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), `(scenario small, 37 users, 12 days of history)`) {
		t.Errorf("exit %d, banner %q, stderr %q", code, out.String(), errb.String())
	}
	out.Reset()
	code = cli.Main(ctx, []string{"sim", "--cert-dir", filepath.Join(dir, "certs"), "--listen", "127.0.0.1:0", "--users", "41", "--scenario", "lm-failing-rest-401+at-capacity"}, strings.NewReader(""), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), `(scenario lm-failing-rest-401+at-capacity, 41 users, 365 days of history)`) {
		t.Errorf("exit %d, banner %q, stderr %q", code, out.String(), errb.String())
	}
	_, help, _ := run(t, "sim", "-h")
	for _, p := range []string{"at-capacity", "license-reduced", "capacity-exhausted", "capacity-overage"} {
		if !strings.Contains(help, "\n  "+p+" ") {
			t.Errorf("sim -h does not list %s", p)
		}
	}
}
