package notify

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/termtext"
)

// TimeLayout is how alert times are shown to people: UTC, to the second, so
// that sites in several time zones read the same clock.
const TimeLayout = "2006-01-02 15:04:05 UTC"

// Field is one labelled value of a rendered alert.
type Field struct {
	Name, Value string
}

// Message is an [Alert] rendered for people. Every channel builds its output
// from a Message so that all channels agree on wording and order.
type Message struct {
	// Headline is the title line: "RESOLVED: <title>" for resolved alerts,
	// the plain title otherwise.
	Headline string
	// Resolved is true for resolution notices.
	Resolved bool
	// Severity is the normalised severity ("critical", "warning", "ok").
	Severity string
	// Label is the upper-case state shown next to the headline:
	// CRITICAL, WARNING, OK or RESOLVED.
	Label string
	// Emoji is a colour cue that works in Slack, Teams and e-mail.
	Emoji string
	// Colour is a hex colour for the state (HTML e-mail, card accents).
	Colour string
	// Summary is the alert summary.
	Summary string
	// Fields are site, rule, severity, status, since and, when resolved,
	// resolved-at and duration.
	Fields []Field
	// Diagnosis holds the non-empty diagnosis fields in a fixed order.
	Diagnosis []Field
	// Details, LogHead and LogTail are copied from the alert.
	Details, LogHead, LogTail []string
	// Labels are the alert labels sorted by name.
	Labels []Field
	// DashboardURL links to the dashboard.
	DashboardURL string
}

// Render builds the shared human-readable form of a.
func Render(a Alert) Message {
	m := Message{
		Resolved:     a.Resolved(),
		Severity:     normSeverity(a.Severity),
		Summary:      strings.TrimSpace(a.Summary),
		Details:      nonEmpty(a.Details),
		LogHead:      a.LogHead,
		LogTail:      a.LogTail,
		DashboardURL: strings.TrimSpace(a.DashboardURL),
	}
	title := termtext.OneLine(a.Title, 0)
	if title == "" {
		title = termtext.OneLine(a.Rule, 0)
		if a.Site != "" {
			title += " on " + termtext.OneLine(a.Site, 0)
		}
	}
	switch {
	case m.Resolved:
		m.Headline = "RESOLVED: " + title
		m.Label, m.Emoji, m.Colour = "RESOLVED", "✅", "#2e7d32"
	case m.Severity == SeverityCritical:
		m.Headline = title
		m.Label, m.Emoji, m.Colour = "CRITICAL", "🔴", "#c62828"
	case m.Severity == SeverityWarning:
		m.Headline = title
		m.Label, m.Emoji, m.Colour = "WARNING", "🟠", "#ef6c00"
	default:
		m.Headline = title
		m.Label, m.Emoji, m.Colour = "OK", "✅", "#2e7d32"
	}
	add := func(fs *[]Field, name, value string) {
		if value = strings.TrimSpace(value); value != "" {
			*fs = append(*fs, Field{name, value})
		}
	}
	add(&m.Fields, "Site", a.Site)
	add(&m.Fields, "Rule", a.Rule)
	add(&m.Fields, "Severity", m.Severity)
	status := a.Status
	if status == "" {
		status = StatusFiring
	}
	add(&m.Fields, "Status", status)
	if !a.StartsAt.IsZero() {
		add(&m.Fields, "Since", a.StartsAt.UTC().Format(TimeLayout))
	}
	if m.Resolved && !a.EndsAt.IsZero() {
		add(&m.Fields, "Resolved at", a.EndsAt.UTC().Format(TimeLayout))
		if !a.StartsAt.IsZero() && a.EndsAt.After(a.StartsAt) {
			add(&m.Fields, "Duration", a.EndsAt.Sub(a.StartsAt).Round(time.Second).String())
		}
	}
	if d := a.Diagnosis; d != nil {
		add(&m.Diagnosis, "Code", d.Code)
		add(&m.Diagnosis, "Connection", d.Connection)
		if d.Line > 0 {
			add(&m.Diagnosis, "Line", strconv.Itoa(d.Line))
		}
		add(&m.Diagnosis, "Statement", d.Statement)
		add(&m.Diagnosis, "Error", d.Error)
		add(&m.Diagnosis, "Hint", d.Hint)
	}
	keys := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		m.Labels = append(m.Labels, Field{k, a.Labels[k]})
	}
	return m
}

// TitleLine is the headline with its state label and emoji, as used for
// chat fallbacks and e-mail subjects: "🔴 CRITICAL: <title>" or
// "✅ RESOLVED: <title>".
func (m Message) TitleLine() string {
	if m.Resolved {
		return m.Emoji + " " + m.Headline
	}
	return m.Emoji + " " + m.Label + ": " + m.Headline
}

// PlainText renders m as plain text (e-mail text part, `licmon alert test`
// preview). Lines are not wrapped; log lines are indented by four spaces.
func (m Message) PlainText() string {
	var b strings.Builder
	b.WriteString(m.TitleLine())
	b.WriteString("\n")
	if m.Summary != "" {
		b.WriteString("\n" + m.Summary + "\n")
	}
	writeFields := func(fs []Field, indent string) {
		w := 0
		for _, f := range fs {
			w = max(w, len(f.Name))
		}
		for _, f := range fs {
			v := strings.ReplaceAll(f.Value, "\n", "\n"+indent+strings.Repeat(" ", w+2))
			fmt.Fprintf(&b, "%s%-*s  %s\n", indent, w+1, f.Name+":", v)
		}
	}
	b.WriteString("\n")
	writeFields(m.Fields, "")
	if len(m.Diagnosis) > 0 {
		b.WriteString("\nDiagnosis\n")
		writeFields(m.Diagnosis, "  ")
	}
	if len(m.Details) > 0 {
		b.WriteString("\nDetails\n")
		for _, d := range m.Details {
			b.WriteString("  - " + d + "\n")
		}
	}
	writeLog := func(title string, lines []string) {
		if len(lines) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s (%d lines)\n", title, len(lines))
		for _, l := range lines {
			b.WriteString("    " + l + "\n")
		}
	}
	writeLog("Script log, first lines", m.LogHead)
	writeLog("Script log, last lines", m.LogTail)
	if len(m.Labels) > 0 {
		b.WriteString("\nLabels\n")
		writeFields(m.Labels, "  ")
	}
	if m.DashboardURL != "" {
		b.WriteString("\nDashboard: " + m.DashboardURL + "\n")
	}
	return b.String()
}

func normSeverity(s string) string {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case SeverityCritical, SeverityWarning, SeverityOK:
		return s
	case "":
		return SeverityWarning
	default:
		return s
	}
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
