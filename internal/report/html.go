package report

import (
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/licmon/licmon/internal/svgchart"
)

// WriteHTML writes the report as one self-contained HTML file: inline CSS
// on the elements (email clients drop <style> blocks), inline SVG charts,
// no scripts, no external assets, so it can be attached to an email.
func WriteHTML(w io.Writer, r *Report) error {
	type typeView struct {
		TypeReport
		Chart   template.HTML
		Runout  string
		Backtst string
	}
	v := struct {
		*Report
		Generated string
		Types     []typeView
		Headroom  string
		Reclaim   []Candidate
		More      int
		Counts    CandidateCounts
	}{Report: r, Headroom: fmt.Sprintf("%.0f", r.Settings.HeadroomPct), Counts: r.Candidates.Sizes()}
	for _, t := range r.Types {
		tv := typeView{TypeReport: t, Runout: runoutText(t.Forecast), Backtst: backtestText(t.Forecast.Backtest, unitOf(t))}
		if c := HistoryChart(r, &t); c != nil {
			tv.Chart = c.Responsive()
		}
		v.Types = append(v.Types, tv)
	}
	v.Reclaim = r.Candidates.Reclaim[:min(len(r.Candidates.Reclaim), DefaultCandidateLimit)]
	v.More = v.Counts.Reclaim - len(v.Reclaim)
	return page.Execute(w, v)
}

var funcs = template.FuncMap{
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.Format(time.DateOnly)
		case *time.Time:
			return date(v)
		}
		return ""
	},
	"num":       func(v float64) string { return fmt.Sprintf("%.0f", v) },
	"signed":    signed,
	"optSigned": optSigned,
	"growth":    func(t TypeReport) string { return growthText(t, " / ") },
	"optInt":    optInt,
	"sentence":  sentence,
	"plural":    plural,
	"optNum":    optNum,
}

const (
	cell  = `padding:4px 8px;border-bottom:1px solid #ddd;text-align:right`
	cellL = `padding:4px 8px;border-bottom:1px solid #ddd;text-align:left`
	head  = `padding:4px 8px;border-bottom:2px solid #333;text-align:right;font-weight:600`
	headL = `padding:4px 8px;border-bottom:2px solid #333;text-align:left;font-weight:600`
)

// reportCSS is the report's only stylesheet, an enhancement over the
// inline styles: charts laid out for phones, and printing on A4 or Letter
// (wide charts, no page break inside a chart or a table row). An email
// client that drops it still shows the report as styled inline.
const reportCSS = svgchart.ResponsiveCSS + `
@media print {
  @page { size: auto; margin: 12mm; }
  body { padding: 0 !important; font-size: 10.5pt !important; }
  h2, h3 { break-after: avoid; }
  .sc-pair, tr { break-inside: avoid; }
  .sc-pair .sc-wide { display: block !important; } .sc-pair .sc-narrow { display: none !important; }
  svg { max-width: 100% !important; }
  div[style*="overflow-x"] { overflow: visible !important; }
}`

var page = template.Must(template.New("report").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>License report: {{.Site}} as of {{date .AsOf}}</title>
<style>` + reportCSS + `</style>
</head>
<body style="margin:0;padding:16px;font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#222;background:#ffffff">
<div style="max-width:960px;margin:0 auto">
<h1 style="font-size:22px;margin:0 0 4px 0">License report: {{.Site}}</h1>
<p style="margin:0 0 16px 0;color:#555">As of {{date .AsOf}} (data collected {{.DataAt.Format "2006-01-02 15:04 MST"}}); planning horizon {{date .HorizonEnd}} ({{.HorizonDays}} days).</p>
<div style="padding:12px 16px;background:#eef4fb;border-left:4px solid #0072B2;margin:0 0 20px 0">
<div style="font-size:12px;color:#555;text-transform:uppercase">Recommendation</div>
<div style="font-size:18px;font-weight:600" id="plan">{{.Plan.Summary}}</div>
</div>

<h2 style="font-size:17px;margin:20px 0 8px 0">Licenses</h2>
<div style="overflow-x:auto"><table style="border-collapse:collapse;width:100%">
<tr><th style="` + headL + `">Type</th><th style="` + head + `">Licensed</th><th style="` + head + `">Allocated</th><th style="` + head + `">Remaining</th><th style="` + head + `">Used 7/30/90 d</th><th style="` + head + `">Never used</th><th style="` + head + `">Unused 30/60/90 d</th><th style="` + head + `">Quarantined</th><th style="` + head + `">Growth / month (30 d / 90 d)</th></tr>
{{range .Types}}<tr><td style="` + cellL + `">{{.Label}}</td><td style="` + cell + `">{{.Licensed}}</td><td style="` + cell + `">{{.Allocated}}</td><td style="` + cell + `">{{.Remaining}}</td>
{{with .Usage}}<td style="` + cell + `">{{.Used7}}/{{.Used30}}/{{.Used90}}</td><td style="` + cell + `">{{.NeverUsed}}</td><td style="` + cell + `">{{.Unused30}}/{{.Unused60}}/{{.Unused90}}</td>{{else}}<td style="` + cell + `">–</td><td style="` + cell + `">–</td><td style="` + cell + `">–</td>{{end}}
<td style="` + cell + `">{{.Quarantined}}</td><td style="` + cell + `">{{growth .TypeReport}}</td></tr>
{{end}}</table></div>

<h2 style="font-size:17px;margin:24px 0 8px 0">Needs by {{date .HorizonEnd}}</h2>
<p style="margin:0 0 8px 0;color:#555">Demand is never below today's, plus {{.Headroom}}% headroom; what each figure rests on is under the table. Reclaimable counts allocations unused for at least {{.Settings.InactivityDays}} days, after exclusions (keep markers, INTERNAL accounts, RootAdmins).</p>
{{template "plan" .Plan.Lines}}
<ul style="margin:6px 0 0 0;padding-left:20px;color:#555;font-size:13px">{{range .Plan.Lines}}<li>{{.Label}}: {{.RestsOn}}</li>{{end}}</ul>
{{with .Plan.WithDowngrades}}<h3 style="font-size:15px;margin:16px 0 6px 0">With downgrades</h3>
<p style="margin:0 0 6px 0">{{.Summary}}</p>
{{template "plan" .Lines}}{{end}}

{{if .WhatIf}}<h3 style="font-size:15px;margin:16px 0 6px 0">What if we reclaim allocations unused for…</h3>
<div style="overflow-x:auto"><table style="border-collapse:collapse">
<tr><th style="` + headL + `">Threshold</th>{{range (index .WhatIf 0).Types}}<th style="` + head + `">{{.Type.Label}}: frees / buy</th>{{end}}</tr>
{{range .WhatIf}}<tr><td style="` + cellL + `">{{.Days}} days</td>{{range .Types}}<td style="` + cell + `">{{.Free}} / {{.Buy}}</td>{{end}}</tr>
{{end}}</table></div>{{end}}

<h2 style="font-size:17px;margin:24px 0 8px 0">Forecasts</h2>
{{range .Types}}<div style="margin:0 0 20px 0">
<h3 style="font-size:15px;margin:0 0 4px 0">{{.Label}}</h3>
<p style="margin:0 0 2px 0">{{.Runout}}</p>
{{with .Forecast.SeriesNote}}<p style="margin:0 0 2px 0;font-size:13px">{{.}}</p>{{end}}
{{if .Backtst}}<p style="margin:0 0 6px 0;color:#555;font-size:13px">{{.Backtst}}</p>{{end}}
{{if .Chart}}<div style="max-width:760px">{{.Chart}}</div>{{end}}
</div>
{{end}}

<h2 style="font-size:17px;margin:24px 0 8px 0">Candidates</h2>
<ul style="margin:0 0 8px 0;padding-left:20px">
<li>{{.Counts.Reclaim}} allocations unused for at least {{.Settings.InactivityDays}} days (reclaim)</li>
<li>{{.Counts.Downgrade}} Professional users with no authoring in {{.Settings.AuthoringDays}} days (downgrade to Analyzer)</li>
<li>{{.Counts.Dual}} users holding both Professional and Analyzer</li>
<li>{{.Counts.Capacity}} capacity users at or above {{.Settings.AnalyzerMinutes}} minutes a month (an Analyzer seat costs less)</li>
</ul>
{{if .Reclaim}}<div style="overflow-x:auto"><table style="border-collapse:collapse;width:100%;font-size:13px">
<tr><th style="` + headL + `">User</th><th style="` + headL + `">Type</th><th style="` + head + `">Last used</th><th style="` + head + `">Idle days</th></tr>
{{range .Reclaim}}<tr><td style="` + cellL + `">{{.Directory}}\{{.UserID}}</td><td style="` + cellL + `">{{.Type.Label}}</td><td style="` + cell + `">{{with .LastUsed}}{{date .}}{{else}}never{{end}}</td><td style="` + cell + `">{{if lt .IdleDays 0}}–{{else}}{{.IdleDays}}{{end}}</td></tr>
{{end}}</table></div>{{if .More}}<p style="color:#555;font-size:13px">… and {{.More}} more (licmon report --format csv --candidates).</p>{{end}}{{end}}

{{with .Capacity}}<h2 style="font-size:17px;margin:24px 0 8px 0">Analyzer capacity, {{.Month}}</h2>
<p style="margin:0">{{.Used}} of {{.Licensed}} minutes used by {{.Users}} {{plural .Users "user" "users"}} (last month {{optInt .LastMonth}}). {{sentence .Reason}}.</p>{{end}}

<h2 style="font-size:17px;margin:24px 0 8px 0">Unmet demand</h2>
{{if .UnmetDemand.Available}}<p style="margin:0 0 8px 0;color:#555">Access refusals in the last 30 days, per type from one source (logs, then import, then qrs-estimate; sources are never summed). An estimate counts users who appeared in the QRS without a seat while the type was full.</p>
<div style="overflow-x:auto"><table style="border-collapse:collapse;width:100%" id="unmet">
<tr><th style="` + headL + `">Type</th><th style="` + head + `">Refusals</th><th style="` + headL + `">Source</th><th style="` + head + `">Waiting today</th><th style="` + headL + `">Note</th></tr>
{{range .UnmetDemand.Types}}<tr><td style="` + cellL + `">{{.Label}}</td><td style="` + cell + `">{{optInt .Denials}}</td><td style="` + cellL + `">{{with .Source}}{{.}}{{else}}–{{end}}{{if .Estimate}} (estimate){{end}}</td><td style="` + cell + `">{{optNum .Waiting}}</td><td style="` + cellL + `">{{.Note}}</td></tr>
{{end}}</table></div>{{else}}<p style="margin:0">{{.UnmetDemand.Note}}</p>{{end}}

{{if .Notes}}<h2 style="font-size:17px;margin:24px 0 8px 0">Notes</h2>
<ul style="margin:0;padding-left:20px">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p style="margin:24px 0 0 0;color:#888;font-size:12px">Generated by licmon from its history store. Forecast: damped-trend exponential smoothing with block-bootstrap intervals; reconstructed history (dashed) is a lower bound.</p>
</div>
</body>
</html>
{{define "plan"}}<div style="overflow-x:auto"><table style="border-collapse:collapse;width:100%">
<tr><th style="` + headL + `">Type</th><th style="` + head + `">Licensed</th><th style="` + head + `">Demand</th><th style="` + head + `">Required</th><th style="` + head + `">Reclaimable</th><th style="` + head + `">Reclaim</th><th style="` + head + `">Buy</th><th style="` + head + `">Spare</th></tr>
{{range .}}<tr><td style="` + cellL + `">{{.Label}}</td><td style="` + cell + `">{{.Licensed}}</td><td style="` + cell + `">{{num .Demand}}{{if eq .Basis "current"}} (today, no forecast){{else if eq .Basis "forecast-mean"}} (forecast mean, no interval){{end}}{{if .Unmet}} incl. {{num .Unmet}} unmet{{end}}</td><td style="` + cell + `">{{.Required}}</td><td style="` + cell + `">{{.Reclaimable}}</td><td style="` + cell + `">{{.Reclaim}}</td><td style="` + cell + `;font-weight:600">{{if eq .Basis "current"}}none (no forecast){{else}}{{.Buy}}{{end}}</td><td style="` + cell + `">{{.Spare}}</td></tr>
{{end}}</table></div>{{end}}`))
