package cli

import (
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/store"
)

func TestReportDefaultsFromConfig(t *testing.T) {
	d := config.Report{Keep: []string{"VIP"}, InactiveDays: 45, Headroom: 20}
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("keep", "", "")
	fs.Int("inactive-days", 90, "")
	fs.Float64("headroom", 10, "")
	if err := fs.Parse([]string{"--inactive-days", "30"}); err != nil {
		t.Fatal(err)
	}
	o := report.Options{InactivityDays: 30, HeadroomPct: 10, KeepMarkers: []string{"Keep"}}
	applyReportDefaults(fs, d, &o)
	if o.InactivityDays != 30 || o.HeadroomPct != 20 || len(o.KeepMarkers) != 1 || o.KeepMarkers[0] != "VIP" {
		t.Errorf("options %+v: want the flag's 30 days, the config's 20%% headroom and VIP", o)
	}
}

func TestReportEndsWithPlansAndChanges(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "r.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var b strings.Builder
	if err := writeReportActions(ctx, &b, st, "prod"); err != nil || b.Len() != 0 {
		t.Fatalf("no plans: %q %v, want nothing", b.String(), err)
	}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	st.SavePlan(ctx, store.ActionPlan{Site: "prod", Kind: "reclaim", CreatedAt: now, CreatedBy: "ann", Summary: []byte(`{"candidates":4,"excluded":2}`), Body: []byte(`{}`)})
	st.StartAudit(ctx, store.AuditEntry{Site: "prod", RunID: "r", At: now, Actor: "ann", Command: "reclaim apply", Action: "release", Target: `CORP\bob professional`})
	if err := writeReportActions(ctx, &b, st, "prod"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"plan 1  2026-03-01 09:00  by ann: 4 candidates, 2 excluded", `release CORP\bob professional: pending (run interrupted: check the QMC)`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report tail lacks %q:\n%s", want, b.String())
		}
	}
}
