package qrs

import (
	"strings"
	"time"
)

// ValidTo finds the end date of the site license: the "Valid To:" line of a
// signed key's keyDetails, else the TIMELIMIT or PRODUCTLEVEL date of a LEF.
// The keyDetails format is not documented (qrs-api.md §2.2), so several date
// layouts are accepted and a license without a date reports false.
func (l *License) ValidTo() (time.Time, bool) {
	for _, line := range splitLines(l.KeyDetails) {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), "valid to") {
			if t, ok := parseLicenseDate(strings.TrimSpace(v)); ok {
				return t, true
			}
		}
	}
	for _, line := range splitLines(l.LEF) {
		f := strings.Split(line, ";")
		if len(f) >= 4 && (strings.EqualFold(f[0], "TIMELIMIT") || strings.EqualFold(f[0], "PRODUCTLEVEL")) {
			if t, ok := parseLicenseDate(strings.TrimSpace(f[3])); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

func splitLines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
}

func parseLicenseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02", "1/2/2006 3:04:05 PM", "1/2/2006", "2006/01/02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
