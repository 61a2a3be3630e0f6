//go:build unix

package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/cli"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

const envApplyArgs = "LICMON_TEST_APPLY_ARGS"

// TestApplyHelperProcess is the child of TestAuditCompleteAfterSIGKILL: it
// runs licmon with the arguments in the environment.
func TestApplyHelperProcess(t *testing.T) {
	raw := os.Getenv(envApplyArgs)
	if raw == "" {
		t.Skip("helper process for TestAuditCompleteAfterSIGKILL")
	}
	var args []string
	json.Unmarshal([]byte(raw), &args)
	os.Exit(cli.Main(context.Background(), args, strings.NewReader(""), os.Stdout, os.Stderr))
}

// TestAuditCompleteAfterSIGKILL kills `licmon reclaim apply` with SIGKILL
// while its third DELETE is on the wire: every DELETE that reached the
// site has an audit entry, the cut one still "pending".
func TestAuditCompleteAfterSIGKILL(t *testing.T) {
	var mu sync.Mutex
	var reached []string
	third := make(chan struct{})
	release := make(chan struct{})
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete {
				mu.Lock()
				reached = append(reached, r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:])
				n := len(reached)
				mu.Unlock()
				if n == 3 {
					close(third)
					<-release // hold the answer until the client is dead
				}
			}
			h.ServeHTTP(w, r)
		})
	}
	s, err := sim.New(sim.Options{Seed: 8, Users: 300, HistoryDays: 300})
	if err != nil {
		t.Fatal(err)
	}
	site := simtest.ServeWith(t, s, wrap)
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	cfg := filepath.Join(dir, "licmon.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("db: %s\nsites:\n  - name: prod\n    server: %s\n    cert_dir: %s\nreclaim:\n  max_releases: 10\n  rate: 1000\n",
		db, site.URL, site.CertDir)), 0o600)
	code, out, errOut := run(t, "reclaim", "plan", "--config", cfg, "--format", "json")
	if code != 0 {
		t.Fatalf("plan: %d %s %s", code, out, errOut)
	}
	var pl struct{ ID int64 }
	json.Unmarshal([]byte(out), &pl)

	args, _ := json.Marshal([]string{"reclaim", "apply", fmt.Sprint(pl.ID), "--config", cfg, "--yes"})
	cmd := exec.Command(os.Args[0], "-test.run=^TestApplyHelperProcess$")
	cmd.Env = append(os.Environ(), envApplyArgs+"="+string(args), "LICMON_CONFIG="+cfg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-third:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the third DELETE never came:\n%s", stderr.String())
	}
	cmd.Process.Kill() // SIGKILL: no deferred code, no audit update
	cmd.Wait()
	close(release)

	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	audit, err := st.Audit(context.Background(), "prod", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	byTarget := map[string]string{}
	for _, a := range audit {
		byTarget[strings.ToLower(a.TargetID)] = a.Result
	}
	mu.Lock()
	defer mu.Unlock()
	for i, id := range reached {
		res, ok := byTarget[strings.ToLower(id)]
		switch {
		case !ok:
			t.Errorf("DELETE %d (%s) reached the site without an audit entry", i+1, id)
		case i < 2 && res != "released":
			t.Errorf("DELETE %d answered before the kill is recorded as %q", i+1, res)
		case i == 2 && res != "pending":
			t.Errorf("the DELETE cut by the kill is recorded as %q, want pending", res)
		}
	}
	if len(audit) != 3 {
		t.Errorf("%d audit entries, want the 3 attempted", len(audit))
	}
}
