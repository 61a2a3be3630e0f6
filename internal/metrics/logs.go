package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/licmon/licmon/internal/license"
)

// Logs is what the scheduled import of a site's Qlik Sense logs knows.
type Logs struct {
	// Import is the latest import run; nil before the first.
	Import *Run
	// DayKnown is true when the logs have a latest complete UTC day;
	// ActiveUsers and Denials are that day's figures per type (Type ""
	// is users whose type the logs do not show).
	DayKnown    bool
	DayUnix     int64
	ActiveUsers map[license.Type]int64
	Denials     map[license.Type]int64
}

var (
	logsSuccessDesc  = prometheus.NewDesc(ns+"_logs_import_success", "1 when the latest scheduled import of the site's Qlik Sense logs succeeded.", site, nil)
	logsDurationDesc = prometheus.NewDesc(ns+"_logs_import_duration_seconds", "Duration of the latest scheduled log import.", site, nil)
	logsDayDesc      = prometheus.NewDesc(ns+"_logs_day_timestamp_seconds", "Start (UTC) of the latest complete day in the imported logs, which the logs_ gauges describe.", site, nil)
	logsActiveDesc   = prometheus.NewDesc(ns+"_logs_daily_active_users", "Users with a session on the latest complete day of the logs, by license type (unknown: type not in the logs).", siteType, nil)
	logsDenialsDesc  = prometheus.NewDesc(ns+"_logs_denials", "Access denials (unmet demand) on the latest complete day of the logs, by license type.", siteType, nil)
)

func describeLogs(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{logsSuccessDesc, logsDurationDesc, logsDayDesc, logsActiveDesc, logsDenialsDesc} {
		ch <- d
	}
}

func collectLogs(gauge func(d *prometheus.Desc, v float64, labels ...string), s Site) {
	l := s.Logs
	if l == nil {
		return
	}
	if r := l.Import; r != nil {
		gauge(logsSuccessDesc, b2f(r.Success), s.Name)
		gauge(logsDurationDesc, r.Duration.Seconds(), s.Name)
	}
	if !l.DayKnown {
		return
	}
	gauge(logsDayDesc, float64(l.DayUnix), s.Name)
	for typ, n := range l.ActiveUsers {
		name := string(typ)
		if name == "" {
			name = "unknown"
		}
		gauge(logsActiveDesc, float64(n), s.Name, name)
	}
	for typ, n := range l.Denials {
		gauge(logsDenialsDesc, float64(n), s.Name, string(typ))
	}
}
