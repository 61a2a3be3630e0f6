package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/check"
)

// parseTemplates parses the layout with each page. The templates are part of
// the binary, so a parse error is a programming error caught by every test.
func parseTemplates(h *handler) map[string]*template.Template {
	funcs := template.FuncMap{
		"status": func(s check.Severity) string { return s.String() },
		"upper":  strings.ToUpper,
		"when":   when,
		"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"ago":    func(now, t time.Time) string { return ago(now, t) },
		"optday": optDay,
		"num":    num,
		"optnum": optNum,
		"optsigned": func(v *float64) string {
			if v == nil {
				return "–"
			}
			return fmt.Sprintf("%+.1f", *v)
		},
		"siteURL":  h.siteURL,
		"plural":   plural,
		"day":      day,
		"lineNum":  func(n int) string { return fmt.Sprintf("%04d", n) },
		"severity": func(s string) string { return strings.ToLower(s) },
	}
	pages := map[string]*template.Template{}
	for _, p := range []string{"overview", "site", "error", "logs"} {
		t := template.Must(template.New(p).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html"))
		pages[p] = t
	}
	return pages
}

// when formats a time for people: UTC, to the minute; "never" for zero.
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func optDay(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return day(*t)
}

// ago says how long before now t was, roughly.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int64(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int64(d/time.Hour), "hour") + " ago"
	default:
		return plural(int64(d/(24*time.Hour)), "day") + " ago"
	}
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return num(n) + " " + unit + "s"
}

// num writes an integer with thin thousands separators (12 345). It takes
// any integer type because templates do not convert.
// optNum is num of a figure that may be unknown: "–" for nil, never 0.
func optNum(v any) string {
	switch x := v.(type) {
	case *int64:
		if x != nil {
			return num(*x)
		}
	case *float64:
		if x != nil {
			return num(*x)
		}
	default:
		return num(v)
	}
	return "–"
}

func num(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case float64:
		n = int64(x + 0.5)
	default:
		return fmt.Sprint(v)
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune('\u202f')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
