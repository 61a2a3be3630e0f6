package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/report"
)

// page is what the layout template needs on every page.
type page struct {
	Title string
	App   string
	Base  string
	Now   time.Time
	// Refresh is the page's auto-refresh (overview and site pages only).
	Refresh refresh
}

// refresh is a page's optional auto-refresh: a meta refresh, no
// JavaScript, which the reader switches off (and on) with a link that
// keeps ?refresh=off in the URL the page reloads.
type refresh struct {
	// Seconds between reloads; 0 when the page does not refresh.
	Seconds int
	// Offered is true on pages that can refresh; Toggle is the link that
	// switches it off (or on again).
	Offered bool
	Toggle  string
}

// setRefresh sets the auto-refresh of a page from the request.
func (p *page) setRefresh(r *http.Request, every time.Duration) {
	if every <= 0 {
		return
	}
	p.Refresh.Offered = true
	q := r.URL.Query()
	if q.Get("refresh") == "off" {
		q.Del("refresh")
	} else {
		p.Refresh.Seconds = int(every.Seconds())
		q.Set("refresh", "off")
	}
	p.Refresh.Toggle = r.URL.Path
	if e := q.Encode(); e != "" {
		p.Refresh.Toggle += "?" + e
	}
}

func (h *handler) page(title string) page {
	return page{Title: title, App: h.opts.Title, Base: h.base, Now: h.opts.Now()}
}

type errorView struct {
	page
	Status  int
	Message string
}

// siteCard is one site on the overview.
type siteCard struct {
	Info   SiteInfo
	URL    string
	Charts []typeCharts
	Notes  []string
	// ReportError says why the license figures are missing.
	ReportError string
	// Status is the card's colour, the worse of License Monitor health and
	// license state, and Reason says it in words; License and LicenseWhy
	// are the license state alone (LicenseKnown false before the first
	// collection).
	Status       check.Severity
	Reason       string
	License      check.Severity
	LicenseWhy   string
	LicenseKnown bool
}

type overviewView struct {
	page
	Sites []siteCard
	// Worst is the worst card status (License Monitor and licenses) over
	// all sites.
	Worst check.Severity
}

func (h *handler) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sites, err := h.b.Sites(ctx)
	if err != nil {
		h.backendError(w, r, "", err)
		return
	}
	v := &overviewView{page: h.page("Sites"), Worst: check.OK}
	v.setRefresh(r, h.opts.AutoRefresh)
	for _, s := range sites {
		c := siteCard{Info: s, URL: h.siteURL(s.Name)}
		if s.LastCheck.IsZero() {
			c.Info.Status = check.Unknown
			if c.Info.Summary == "" {
				c.Info.Summary = "not checked yet"
			}
		}
		rep, err := h.b.Report(ctx, s.Name)
		switch {
		case err != nil:
			h.opts.Logger.Warn("dashboard report", "site", s.Name, "err", err)
			c.ReportError = "license figures unavailable: " + err.Error()
		case rep == nil:
			c.ReportError = "no license history yet: the first collection has not run"
		default:
			c.Charts = h.charts.get(s.Name, rep)
			c.License, c.LicenseWhy = licenseVerdict(c.Charts)
			c.LicenseKnown = true
		}
		c.Status, c.Reason = cardVerdict(c.Info.Status, c.Info.Summary, c.License, c.LicenseWhy, c.LicenseKnown)
		v.Worst = check.Worse(v.Worst, c.Status)
		v.Sites = append(v.Sites, c)
	}
	if len(sites) == 0 {
		v.Worst = check.Unknown
	}
	h.render(w, r, http.StatusOK, "overview", v)
}

// candidateTable is the first rows of one candidate list.
type candidateTable struct {
	Kind    string
	Title   string
	Explain string
	Rows    []report.Candidate
	Total   int
	CSV     string
	// Columns shown besides user, name, type, last used and reason.
	Idle, Authored, Minutes bool
}

type siteView struct {
	page
	Info      SiteInfo
	Check     *check.Report
	Findings  []findingView
	Diagnoses []diagnosisView
	Report    *report.Report
	Charts    []typeCharts
	Tables    []candidateTable
	History   []CheckSummary
	// Actions are the latest reclaim plans and audited changes (nil when
	// the backend keeps none).
	Actions *Actions
	// Verdict is the site's badge next to its name, the same as its card
	// on the overview (the worse of License Monitor health and license
	// state), and VerdictWhy says it in words.
	Verdict    check.Severity
	VerdictWhy string
	// Errors are backend failures shown in place of a section.
	ReportError  string
	HistoryError string
	CheckError   string
}

func (h *handler) sitePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("site")
	info, err := h.site(r, name)
	if err != nil {
		h.backendError(w, r, name, err)
		return
	}
	v := &siteView{page: h.page(name), Info: info}
	v.setRefresh(r, h.opts.AutoRefresh)
	if v.Check, err = h.b.Check(ctx, name); err != nil {
		h.opts.Logger.Warn("dashboard check", "site", name, "err", err)
		v.CheckError = err.Error()
	}
	if v.Check != nil {
		v.Diagnoses = diagnoses(v.Check)
		v.Findings = findingViews(sortFindings(v.Check.Findings), v.Diagnoses)
	}
	if v.Report, err = h.b.Report(ctx, name); err != nil {
		h.opts.Logger.Warn("dashboard report", "site", name, "err", err)
		v.ReportError = err.Error()
	}
	if rep := v.Report; rep != nil {
		v.Charts = h.charts.get(name, rep)
		for _, k := range candidateKinds {
			list := candidatesOf(rep, k.kind)
			if len(list) == 0 && k.kind == report.KindDual {
				continue // rare; shown only when there is something to act on
			}
			t := candidateTable{Kind: k.kind, Title: k.title, Explain: k.explain(rep), Total: len(list),
				CSV:  h.siteURL(name) + "/candidates.csv?kind=" + k.kind,
				Idle: k.kind == report.KindReclaim, Authored: k.kind == report.KindDowngrade || k.kind == report.KindDual,
				Minutes: k.kind == report.KindCapacity}
			t.Rows = list[:min(len(list), h.opts.Rows)]
			v.Tables = append(v.Tables, t)
		}
	}
	lic, licWhy := licenseVerdict(v.Charts)
	lmSummary := v.Info.Summary
	if lmSummary == "" {
		lmSummary = "not checked yet"
	}
	v.Verdict, v.VerdictWhy = cardVerdict(v.Info.Status, lmSummary, lic, licWhy, v.Report != nil)
	if v.History, err = h.b.CheckHistory(ctx, name, h.opts.HistoryRows); err != nil {
		h.opts.Logger.Warn("dashboard check history", "site", name, "err", err)
		v.HistoryError = err.Error()
	}
	if v.Actions, err = h.actions(ctx, name); err != nil {
		h.opts.Logger.Warn("dashboard actions", "site", name, "err", err)
	}
	h.render(w, r, http.StatusOK, "site", v)
}

// site finds a configured site by name; unknown names wrap ErrUnknownSite.
func (h *handler) site(r *http.Request, name string) (SiteInfo, error) {
	sites, err := h.b.Sites(r.Context())
	if err != nil {
		return SiteInfo{}, err
	}
	for _, s := range sites {
		if s.Name == name {
			if s.LastCheck.IsZero() {
				s.Status = check.Unknown
			}
			return s, nil
		}
	}
	return SiteInfo{}, fmt.Errorf("site %q: %w", name, ErrUnknownSite)
}

func (h *handler) siteURL(name string) string { return h.base + "/sites/" + url.PathEscape(name) }

// sortFindings lists the worst first, keeping the check's order otherwise,
// as `licmon check` prints them.
func sortFindings(fs []check.Finding) []check.Finding {
	out := make([]check.Finding, 0, len(fs))
	for _, s := range []check.Severity{check.Critical, check.Unknown, check.Warning, check.OK} {
		for _, f := range fs {
			if f.Severity == s {
				out = append(out, f)
			}
		}
	}
	return out
}

// findingView is a finding as the site page shows it: a fix already shown
// (in a diagnosis or an earlier finding) is referred to, not repeated, so
// the page says each fix once.
type findingView struct {
	check.Finding
	// Fix is the hint as shown; Above is true when it refers to a fix
	// shown above instead of repeating it.
	Fix   string
	Above bool
}

// fixMarker starts the actionable sentence that several hints share after
// their own explanation.
const fixMarker = "Fix: "

func findingViews(fs []check.Finding, diags []diagnosisView) []findingView {
	shown := map[string]bool{}
	see := func(h string) {
		shown[h] = true
		if i := strings.Index(h, fixMarker); i >= 0 {
			shown[h[i:]] = true
		}
	}
	for _, d := range diags {
		if d.Hint != "" {
			see(d.Hint)
		}
	}
	out := make([]findingView, 0, len(fs))
	for _, f := range fs {
		v := findingView{Finding: f, Fix: f.Hint}
		switch i := strings.Index(f.Hint, fixMarker); {
		case f.Hint == "":
		case shown[f.Hint]:
			v.Fix, v.Above = "as shown above.", true
		case i > 0 && shown[f.Hint[i:]]:
			v.Fix, v.Above = f.Hint[:i]+"Fix: as shown above.", true
		default:
			see(f.Hint)
		}
		out = append(out, v)
	}
	return out
}

type candidateKind struct {
	kind, title string
	explain     func(*report.Report) string
}

// candidateKinds are the lists in display order.
var candidateKinds = []candidateKind{
	{report.KindReclaim, "Reclaim candidates", func(r *report.Report) string {
		return fmt.Sprintf("Allocations unused (or never used) for at least %d days, most idle first.", r.Settings.InactivityDays)
	}},
	{report.KindDowngrade, "Downgrade candidates", func(r *report.Report) string {
		return fmt.Sprintf("Professional users who authored nothing in %d days: an Analyzer seat would do.", r.Settings.AuthoringDays)
	}},
	{report.KindDual, "Users holding both Professional and Analyzer", func(*report.Report) string {
		return "One of the two allocations can be released."
	}},
	{report.KindCapacity, "Capacity users above an Analyzer seat's break-even", func(r *report.Report) string {
		return fmt.Sprintf("Users whose capacity minutes this month exceed %d: an Analyzer seat would cost less.", r.Settings.AnalyzerMinutes)
	}},
}

// candidatesOf returns the list of one kind; ok is false for an unknown kind.
func candidatesOf(rep *report.Report, kind string) []report.Candidate {
	switch kind {
	case report.KindReclaim:
		return rep.Candidates.Reclaim
	case report.KindDowngrade:
		return rep.Candidates.Downgrade
	case report.KindDual:
		return rep.Candidates.Dual
	case report.KindCapacity:
		return rep.Candidates.Capacity
	}
	return nil
}

func validKind(kind string) bool {
	for _, k := range candidateKinds {
		if k.kind == kind {
			return true
		}
	}
	return false
}

func kindNames() string {
	names := make([]string, len(candidateKinds))
	for i, k := range candidateKinds {
		names[i] = k.kind
	}
	return strings.Join(names, ", ")
}
