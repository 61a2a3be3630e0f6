package check

import (
	"fmt"
	"time"
)

// LicenseFacts is what was read of the site license and the access-type
// overview.
type LicenseFacts struct {
	// Info is the license as read (nil when Err is set); its seat counts
	// are set only when the overview was read.
	Info *LicenseInfo
	// ExpiredReason is the QRS's reason when the license is expired.
	ExpiredReason string
	// Err is why the license could not be read, OverviewErr why the
	// access-type overview could not.
	Err, OverviewErr error
}

// EvalLicense judges the site license and the access-type overview.
func EvalLicense(now time.Time, f LicenseFacts, warnDays int) (*LicenseInfo, []Finding) {
	var out []Finding
	if f.Err != nil || f.Info == nil {
		ev := []string{"no license was read"}
		if f.Err != nil {
			ev = []string{f.Err.Error()}
		}
		return nil, []Finding{{Code: "license-unreadable", Severity: Unknown, Title: "Could not read the site license",
			Evidence: ev, Hint: "The identity needs read access to the License entity (RootAdmin or a License admin rule)."}}
	}
	l := *f.Info
	info := &l
	end, hasEnd := l.ValidTo, !l.ValidTo.IsZero()
	switch {
	case l.Expired || (hasEnd && now.After(end)):
		fd := Finding{Code: "license-expired", Severity: Critical, Title: "The site license has expired",
			Hint: "Users lose access and license maintenance stops. Apply the renewed license in the QMC > License management (signed key or serial, control number and LEF)."}
		if f.ExpiredReason != "" {
			fd.Evidence = append(fd.Evidence, "reason: "+f.ExpiredReason)
		}
		if hasEnd {
			fd.Evidence = append(fd.Evidence, "valid to "+end.Format("2006-01-02"))
		}
		out = append(out, fd)
	case l.Invalid || l.Blacklisted:
		out = append(out, Finding{Code: "license-invalid", Severity: Critical, Title: "The site license is invalid or blocked",
			Evidence: []string{fmt.Sprintf("isInvalid=%t isBlacklisted=%t", l.Invalid, l.Blacklisted)},
			Hint:     "The repository logs 'Invalid license, aborting license maintenance' and allocations are no longer maintained. Re-apply the license or contact Qlik support."})
	case hasEnd && warnDays > 0 && end.Sub(now) < time.Duration(warnDays)*24*time.Hour:
		days := int(end.Sub(now).Hours() / 24)
		out = append(out, Finding{Code: "license-expiring", Severity: Warning,
			Title:    fmt.Sprintf("The site license ends in %d days (%s)", days, end.Format("2006-01-02")),
			Evidence: []string{fmt.Sprintf("warning threshold %d days", warnDays)},
			Hint:     "Plan the renewal now: the License Monitor and licmon report show what to buy."})
	default:
		title := "The site license is valid"
		if hasEnd {
			title += " until " + end.Format("2006-01-02")
		}
		out = append(out, Finding{Code: "license-valid", Severity: OK, Title: title})
	}
	if f.OverviewErr != nil {
		info.OverviewError = f.OverviewErr.Error()
		info.Professional, info.Analyzer, info.CapacityMins, info.TokensTotal, info.TokensAvail = nil, nil, nil, 0, 0
		out = append(out, Finding{Code: "overview-unreadable", Severity: Warning, Title: "The access-type overview is not readable",
			Evidence: []string{f.OverviewErr.Error()},
			Hint:     "The License Monitor's monitor_apps_REST_license_overview connection reads the same endpoint: give the identity read rights on licenses."})
		return info, out
	}
	info.OverviewRead = true
	return info, out
}
