package cli

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/service"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

// TestInitFindsTheLocalQRS: with the certificates found and no --server,
// init tries the candidate URLs in turn and keeps the first that answers.
func TestInitFindsTheLocalQRS(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 20, HistoryDays: 5})
	pd := t.TempDir()
	dst := filepath.Join(service.QlikCertRoot(pd), "qlik01")
	os.MkdirAll(dst, 0o700)
	for _, f := range service.CertFiles {
		b, err := os.ReadFile(filepath.Join(site.CertDir, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, f), b, 0o600)
	}
	t.Setenv("ProgramData", pd)
	old := qrsCandidates
	qrsCandidates = func(string) []string { return []string{"https://127.0.0.1:1", site.URL} }
	t.Cleanup(func() { qrsCandidates = old })

	cfg := filepath.Join(t.TempDir(), "licmon.yaml")
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, log: slog.New(slog.DiscardHandler)}
	code := runInit(context.Background(), e, []string{"--config", cfg, "--timeout", "3s"})
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"no QRS at https://127.0.0.1:1", "QRS found at " + site.URL, "== licmon check"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	b, _ := os.ReadFile(cfg)
	if !strings.Contains(string(b), "server: '"+site.URL+"'") || !strings.Contains(string(b), "cert_dir: '"+dst+"'") {
		t.Fatalf("config:\n%s", b)
	}
}
