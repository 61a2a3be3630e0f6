package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

func TestReclaimPlanApplyHistory(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 8, Users: 300, HistoryDays: 300})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "licmon.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`db: %s
sites:
  - name: prod
    server: %s
    cert_dir: %s
reclaim:
  max_releases: 5
  never_release:
    tags: [Keep]
    custom_properties: [KeepUser=keep]
`, filepath.Join(dir, "h.db"), site.URL, site.CertDir)), 0o600)

	code, out, errOut := run(t, "reclaim", "plan", "--config", cfg, "--format", "json")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	var pl struct {
		ID         int64
		Candidates []struct{ AllocationID, User string }
		Excluded   []struct{ Rule string }
		Source     struct{ Requests int }
	}
	if err := json.Unmarshal([]byte(out), &pl); err != nil {
		t.Fatal(err)
	}
	rules := map[string]int{}
	for _, x := range pl.Excluded {
		rules[x.Rule]++
	}
	if pl.ID == 0 || len(pl.Candidates) != 5 || rules["max-releases-per-run"] == 0 || pl.Source.Requests > 10 {
		t.Fatalf("plan id %d, %d candidates, exclusions %v, %d requests", pl.ID, len(pl.Candidates), rules, pl.Source.Requests)
	}
	id := fmt.Sprint(pl.ID)

	code, _, errOut = run(t, "reclaim", "apply", id, "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "no terminal") {
		t.Fatalf("apply without --yes: exit %d %q", code, errOut)
	}
	code, out, errOut = run(t, "reclaim", "apply", id, "--config", cfg, "--yes")
	if code != 0 || !strings.Contains(out, "5 released") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	// Applying the same plan again finds everything released already.
	code, out, _ = run(t, "reclaim", "apply", id, "--config", cfg, "--yes")
	if code != 0 || !strings.Contains(out, "0 released") || !strings.Contains(out, "5 skipped") {
		t.Fatalf("second apply: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "reclaim", "history", "--config", cfg)
	if code != 0 || !strings.Contains(out, "Plans") || strings.Count(out, "reclaim apply") != 10 {
		t.Fatalf("history: exit %d\n%s", code, out)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "h.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	audit, _ := st.Audit(context.Background(), "prod", "", 0)
	released := map[string]bool{}
	for _, a := range audit {
		if a.Action == "release" && a.Result == "released" {
			released[a.TargetID] = true
		}
		if a.Actor == "" || a.At.IsZero() || a.PlanID != pl.ID || a.Finished.IsZero() {
			t.Errorf("incomplete audit entry %+v", a)
		}
	}
	for _, c := range pl.Candidates {
		if !released[c.AllocationID] {
			t.Errorf("%s released without an audit entry", c.User)
		}
	}
}

func TestReclaimUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"reclaim"},
		{"reclaim", "apply"},
		{"reclaim", "apply", "x1"},
		{"reclaim", "plan", "--type", "creator", "--server", "https://q:4242"},
		{"reclaim", "plan", "--format", "xml", "--server", "https://q:4242"},
	} {
		if code, _, errOut := run(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d %q, want 2 with a message", args, code, errOut)
		}
	}
}
