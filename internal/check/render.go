package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/licmon/licmon/internal/scriptlog"
	"github.com/licmon/licmon/internal/termtext"
)

// WriteJSON writes the reports as one JSON document: an object for one site,
// {"status": worst, "sites": [...]} for several. The schema is documented in
// the README and stable. Every time of the check and of the QRS is RFC 3339
// in UTC to the second (UTCSecond), as in every licmon API answer; the
// script log's own times (diagnosis start and end) stay as the log wrote
// them, since the log does not always say its zone.
func WriteJSON(w io.Writer, reports []*Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	out := make([]*Report, len(reports))
	for i, r := range reports {
		out[i] = r.jsonTimes()
	}
	if len(out) == 1 {
		return enc.Encode(out[0])
	}
	return enc.Encode(struct {
		Status Severity  `json:"status"`
		Sites  []*Report `json:"sites"`
	}{Worst(reports), out})
}

// UTCSecond is how licmon's JSON gives a time: in UTC, to the second
// ("2026-11-27T15:31:02Z"), so that times from the clock (with
// nanoseconds) and from the QRS or the store read alike and sort as
// strings. The zero time stays zero.
func UTCSecond(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Second)
}

// jsonTimes is a copy of r with its times as UTCSecond gives them; r,
// which serve shares between requests, is left alone.
func (r *Report) jsonTimes() *Report {
	c := *r
	c.CheckedAt = UTCSecond(c.CheckedAt)
	c.Task = c.Task.jsonTimes()
	if r.Apps != nil {
		c.Apps = make([]AppReport, len(r.Apps))
		for i, a := range r.Apps {
			a.Task = a.Task.jsonTimes()
			c.Apps[i] = a
		}
	}
	if r.License != nil {
		l := *r.License
		l.ValidTo = UTCSecond(l.ValidTo)
		c.License = &l
	}
	c.Fix = c.Fix.jsonTimes()
	return &c
}

func (t *TaskInfo) jsonTimes() *TaskInfo {
	if t == nil {
		return nil
	}
	c := *t
	c.NextExecution, c.LastSuccess, c.AppLastReload = UTCSecond(t.NextExecution), UTCSecond(t.LastSuccess), UTCSecond(t.AppLastReload)
	c.Last = t.Last.jsonTimes()
	if t.Triggers != nil {
		c.Triggers = make([]Trigger, len(t.Triggers))
		for i, tr := range t.Triggers {
			tr.NextExecution = UTCSecond(tr.NextExecution)
			c.Triggers[i] = tr
		}
	}
	if t.History != nil {
		c.History = make([]Execution, len(t.History))
		for i := range t.History {
			c.History[i] = *t.History[i].jsonTimes()
		}
	}
	return &c
}

func (x *Execution) jsonTimes() *Execution {
	if x == nil {
		return nil
	}
	c := *x
	c.Start, c.Stop = UTCSecond(x.Start), UTCSecond(x.Stop)
	return &c
}

// Worst returns the worst status of several reports.
func Worst(reports []*Report) Severity {
	s := OK
	for _, r := range reports {
		s = Worse(s, r.Status)
	}
	return s
}

// WriteNagios writes one line per site in the Nagios plugin format:
// "LICMON CRITICAL - site: summary | perfdata". Like every text renderer
// it passes Qlik's texts through termtext.
func WriteNagios(w io.Writer, reports []*Report) error {
	w = termtext.Writer(w)
	for _, r := range reports {
		perf := []string{fmt.Sprintf("check_seconds=%.3fs", r.Took.Seconds())}
		if t := r.Task; t != nil {
			perf = append(perf, fmt.Sprintf("failure_streak=%d;1;1;0", t.FailureStreak))
			if !t.AppLastReload.IsZero() {
				perf = append(perf, fmt.Sprintf("app_age_seconds=%.0fs;;;0", r.CheckedAt.Sub(t.AppLastReload).Seconds()))
			}
			if t.Last != nil {
				perf = append(perf, fmt.Sprintf("last_duration_seconds=%.1fs;;;0", t.Last.DurationS))
			}
		}
		if l := r.License; l != nil {
			for _, s := range []struct {
				name string
				v    *Seats
			}{{"professional", l.Professional}, {"analyzer", l.Analyzer}} {
				if s.v != nil {
					perf = append(perf, fmt.Sprintf("%s_available=%d;;;0;%d", s.name, s.v.Available, s.v.Total))
				}
			}
			if !l.ValidTo.IsZero() {
				perf = append(perf, fmt.Sprintf("license_days_left=%d;;;", int(l.ValidTo.Sub(r.CheckedAt).Hours()/24)))
			}
		}
		if _, err := fmt.Fprintf(w, "LICMON %s - %s: %s | %s\n", strings.ToUpper(r.Status.String()), r.Site, r.Summary, strings.Join(perf, " ")); err != nil {
			return err
		}
	}
	return nil
}

// WriteText writes the reports for a person: the verdict first, then the
// findings with their evidence and fix, the task, then the failing lines of
// the script log with their context, the connections and the license.
// Task names, script-log lines and errors come from Qlik: termtext strips
// the terminal escapes they may carry.
func WriteText(w io.Writer, reports []*Report) error {
	w = termtext.Writer(w)
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := writeText(w, r); err != nil {
			return err
		}
	}
	return nil
}

func label(s Severity) string { return fmt.Sprintf("%-8s", strings.ToUpper(s.String())) }

func writeText(w io.Writer, r *Report) error {
	fmt.Fprintf(w, "%s %s: %s\n", label(r.Status), r.Site, r.Summary)
	fmt.Fprintf(w, "         %s, checked %s in %s\n", r.Server, r.CheckedAt.Format(time.RFC3339), r.Took.Round(time.Millisecond))

	fmt.Fprintln(w, "\nFindings")
	for _, f := range sortedFindings(r.Findings) {
		app := ""
		if f.App != "" && f.App != LicenseMonitorApp {
			app = "[" + f.App + "] "
		}
		fmt.Fprintf(w, "  %s %s%s\n", label(f.Severity), app, f.Title)
		for _, e := range f.Evidence {
			fmt.Fprintf(w, "           - %s\n", e)
		}
		if f.Hint != "" {
			fmt.Fprintf(w, "           fix: %s\n", f.Hint)
		}
	}

	if t := r.Task; t != nil {
		writeTask(w, t)
	}
	for _, a := range r.Apps {
		if a.App == LicenseMonitorApp || a.Task == nil {
			continue
		}
		fmt.Fprintf(w, "\n%s: %s\n", a.App, strings.ToUpper(a.Status.String()))
		writeTask(w, a.Task)
		writeScriptLog(w, a.ScriptLog)
	}
	writeScriptLog(w, r.ScriptLog)

	if len(r.Connections) > 0 {
		fmt.Fprintln(w, "\nData connections")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  NAME\tHOST\tPORT\tPREFIX\tAUTH")
		for _, c := range r.Connections {
			prefix := c.Prefix
			if prefix == "" {
				prefix = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.Name, c.Host, c.Port, prefix, c.Auth)
		}
		tw.Flush()
	}
	if l := r.License; l != nil {
		fmt.Fprintln(w, "\nLicense")
		line := "  " + l.Model
		if !l.ValidTo.IsZero() {
			line += ", valid to " + l.ValidTo.Format("2006-01-02")
		}
		fmt.Fprintln(w, line)
		for _, s := range []struct {
			name string
			v    *Seats
		}{{"Professional", l.Professional}, {"Analyzer", l.Analyzer}, {"Analyzer capacity (min)", l.CapacityMins}} {
			if s.v != nil {
				fmt.Fprintf(w, "  %-24s %d of %d allocated, %d available\n", s.name, s.v.Allocated, s.v.Total, s.v.Available)
			}
		}
		if l.TokensTotal > 0 {
			fmt.Fprintf(w, "  %-24s %d of %d available\n", "Tokens", l.TokensAvail, l.TokensTotal)
		}
	}
	if r.Fix != nil {
		fmt.Fprintf(w, "\n--fix started the task: %s in %s\n", r.Fix.Status, time.Duration(r.Fix.DurationS*float64(time.Second)).Round(time.Second))
	}
	return nil
}

// sortedFindings lists the worst first, keeping the gathering order otherwise.
func sortedFindings(fs []Finding) []Finding {
	out := make([]Finding, 0, len(fs))
	for _, s := range []Severity{Critical, Unknown, Warning, OK} {
		for _, f := range fs {
			if f.Severity == s {
				out = append(out, f)
			}
		}
	}
	return out
}

func writeTask(w io.Writer, t *TaskInfo) {
	state := "enabled"
	if !t.Enabled {
		state = "DISABLED"
	}
	// Cleaned before %q, which would show an escape as \x1b... text.
	fmt.Fprintf(w, "\nTask %q (app %s), %s\n", termtext.Clean(t.Name), t.App, state)
	for _, tr := range t.Triggers {
		s := fmt.Sprintf("  trigger %q (%s)", termtext.Clean(tr.Name), tr.Kind)
		if !tr.Enabled {
			s += " disabled"
		}
		if tr.EveryText != "" {
			s += ", every " + tr.EveryText
		}
		if !tr.NextExecution.IsZero() {
			s += ", next " + tr.NextExecution.UTC().Format(time.RFC3339)
		}
		fmt.Fprintln(w, s)
	}
	if len(t.Triggers) == 0 {
		fmt.Fprintln(w, "  no triggers")
	}
	if len(t.History) > 0 {
		fmt.Fprintln(w, "  recent runs:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, h := range t.History {
			took := humanDuration(h.Duration)
			if h.Outcome == Running {
				took = "running" // no duration until it ends
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", h.Start.UTC().Format("2006-01-02 15:04"), h.Status, took, h.Node)
		}
		tw.Flush()
	}
}

func writeScriptLog(w io.Writer, sl *ScriptLog) {
	if sl == nil {
		return
	}
	if sl.Diagnosis == nil {
		if sl.Error != "" {
			fmt.Fprintf(w, "\nScript log: %s\n", sl.Error)
		}
		return
	}
	d := sl.Diagnosis
	src := ""
	if sl.Source != "" {
		src = " via " + sl.Source
	}
	fmt.Fprintf(w, "\nScript log (%d bytes%s", sl.Bytes, src)
	if sl.SavedTo != "" {
		fmt.Fprintf(w, ", saved to %s", sl.SavedTo)
	}
	fmt.Fprintln(w, ")")
	WriteDiagnosis(w, d)
}

// WriteDiagnosis writes one script-log diagnosis: outcome, code, where and
// why, the fix, and the failing lines with their context ('>' marks the
// failing ones). The log's text passes through termtext.
func WriteDiagnosis(w io.Writer, d *scriptlog.Diagnosis) {
	w = termtext.Writer(w)
	fmt.Fprintf(w, "  outcome    %s\n", d.Outcome)
	if d.Code != "" && d.Code != "ok" {
		fmt.Fprintf(w, "  diagnosis  %s: %s\n", d.Code, d.Title)
	}
	if d.Statement.ScriptLine > 0 {
		fmt.Fprintf(w, "  line       %d\n", d.Statement.ScriptLine)
	}
	if d.Connection.Name != "" {
		fmt.Fprintf(w, "  connection %s\n", d.Connection.Name)
	}
	if d.Error != "" {
		fmt.Fprintf(w, "  error      %s\n", strings.ReplaceAll(d.Error, "\n", "\n             "))
	}
	if !d.Start.IsZero() {
		layout := "2006-01-02 15:04:05"
		if d.HasZone {
			layout += " -0700"
		}
		fmt.Fprintf(w, "  script     ran for %s, started %s\n", d.Duration.Round(time.Second), d.Start.Format(layout))
	}
	if d.Header.ExecutedBy != "" {
		fmt.Fprintf(w, "  run by     %s\n", d.Header.ExecutedBy)
	}
	if d.Hint != "" {
		fmt.Fprintf(w, "  fix        %s\n", d.Hint)
	}
	if len(d.Context) == 0 {
		return
	}
	failing := FailingLines(d)
	fmt.Fprintln(w)
	for _, l := range d.Context {
		mark := " "
		if failing[l.N] {
			mark = ">"
		}
		num := "    "
		if l.ScriptLine > 0 {
			num = fmt.Sprintf("%04d", l.ScriptLine)
		}
		fmt.Fprintf(w, "  %s %6d %s %s\n", mark, l.N, num, l.Text)
	}
}

// FailingLines returns the physical line numbers of the failing statement
// and of the error messages in a diagnosis's context: the lines every
// presentation of a failure marks (the '>' of the text output, the
// highlighted rows of the dashboard).
func FailingLines(d *scriptlog.Diagnosis) map[int]bool {
	failing := map[int]bool{}
	for n := d.Statement.FirstLine; n > 0 && n < d.Statement.FirstLine+countLines(d.Statement.Text); n++ {
		failing[n] = true
	}
	for _, l := range d.Context {
		if l.Kind == scriptlog.KindMessage && isErrorText(l.Text) {
			failing[l.N] = true
		}
	}
	return failing
}

func countLines(s string) int {
	if s == "" {
		return 0
	}
	return strings.Count(s, "\n") + 1
}

func isErrorText(s string) bool {
	t := strings.TrimSpace(s)
	return strings.HasPrefix(t, "Error:") || strings.HasPrefix(t, "Execution Failed") ||
		strings.Contains(t, "HTTP protocol error") || strings.Contains(t, "Requested resource requires authentication")
}
