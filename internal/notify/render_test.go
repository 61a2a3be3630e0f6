package notify

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestRenderFiringAndResolved(t *testing.T) {
	now := time.Date(2026, 11, 26, 19, 0, 0, 0, time.UTC)
	a := SampleAlert(now)
	m := Render(a)
	if m.Headline != a.Title || m.Label != "CRITICAL" || m.Emoji != "🔴" {
		t.Errorf("firing: headline %q label %q emoji %q", m.Headline, m.Label, m.Emoji)
	}
	if got := m.TitleLine(); got != "🔴 CRITICAL: "+a.Title {
		t.Errorf("TitleLine = %q", got)
	}
	wantFields := []Field{{"Site", "prod"}, {"Rule", "lm-task-failed"}, {"Severity", "critical"}, {"Status", "firing"}, {"Since", "2026-11-26 18:53:00 UTC"}}
	if diff := cmp.Diff(wantFields, m.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if m.Diagnosis[0] != (Field{"Code", "rest-auth"}) || m.Diagnosis[2] != (Field{"Line", "697"}) {
		t.Errorf("diagnosis = %v", m.Diagnosis)
	}

	a.Status, a.EndsAt = StatusResolved, now.Add(5*time.Minute)
	r := Render(a)
	if r.Headline != "RESOLVED: "+a.Title || r.TitleLine() != "✅ RESOLVED: "+a.Title {
		t.Errorf("resolved: headline %q title line %q", r.Headline, r.TitleLine())
	}
	if diff := cmp.Diff([]Field{{"Resolved at", "2026-11-26 19:05:00 UTC"}, {"Duration", "12m0s"}}, r.Fields[5:]); diff != "" {
		t.Errorf("resolved fields (-want +got):\n%s", diff)
	}
	text := r.PlainText()
	for _, want := range []string{"✅ RESOLVED: License Monitor reload failed", "Resolved at:  2026-11-26 19:05:00 UTC", "    Error: HTTP protocol error 401", "Dashboard: http://localhost:8480/alerts/prod/lm-task-failed"} {
		if !strings.Contains(text, want) {
			t.Errorf("plain text lacks %q:\n%s", want, text)
		}
	}
}

func TestRenderTitleCannotInjectLines(t *testing.T) {
	m := Render(Alert{Title: "a\r\nBcc: x@example.com", Severity: "warning"})
	if m.Headline != "a Bcc: x@example.com" {
		t.Errorf("headline = %q", m.Headline)
	}
	if m := Render(Alert{Rule: "lm-stale", Site: "dev"}); m.Headline != "lm-stale on dev" {
		t.Errorf("fallback headline = %q", m.Headline)
	}
}

func TestFitLinesKeepsTailWithNote(t *testing.T) {
	var lines []string
	for i := range 100 {
		lines = append(lines, strings.Repeat("x", 20)+" line "+string(rune('a'+i%26)))
	}
	lines[99] = "Execution Failed"
	text, dropped := FitLines(lines, 300, true, nil)
	if utf8.RuneCountInString(text) > 300 {
		t.Fatalf("len = %d > 300", utf8.RuneCountInString(text))
	}
	if dropped == 0 || !strings.HasPrefix(text, "… ") || !strings.Contains(text, "earlier lines omitted") || !strings.HasSuffix(text, "Execution Failed") {
		t.Errorf("dropped=%d text=%q", dropped, text)
	}
	head, dropped := FitLines(lines, 300, false, nil)
	if !strings.HasSuffix(head, "more lines omitted") || !strings.HasPrefix(head, lines[0]) || dropped == 0 {
		t.Errorf("head = %q", head)
	}
	all, dropped := FitLines([]string{"a", "b"}, 300, true, strings.ToUpper)
	if all != "A\nB" || dropped != 0 {
		t.Errorf("fits: %q %d", all, dropped)
	}
}

func TestTruncateIsRuneSafe(t *testing.T) {
	s := strings.Repeat("é", 10)
	got := Truncate(s, 5)
	if !utf8.ValidString(got) || utf8.RuneCountInString(got) != 5 || !strings.HasSuffix(got, "…") {
		t.Errorf("Truncate = %q", got)
	}
	if Truncate("abc", 3) != "abc" || Truncate("abc", 0) != "" {
		t.Error("no-op cases")
	}
	long := fitOne(strings.Repeat("y", 5000))
	if utf8.RuneCountInString(long) != MaxLineRunes {
		t.Errorf("long line kept %d runes", utf8.RuneCountInString(long))
	}
}

func fitOne(s string) string { t, _ := FitLines([]string{s}, 10000, true, nil); return t }
