package cli

import (
	"flag"
	"io"
	"testing"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/report"
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
