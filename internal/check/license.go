package check

import (
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/qrs"
)

// licenseModel names the license form from the fields QRS returns.
func licenseModel(l *qrs.License) string {
	switch {
	case l.Key != "":
		return "signed-key"
	case l.LEF != "":
		return "serial-lef"
	}
	return "unknown"
}

// evalLicense judges the site license and the access-type overview.
func evalLicense(now time.Time, l *qrs.License, lerr error, o *qrs.AccessTypeOverview, oerr error, warnDays int) (*LicenseInfo, []Finding) {
	var out []Finding
	if lerr != nil {
		return nil, []Finding{{Code: "license-unreadable", Severity: Unknown, Title: "Could not read the site license",
			Evidence: []string{lerr.Error()}, Hint: "The identity needs read access to the License entity (RootAdmin or a License admin rule)."}}
	}
	info := &LicenseInfo{Model: licenseModel(l), Name: l.Name, Organization: l.Organization,
		Expired: l.IsExpired, Invalid: l.IsInvalid, Blacklisted: l.IsBlacklisted}
	end, hasEnd := l.ValidTo()
	if hasEnd {
		info.ValidTo = end
	}
	switch {
	case l.IsExpired || (hasEnd && now.After(end)):
		fd := Finding{Code: "license-expired", Severity: Critical, Title: "The site license has expired",
			Hint: "Users lose access and license maintenance stops. Apply the renewed license in the QMC > License management (signed key or serial, control number and LEF)."}
		if l.ExpiredReason != "" {
			fd.Evidence = append(fd.Evidence, "reason: "+l.ExpiredReason)
		}
		if hasEnd {
			fd.Evidence = append(fd.Evidence, "valid to "+end.Format("2006-01-02"))
		}
		out = append(out, fd)
	case l.IsInvalid || l.IsBlacklisted:
		out = append(out, Finding{Code: "license-invalid", Severity: Critical, Title: "The site license is invalid or blocked",
			Evidence: []string{fmt.Sprintf("isInvalid=%t isBlacklisted=%t", l.IsInvalid, l.IsBlacklisted)},
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
	if oerr != nil {
		info.OverviewError = oerr.Error()
		out = append(out, Finding{Code: "overview-unreadable", Severity: Warning, Title: "The access-type overview is not readable",
			Evidence: []string{oerr.Error()},
			Hint:     "The License Monitor's monitor_apps_REST_license_overview connection reads the same endpoint: give the identity read rights on licenses."})
		return info, out
	}
	info.OverviewRead = true
	if o != nil {
		if o.ProfessionalAccess.Enabled || o.ProfessionalAccess.Total > 0 {
			info.Professional = &Seats{int64(o.ProfessionalAccess.Total), int64(o.ProfessionalAccess.Allocated), int64(o.ProfessionalAccess.Available)}
		}
		if o.AnalyzerAccess.Enabled || o.AnalyzerAccess.Total > 0 {
			info.Analyzer = &Seats{int64(o.AnalyzerAccess.Total), int64(o.AnalyzerAccess.Allocated), int64(o.AnalyzerAccess.Available)}
		}
		if a := o.AnalyzerTimeAccess; a != nil && (a.Enabled || a.AllocatedMinutes > 0) {
			info.CapacityMins = &Seats{int64(a.AllocatedMinutes), int64(a.UsedMinutes), int64(a.AllocatedMinutes - a.UsedMinutes)}
		}
		if o.TokensEnabled {
			info.TokensTotal, info.TokensAvail = int64(o.TotalTokens), int64(o.AvailableTokens)
		}
	}
	return info, out
}
