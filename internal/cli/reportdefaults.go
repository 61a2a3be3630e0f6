package cli

import (
	"flag"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/report"
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
