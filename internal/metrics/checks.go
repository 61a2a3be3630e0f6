package metrics

import "github.com/prometheus/client_golang/prometheus"

// Checks is how the daemon's checks of a site kept to their schedule and
// how their results reached the store.
type Checks struct {
	// Late counts the checks since serve started that ran later than their
	// schedule allows or ran about as long as the check interval (each says
	// so in a check-late finding).
	Late int64
	// Unsaved is the check results kept in memory because the store did not
	// take them yet; they are written as soon as it does.
	Unsaved int
	// Dropped counts the results dropped, unsaved, because too many waited.
	Dropped int64
}

var (
	checksLateDesc    = prometheus.NewDesc(ns+"_check_late_total", "Checks since serve started that ran later than their schedule allows (a scheduled check did not run: the previous one was still going, or licmon was paused) or ran about as long as the check interval; each has a check-late finding.", site, nil)
	checksUnsavedDesc = prometheus.NewDesc(ns+"_check_results_unsaved", "Check results kept in memory because the store did not take them yet (its one writer was busy or it failed); written as soon as it does. The API shows them meanwhile.", site, nil)
	checksDroppedDesc = prometheus.NewDesc(ns+"_check_results_dropped_total", "Check results dropped without being stored because too many waited for the store.", site, nil)
)

func describeChecks(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{checksLateDesc, checksUnsavedDesc, checksDroppedDesc} {
		ch <- d
	}
}

func collectChecks(ch chan<- prometheus.Metric, s Site) {
	c := s.Checks
	if c == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(checksLateDesc, prometheus.CounterValue, float64(c.Late), s.Name)
	ch <- prometheus.MustNewConstMetric(checksUnsavedDesc, prometheus.GaugeValue, float64(c.Unsaved), s.Name)
	ch <- prometheus.MustNewConstMetric(checksDroppedDesc, prometheus.CounterValue, float64(c.Dropped), s.Name)
}
