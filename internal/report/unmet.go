package report

import (
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/demand"
	"github.com/licmon/licmon/internal/license"
)

// UnmetWindowDays is the period the report counts refusals over.
const UnmetWindowDays = 30

// sourceText names a source for a reader, saying what an estimate is.
func sourceText(source string) string {
	switch source {
	case license.DenialsFromLogs:
		return "source: logs, refusals read from the Qlik Sense logs"
	case license.DenialsFromImport:
		return "source: import, imported refusal counts"
	case license.DenialsEstimated:
		return "source: qrs-estimate, an estimate from the QRS of users who appeared without a seat while the type was full"
	}
	return "no source"
}

// unmetType sums one type's refusals per source over the window ending on
// asOf and reads the chosen source's waiting demand on asOf.
func unmetType(tr *TypeReport, days []license.DenialDay, source string, w *demand.Waiting, asOf time.Time) *UnmetType {
	u := &UnmetType{Type: tr.Type, Label: tr.Label, WindowDays: UnmetWindowDays, Sources: []UnmetSource{},
		AtCapacity: tr.Licensed > 0 && tr.Allocated >= tr.Licensed}
	cut := license.Day(asOf).AddDate(0, 0, -UnmetWindowDays)
	per := map[string]*UnmetSource{}
	var last time.Time
	for _, d := range days {
		s := per[d.Source]
		if s == nil {
			s = &UnmetSource{Source: d.Source}
			per[d.Source] = s
		}
		s.Days++
		if d.Day.After(cut) {
			s.Denials += d.Denials
		}
		if d.Source == source && d.Denials > 0 && d.Day.After(last) {
			last = d.Day
		}
	}
	for _, src := range demand.Preference {
		if s := per[src]; s != nil {
			u.Sources = append(u.Sources, *s)
		}
	}
	if source == "" {
		u.Note = "not measured: no access denials are recorded for this type"
		if u.AtCapacity {
			u.Note += "; it is at its licensed total, so demand beyond it is unknown (import the proxy logs to measure it)"
		}
		return u
	}
	src := source
	n := per[source].Denials
	u.Source, u.Estimate, u.Denials, u.LastDay = &src, source == license.DenialsEstimated, &n, ptr(last)
	wv := 0.0
	if u.AtCapacity {
		wv = round1(w.At(asOf))
	}
	u.Waiting = &wv
	u.Note = fmt.Sprintf("%d refusals in the last %d days (%s)", n, UnmetWindowDays, sourceText(source))
	if u.Estimate {
		u.Note += "; an estimate, not measured refusals"
	}
	return u
}

// unmetDemand assembles the report's unmet demand from the types.
func unmetDemand(types []TypeReport) UnmetDemand {
	out := UnmetDemand{Types: []UnmetType{}}
	for _, t := range types {
		if t.Unmet == nil {
			continue
		}
		out.Types = append(out.Types, *t.Unmet)
		if t.Unmet.Source != nil {
			out.Available = true
		}
	}
	if out.Available {
		out.Note = "refusals per type from one source each (logs, then import, then qrs-estimate; never summed); waiting is the demand still unserved today that the plan adds at capacity"
	} else {
		out.Note = "no data: no access denials are recorded (the proxy logs are not imported and no collection saw a user appear without a seat while a type was full), so unmet demand is not measured"
	}
	return out
}
