package check

import (
	"strconv"
	"strings"
	"time"
)

// Schema event incrementOption values (qrs-api.md §3.5).
const (
	incrementOnce    = 0
	incrementHourly  = 1
	incrementDaily   = 2
	incrementWeekly  = 3
	incrementMonthly = 4
)

// TriggerInterval returns how often a schema event fires, from its
// incrementDescription ("minutes hours days weeks", e.g. "0 1 0 0" for
// hourly) and incrementOption; zero when it fires once.
func TriggerInterval(option int, description string) time.Duration {
	if option == incrementOnce {
		return 0
	}
	units := []time.Duration{time.Minute, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
	var d time.Duration
	for i, f := range strings.Fields(description) {
		if i >= len(units) {
			break
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			d = 0
			break
		}
		d += time.Duration(n) * units[i]
	}
	if d > 0 {
		return d
	}
	switch option {
	case incrementHourly:
		return time.Hour
	case incrementDaily:
		return 24 * time.Hour
	case incrementWeekly:
		return 7 * 24 * time.Hour
	case incrementMonthly:
		return 31 * 24 * time.Hour
	}
	return 0
}

// humanDuration writes a duration the way an admin says it: "1h", "2d 3h", "45m".
func humanDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if d < time.Minute {
		return strconv.Itoa(int(d.Seconds())) + "s"
	}
	days := int(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	hours := int(d / time.Hour)
	d -= time.Duration(hours) * time.Hour
	mins := int(d / time.Minute)
	var parts []string
	if days > 0 {
		parts = append(parts, strconv.Itoa(days)+"d")
	}
	if hours > 0 {
		parts = append(parts, strconv.Itoa(hours)+"h")
	}
	if mins > 0 && days == 0 {
		parts = append(parts, strconv.Itoa(mins)+"m")
	}
	if len(parts) == 0 {
		return "0m"
	}
	return strings.Join(parts, " ")
}
