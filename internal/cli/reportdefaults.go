package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/termtext"
)

// applyReportDefaults fills the report options from the config's report
// section where the flag was not given: a flag on the command line wins,
// then the config, then the built-in default.
func applyReportDefaults(fs *flag.FlagSet, d config.Report, o *report.Options) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if !given["keep"] && len(d.Keep) > 0 {
		o.KeepMarkers = append([]string{}, d.Keep...)
	}
	if !given["inactive-days"] && d.InactiveDays > 0 {
		o.InactivityDays = d.InactiveDays
	}
	if !given["authoring-days"] && d.AuthoringDays > 0 {
		o.AuthoringDays = d.AuthoringDays
	}
	if !given["headroom"] && d.Headroom > 0 {
		o.HeadroomPct, o.NoHeadroom = d.Headroom, false
	}
	if !given["analyzer-minutes"] && d.AnalyzerMinutes > 0 {
		o.AnalyzerMinutes = d.AnalyzerMinutes
	}
}

// writeReportActions ends the text report with the site's latest reclaim
// plans and the latest changes licmon made (nothing when there are none).
func writeReportActions(ctx context.Context, w io.Writer, st store.Store, site string) error {
	plans, err := st.Plans(ctx, site, "reclaim", 3)
	if err != nil {
		return err
	}
	audit, err := st.Audit(ctx, site, "", 5)
	if err != nil {
		return err
	}
	if len(plans) == 0 && len(audit) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nReclaim plans and changes (all: licmon reclaim history)")
	for _, p := range plans {
		var s struct{ Candidates, Excluded int }
		_ = json.Unmarshal(p.Summary, &s)
		fmt.Fprintf(w, "  plan %d  %s  by %s: %d candidates, %d excluded\n", p.ID, p.CreatedAt.Format("2006-01-02 15:04"), termtext.Clean(p.CreatedBy), s.Candidates, s.Excluded)
	}
	for _, a := range audit {
		res := a.Result
		if res == "pending" {
			res = "pending (run interrupted: check the QMC)"
		}
		fmt.Fprintf(w, "  %s  %s  %s %s: %s\n", a.At.Format("2006-01-02 15:04"), a.Command, a.Action, termtext.Clean(a.Target), res)
	}
	return nil
}
