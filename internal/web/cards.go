package web

import (
	"fmt"
	"strings"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/svgchart"
)

// licenseVerdict is a site's license state as its gauges show it: the worst
// level over its types and, in words, each type that is not ok. A site
// over its Professional license is not green because its License Monitor
// task works.
func licenseVerdict(charts []typeCharts) (check.Severity, string) {
	sev := check.OK
	var worst, warn []string
	for _, c := range charts {
		unit := ""
		if c.Type == license.AnalyzerCapacity {
			unit = " minutes this month"
		}
		var s check.Severity
		var why string
		switch c.State {
		case svgchart.GaugeOver:
			s, why = check.Critical, fmt.Sprintf("%s over the license: %s of %s%s, %s over", c.Label, num(int64(c.Value)), num(int64(c.Max)), unit, num(int64(c.Value-c.Max)))
		case svgchart.GaugeNoneLicensed:
			s, why = check.Critical, fmt.Sprintf("%s: %s in use, none licensed", c.Label, num(int64(c.Value)))
		case svgchart.GaugeCritical:
			s, why = check.Critical, fmt.Sprintf("%s at %.0f%% of the license (%s of %s%s)", c.Label, 100*c.Value/c.Max, num(int64(c.Value)), num(int64(c.Max)), unit)
		case svgchart.GaugeWarning:
			s, why = check.Warning, fmt.Sprintf("%s at %.0f%% of the license (%s of %s%s)", c.Label, 100*c.Value/c.Max, num(int64(c.Value)), num(int64(c.Max)), unit)
		default:
			continue
		}
		sev = check.Worse(sev, s)
		if s == check.Critical {
			worst = append(worst, why)
		} else {
			warn = append(warn, why)
		}
	}
	if len(worst)+len(warn) == 0 {
		return check.OK, "every license type below its warning level"
	}
	return sev, strings.Join(append(worst, warn...), "; ")
}

// cardVerdict is a site card's colour and its reason in words: the worse
// of License Monitor health and license state, both named when both are
// not ok. licenseKnown is false before the first collection: the card then
// rests on the License Monitor alone and says so.
func cardVerdict(lm check.Severity, lmSummary string, lic check.Severity, licWhy string, licenseKnown bool) (check.Severity, string) {
	if !licenseKnown {
		return lm, "License Monitor: " + lmSummary + "; licenses not known yet"
	}
	sev := check.Worse(lm, lic)
	switch {
	case lm == check.OK && lic == check.OK:
		return sev, "License Monitor working and licenses within their totals"
	case lic == check.OK:
		return sev, "License Monitor: " + lmSummary
	case lm == check.OK:
		return sev, "Licenses: " + licWhy
	}
	return sev, "License Monitor: " + lmSummary + ". Licenses: " + licWhy
}
