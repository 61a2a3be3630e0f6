// Package metrics exposes licmon's state to Prometheus: a custom collector
// that reads the latest check and collection of every site at scrape time
// (nothing is updated in the background, so a scrape always shows what the
// daemon knows now), on a private registry with the Go and process
// collectors, served by Handler.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/licmon/licmon/internal/license"
)

// Site is what the daemon knows about one site at scrape time.
type Site struct {
	Name string
	// Counters are the latest license counters (from the latest collection,
	// or the latest check when no collection exists yet).
	Counters []license.Counters
	// RunOutDays is the forecast days until each type runs out; types with
	// no run-out date in the horizon are absent.
	RunOutDays map[license.Type]float64
	// Unmet is the unmet demand of the latest report, one entry per type
	// and source with data.
	Unmet []Unmet
	// Tasks are the monitoring apps' reload tasks of the latest check.
	Tasks []Task
	// Check and Collect are the latest runs; nil before the first. At
	// start Collect is the store's latest collection.
	Check, Collect *Run
	// LastCollect is the time of the latest stored collection (zero before
	// the first).
	LastCollect time.Time
	// Logs is the scheduled log import's view; nil when the site has no
	// logs folders.
	Logs *Logs
	// Checks is the daemon's view of its checks' schedule and storage; nil
	// outside the daemon.
	Checks *Checks
	// Jobs are the site's scheduled jobs (check, collect, reclaim, logs).
	Jobs []Job
}

// Job is one scheduled job of a site.
type Job struct {
	Name string
	// Skipped counts the runs not started because the previous run was
	// still going, since serve started (a reload keeps the count).
	Skipped int
}

// Task is one reload task as the latest check saw it.
type Task struct {
	Name string
	// Status is the QRS execution status code of the last run (0 never
	// started … 7 finished, 8 failed; see README, Metrics).
	Status int
	// LastSuccess is the end of the last successful run (zero: none known).
	LastSuccess time.Time
}

// Unmet is one source's unmet demand for one type.
type Unmet struct {
	Type license.Type
	// Source is "logs", "import" or "qrs-estimate" (an estimate from the
	// QRS: users who appeared without a seat while the type was full).
	Source string
	// Denials is the refusals in the 30 days up to the report.
	Denials int64
	// Waiting is the demand still waiting today; set only for the source
	// the report rests on, and only when known.
	Waiting *float64
}

// Run is the outcome of one check or collection.
type Run struct {
	Success  bool
	Duration time.Duration
	// NoDuration marks a run read from the store at start: the store has
	// the collection but not how long it took, so no duration is shown.
	NoDuration bool
}

// Leadership is implemented by a Source that runs among several serve
// instances: which instance it is, the shard of sites it belongs to, and
// whether it leads (runs the schedules and sends the alerts).
type Leadership interface {
	Leader() (instance, shard string, leading bool)
}

// Source is read at every scrape. The daemon implements it.
type Source interface {
	// Sites returns the state of every configured site.
	Sites() []Site
	// LastReloadSuccessful reports whether the last configuration
	// (re)load succeeded.
	LastReloadSuccessful() bool
}

const ns = "licmon"

var (
	siteType = []string{"site", "type"}
	site     = []string{"site"}

	// The license figures are the API's (/api/v1/sites/{site}/licenses),
	// figure for figure: licensed and allocated as license.Counters.Seats
	// maps them (capacity: minutes used of the month's pool), available the
	// API's remaining clamped at 0 as the QRS clamps Professional's, so a
	// dashboard and a Grafana panel never disagree.
	licenseDescs = []struct {
		desc *prometheus.Desc
		val  func(c license.Counters) float64
	}{
		{prometheus.NewDesc(ns+"_license_total", "Licensed total of the type (the API's licensed): seats; minutes in the month's pool for analyzer-capacity; tokens allocated to the type for user-access and login-access.", siteType, nil), func(c license.Counters) float64 { _, l := c.Seats(); return float64(l) }},
		{prometheus.NewDesc(ns+"_license_allocated", "What the type has taken of its total (the API's allocated): seats allocated; minutes used this month for analyzer-capacity; tokens used for user-access and login-access.", siteType, nil), func(c license.Counters) float64 { a, _ := c.Seats(); return float64(a) }},
		{prometheus.NewDesc(ns+"_license_used", "Licenses of the type in use as the QRS reports them (minutes used this month for analyzer-capacity).", siteType, nil), func(c license.Counters) float64 { return float64(c.Used) }},
		{prometheus.NewDesc(ns+"_license_quarantined", "Released allocations still counting against the license until their quarantine ends.", siteType, nil), func(c license.Counters) float64 { return float64(c.Quarantined) }},
		{prometheus.NewDesc(ns+"_license_excess", "Allocations beyond the licensed count.", siteType, nil), func(c license.Counters) float64 { return float64(c.Excess) }},
		{prometheus.NewDesc(ns+"_license_available", "Still available of the licensed total: total minus allocated, never below 0 (the API's remaining, which is negative when over, clamped).", siteType, nil), func(c license.Counters) float64 { a, l := c.Seats(); return float64(max(0, l-a)) }},
	}
	runOutDesc         = prometheus.NewDesc(ns+"_license_runout_days", "Forecast days until the type's allocations reach its total; absent when no run-out is forecast within the horizon.", siteType, nil)
	unmetDesc          = prometheus.NewDesc(ns+"_unmet_demand_denials", "Access refusals of the type in the 30 days up to the latest report, per source: logs (read from the Qlik Sense logs), import (imported counts) or qrs-estimate (an estimate: users who appeared without a seat while the type was full). Sources count the same refusals and must not be summed; absent when a source has no data.", []string{"site", "type", "source"}, nil)
	waitingDesc        = prometheus.NewDesc(ns+"_unmet_demand_waiting", "Unmet demand of the type still waiting on the report day, which the plan adds to demand while the type is at its licensed total; from the one source the report rests on (label source).", []string{"site", "type", "source"}, nil)
	capacityDesc       = prometheus.NewDesc(ns+"_capacity_minutes_used", "Analyzer-capacity minutes used in the current month.", site, nil)
	taskStatusDesc     = prometheus.NewDesc(ns+"_task_last_status", "QRS status code of the task's last execution (7 finished, 8 failed, 4 aborted, 2 started...).", []string{"site", "task"}, nil)
	taskSuccessDesc    = prometheus.NewDesc(ns+"_task_last_success_timestamp_seconds", "End of the task's last successful execution, Unix seconds.", []string{"site", "task"}, nil)
	checkSuccessDesc   = prometheus.NewDesc(ns+"_check_success", "1 when the latest check could query the QRS, 0 when it could not.", site, nil)
	checkDurationDesc  = prometheus.NewDesc(ns+"_check_duration_seconds", "Duration of the latest check.", site, nil)
	collectSuccessDesc = prometheus.NewDesc(ns+"_collect_success", "1 when the latest collection was stored, 0 when it failed.", site, nil)
	collectDurDesc     = prometheus.NewDesc(ns+"_collect_duration_seconds", "Duration of the latest collection; absent when it was read from the store at start (the store keeps no duration).", site, nil)
	collectAtDesc      = prometheus.NewDesc(ns+"_collect_last_timestamp_seconds", "Time of the latest stored collection, Unix seconds (the API's lastCollect); absent before the first.", site, nil)
	skippedDesc        = prometheus.NewDesc(ns+"_schedule_skipped_total", "Scheduled runs of the job not started because its previous run was still going (runs never overlap), since serve started.", []string{"site", "job"}, nil)
	reloadDesc         = prometheus.NewDesc(ns+"_config_last_reload_successful", "1 when the last configuration reload succeeded.", nil, nil)
	leaderDesc         = prometheus.NewDesc(ns+"_leader", "1 when this serve instance leads its shard of sites (runs the checks, collections, log imports and alerts), 0 when it stands by and serves what the leader stored.", []string{"instance", "shard"}, nil)
)

// Collector is a prometheus.Collector over a Source.
type Collector struct{ src Source }

// New returns the collector of src.
func New(src Source) *Collector { return &Collector{src: src} }

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range licenseDescs {
		ch <- d.desc
	}
	for _, d := range []*prometheus.Desc{runOutDesc, unmetDesc, waitingDesc, capacityDesc, taskStatusDesc, taskSuccessDesc, checkSuccessDesc,
		checkDurationDesc, collectSuccessDesc, collectDurDesc, collectAtDesc, skippedDesc, reloadDesc, leaderDesc} {
		ch <- d
	}
	describeLogs(ch)
	describeChecks(ch)
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, s := range c.src.Sites() {
		for _, ct := range s.Counters {
			if !ct.Enabled && ct.Total == 0 && ct.Allocated == 0 && ct.Used == 0 {
				continue // a type the license does not have
			}
			for _, d := range licenseDescs {
				gauge(d.desc, d.val(ct), s.Name, string(ct.Type))
			}
			if ct.Type == license.AnalyzerCapacity {
				gauge(capacityDesc, float64(ct.Used), s.Name)
			}
		}
		for _, typ := range license.Types() {
			if d, ok := s.RunOutDays[typ]; ok {
				gauge(runOutDesc, d, s.Name, string(typ))
			}
		}
		for _, u := range s.Unmet {
			gauge(unmetDesc, float64(u.Denials), s.Name, string(u.Type), u.Source)
			if u.Waiting != nil {
				gauge(waitingDesc, *u.Waiting, s.Name, string(u.Type), u.Source)
			}
		}
		for _, t := range s.Tasks {
			gauge(taskStatusDesc, float64(t.Status), s.Name, t.Name)
			if !t.LastSuccess.IsZero() {
				gauge(taskSuccessDesc, float64(t.LastSuccess.UnixMilli())/1000, s.Name, t.Name)
			}
		}
		if r := s.Check; r != nil {
			gauge(checkSuccessDesc, b2f(r.Success), s.Name)
			gauge(checkDurationDesc, r.Duration.Seconds(), s.Name)
		}
		if r := s.Collect; r != nil {
			gauge(collectSuccessDesc, b2f(r.Success), s.Name)
			if !r.NoDuration {
				gauge(collectDurDesc, r.Duration.Seconds(), s.Name)
			}
		}
		if !s.LastCollect.IsZero() {
			gauge(collectAtDesc, float64(s.LastCollect.Unix()), s.Name)
		}
		collectLogs(gauge, s)
		collectChecks(ch, s)
		for _, j := range s.Jobs {
			ch <- prometheus.MustNewConstMetric(skippedDesc, prometheus.CounterValue, float64(j.Skipped), s.Name, j.Name)
		}
	}
	gauge(reloadDesc, b2f(c.src.LastReloadSuccessful()))
	if l, ok := c.src.(Leadership); ok {
		instance, shard, leading := l.Leader()
		gauge(leaderDesc, b2f(leading), instance, shard)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// NewRegistry returns a private registry with the licmon collector and the
// Go and process collectors. Nothing is registered globally, so tests and
// reloads never collide.
func NewRegistry(src Source) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(New(src), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves the registry in the Prometheus text or OpenMetrics format.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, ErrorHandling: promhttp.ContinueOnError})
}
