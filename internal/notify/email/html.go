package email

import (
	"bytes"
	"fmt"
	"html/template"

	"github.com/licmon/licmon/internal/notify"
)

// The HTML part uses inline styles only: Outlook and Gmail drop <style>
// blocks and external CSS.
var htmlTemplate = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Headline}}</title></head>
<body style="font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#212121">
<h2 style="margin:0 0 8px 0;padding:8px 12px;border-left:6px solid {{.Colour}};font-size:18px">{{.Emoji}} {{if not .Resolved}}{{.Label}}: {{end}}{{.Headline}}</h2>
{{- if .Summary}}
<p>{{.Summary}}</p>
{{- end}}
<table style="border-collapse:collapse" cellpadding="4">
{{- range .Fields}}
<tr><th align="left" style="padding-right:16px">{{.Name}}</th><td>{{.Value}}</td></tr>
{{- end}}
</table>
{{- if .Diagnosis}}
<h3 style="font-size:15px">Diagnosis</h3>
<table style="border-collapse:collapse" cellpadding="4">
{{- range .Diagnosis}}
<tr><th align="left" valign="top" style="padding-right:16px">{{.Name}}</th><td>{{.Value}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Details}}
<h3 style="font-size:15px">Details</h3>
<ul>
{{- range .Details}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .LogHead}}
<h3 style="font-size:15px">Script log, first lines ({{len .LogHead}} lines)</h3>
<pre style="background:#f5f5f5;padding:8px;font-size:12px;white-space:pre-wrap">{{range $i, $l := .LogHead}}{{if $i}}
{{end}}{{$l}}{{end}}</pre>
{{- end}}
{{- if .LogTail}}
<h3 style="font-size:15px">Script log, last lines ({{len .LogTail}} lines)</h3>
<pre style="background:#f5f5f5;padding:8px;font-size:12px;white-space:pre-wrap">{{range $i, $l := .LogTail}}{{if $i}}
{{end}}{{$l}}{{end}}</pre>
{{- end}}
{{- if .Labels}}
<p style="color:#757575;font-size:12px">Labels:{{range .Labels}} {{.Name}}={{.Value}}{{end}}</p>
{{- end}}
{{- if .DashboardURL}}
<p><a href="{{.DashboardURL}}">Open dashboard</a></p>
{{- end}}
</body></html>
`))

// HTML renders m as the HTML body; html/template escapes every value, so
// "<Unauthorized>" in a log line is shown, not parsed.
func HTML(m notify.Message) (string, error) {
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, m); err != nil {
		return "", fmt.Errorf("render e-mail HTML: %w", err)
	}
	return b.String(), nil
}
