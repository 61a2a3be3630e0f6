package cli_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

func TestInitAndServiceHelp(t *testing.T) {
	for _, cmd := range []string{"init", "service"} {
		code, out, _ := run(t, cmd, "-h")
		if code != 0 || !strings.Contains(out, "Usage: licmon "+cmd) || !strings.Contains(out, "Example") {
			t.Errorf("%s -h: exit %d, output %q", cmd, code, out)
		}
	}
	code, _, errOut := run(t, "service")
	if code != 2 || !strings.Contains(errOut, "install, uninstall, start, stop, status") {
		t.Fatalf("no subcommand: %d %q", code, errOut)
	}
	code, _, errOut = run(t, "service", "restart")
	if code != 2 || !strings.Contains(errOut, `unknown subcommand "restart"`) {
		t.Fatalf("unknown subcommand: %d %q", code, errOut)
	}
}

// TestServiceOutsideWindows: the service commands say what to use instead.
func TestServiceOutsideWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the Windows service commands need an elevated prompt; this test is about other systems")
	}
	for _, sub := range []string{"install", "uninstall", "start", "stop", "status", "run"} {
		code, _, errOut := run(t, "service", sub)
		if code != 1 || !strings.Contains(errOut, "systemd") || !strings.Contains(errOut, "packaging/licmon.service") {
			t.Errorf("service %s: exit %d %q", sub, code, errOut)
		}
	}
}

func TestServiceHealthcheck(t *testing.T) {
	var unhealthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/-/healthy" || unhealthy.Load() {
			http.Error(w, "not healthy", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("OK"))
	}))
	defer srv.Close()
	code, out, errOut := run(t, "service", "healthcheck", srv.URL+"/-/healthy")
	if code != 0 || !strings.Contains(out, "healthy") {
		t.Fatalf("healthy: %d %q %q", code, out, errOut)
	}
	unhealthy.Store(true)
	code, _, errOut = run(t, "service", "healthcheck", srv.URL+"/-/healthy")
	if code != 1 || !strings.Contains(errOut, "503") {
		t.Fatalf("unhealthy: %d %q", code, errOut)
	}
	code, _, errOut = run(t, "service", "healthcheck", "http://127.0.0.1:1/-/healthy")
	if code != 1 || !strings.Contains(errOut, "healthcheck") {
		t.Fatalf("down: %d %q", code, errOut)
	}
}
