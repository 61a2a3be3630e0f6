package service_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/config"
)

const packaging = "../../packaging"

// unitKeys reads a systemd unit into key -> values.
func unitKeys(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not key=value: %q", path, line)
		}
		keys[k] = append(keys[k], v)
	}
	return keys
}

// TestSystemdUnitIsHardened: the unit runs serve as its own unprivileged
// user that can write only its state directory.
func TestSystemdUnitIsHardened(t *testing.T) {
	keys := unitKeys(t, filepath.Join(packaging, "licmon.service"))
	for k, want := range map[string]string{
		"DynamicUser": "yes", "ProtectSystem": "strict", "NoNewPrivileges": "yes", "StateDirectory": "licmon",
		"ProtectHome": "yes", "PrivateTmp": "yes", "Restart": "on-failure", "CapabilityBoundingSet": "", "UMask": "0077",
	} {
		if got := keys[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	exec := strings.Join(keys["ExecStart"], "")
	if !strings.Contains(exec, "licmon serve --config ${CREDENTIALS_DIRECTORY}/licmon.yaml") || !strings.Contains(exec, "--db /var/lib/licmon/") {
		t.Errorf("ExecStart = %q", exec)
	}
	creds := strings.Join(keys["LoadCredential"], " ")
	for _, f := range []string{"licmon.yaml:", "client.pem:", "client_key.pem:", "root.pem:"} {
		if !strings.Contains(creds, f) {
			t.Errorf("LoadCredential lacks %s", f)
		}
	}
}

// TestContainerfile: static binary, non-root, a volume for the store and a
// health check on /-/healthy by a command the image has.
func TestContainerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(packaging, "Containerfile"))
	if err != nil {
		t.Fatal(err)
	}
	cf := string(b)
	for _, want := range []string{"CGO_ENABLED=0", "USER 65532:65532", `VOLUME ["/var/lib/licmon"]`,
		`"/usr/local/bin/licmon", "service", "healthcheck", "http://127.0.0.1:8080/-/healthy"`, `CMD ["serve"`, ":nonroot"} {
		if !strings.Contains(cf, want) {
			t.Errorf("Containerfile lacks %q", want)
		}
	}
}

// TestExampleConfigsAreValid: every example configuration loads with
// licmon's own loader, with its paths where the platform puts them.
func TestExampleConfigsAreValid(t *testing.T) {
	env := map[string]string{"ProgramData": `C:\ProgramData`}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for file, want := range map[string]string{
		"licmon.linux.yaml":     "/run/credentials/licmon.service",
		"licmon.windows.yaml":   `C:\ProgramData\Qlik\Sense\Repository\Exported Certificates\licmon`,
		"licmon.container.yaml": "/etc/licmon/certs",
	} {
		b, err := os.ReadFile(filepath.Join(packaging, file))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Parse(strings.NewReader(string(b)), "", lookup)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", file, err)
		}
		if len(cfg.Sites) != 1 || cfg.Sites[0].CertDir != want {
			t.Errorf("%s: sites %+v", file, cfg.Sites)
		}
	}
}
