package service

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/golden"
)

func TestProgramDataFromTheEnvironment(t *testing.T) {
	env := map[string]string{"ProgramData": `D:\Data`}
	got, err := ProgramData(func(k string) string { return env[k] })
	if err != nil || got != `D:\Data` {
		t.Fatalf("%q %v", got, err)
	}
	_, err = ProgramData(func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "--config") {
		t.Fatalf("unset: %v", err)
	}
	l := LayoutIn("/pd")
	if l.Config != filepath.Join("/pd", "licmon", "licmon.yaml") || l.DB != filepath.Join("/pd", "licmon", "licmon.db") ||
		l.LogFile != filepath.Join("/pd", "licmon", "logs", "licmon.log") {
		t.Fatalf("layout %+v", l)
	}
}

func writeCerts(t *testing.T, dir string, files ...string) {
	t.Helper()
	os.MkdirAll(dir, 0o700)
	for _, f := range files {
		os.WriteFile(filepath.Join(dir, f), []byte("pem"), 0o600)
	}
}

func TestFindCertDirs(t *testing.T) {
	pd := t.TempDir()
	if got := FindCertDirs(pd, "qlik01"); got != nil {
		t.Fatalf("no Qlik: %v", got)
	}
	root := QlikCertRoot(pd)
	writeCerts(t, filepath.Join(root, "another"), CertFiles...)
	writeCerts(t, filepath.Join(root, ".Local Certificates"), CertFiles...)
	writeCerts(t, filepath.Join(root, "QLIK01"), CertFiles...)
	writeCerts(t, filepath.Join(root, "incomplete"), "client.pem", "root.pem")
	got := FindCertDirs(pd, "qlik01.corp.example.com")
	want := []string{filepath.Join(root, "QLIK01"), filepath.Join(root, ".Local Certificates"), filepath.Join(root, "another")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if FindLogDir(pd) != "" {
		t.Fatal("log folder found where there is none")
	}
	os.MkdirAll(QlikLogDir(pd), 0o700)
	if FindLogDir(pd) != filepath.Join(pd, "Qlik", "Sense", "Log") {
		t.Fatalf("log dir %q", FindLogDir(pd))
	}
}

// TestStartingConfig: the written configuration is valid for licmon's own
// loader, both when a site was found and when it is left to fill in.
func TestStartingConfig(t *testing.T) {
	found := StartingConfig{Site: "qlik01", Server: "https://qlik01.corp.example.com:4242",
		CertDir: `C:\ProgramData\Qlik\Sense\Repository\Exported Certificates\.Local Certificates`, CertFrom: "found in the QMC export folder",
		LogDir: `C:\ProgramData\Qlik\Sense\Log`, DB: `C:\ProgramData\licmon\licmon.db`, SaveLogs: `C:\ProgramData\licmon\script-logs`}
	golden.Assert(t, "starting-config-found.yaml", found.YAML())
	golden.Assert(t, "starting-config-empty.yaml", StartingConfig{}.YAML())
	for name, sc := range map[string]StartingConfig{"found": found, "empty": {}} {
		cfg, err := config.Parse(strings.NewReader(string(sc.YAML())), t.TempDir(), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "found" {
			// On Linux a C:\ path is relative and gets the base folder in front.
			if len(cfg.Sites) != 1 || !strings.HasSuffix(cfg.Sites[0].CertDir, found.CertDir) || !strings.HasSuffix(cfg.Sites[0].Logs[0], found.LogDir) ||
				!strings.HasSuffix(cfg.DB, found.DB) || cfg.Serve.Listen != "127.0.0.1:8080" || cfg.Sites[0].Server != found.Server {
				t.Fatalf("parsed %+v", cfg)
			}
		} else if len(cfg.Sites) != 0 {
			t.Fatalf("placeholder site is live: %+v", cfg.Sites)
		}
	}
}
