package report

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/licmon/licmon/internal/csvout"
	"github.com/licmon/licmon/internal/license"
)

// TypeCSVHeader are the columns of WriteCSV, one row per license type.
var TypeCSVHeader = []string{"site", "as_of", "type", "label", "licensed", "allocated", "quarantined", "excess", "remaining",
	"used_7d", "used_30d", "used_90d", "never_used", "unused_30d", "unused_60d", "unused_90d", "new_per_month", "first_time_30d",
	"growth_30d_per_month", "growth_90d_per_month", "forecast_status", "runout_date", "runout_earliest", "runout_latest",
	"runout_probability", "horizon_end", "demand_mean", "demand_hi", "required", "reclaimable", "reclaim", "buy",
	"mape_30d", "mape_90d", "forecast_series", "plan_basis", "unmet_source", "unmet_denials_30d", "unmet_waiting",
	"buy_with_downgrades"}

// CandidateCSVHeader are the columns of WriteCandidatesCSV, one row per user
// and list.
var CandidateCSVHeader = []string{"kind", "user_guid", "directory", "user_id", "name", "type", "allocation_id", "created",
	"last_used", "idle_days", "last_authored", "apps_owned", "objects_owned", "data_connections_owned", "minutes",
	"minutes_month", "frees_after", "reason"}

// WriteCSV writes one row per license type. Like every CSV licmon writes,
// cells that a spreadsheet would run as formulas are neutralised (csvout).
func WriteCSV(w io.Writer, r *Report) error {
	cw := csvout.NewWriter(w)
	_ = cw.Write(TypeCSVHeader)
	lines := map[string]PlanLine{}
	for _, l := range r.Plan.Lines {
		lines[string(l.Type)] = l
	}
	for _, t := range r.Types {
		row := []string{r.Site, r.AsOf.Format(time.DateOnly), string(t.Type), t.Label, itoa(t.Licensed), itoa(t.Allocated),
			itoa(t.Quarantined), itoa(t.Excess), itoa(t.Remaining)}
		if u := t.Usage; u != nil {
			row = append(row, itoa(u.Used7), itoa(u.Used30), itoa(u.Used90), itoa(u.NeverUsed), itoa(u.Unused30), itoa(u.Unused60),
				itoa(u.Unused90), ftoa(u.NewPerMonth), itoa(u.FirstTime30))
		} else {
			row = append(row, "", "", "", "", "", "", "", "", "")
		}
		f := t.Forecast
		row = append(row, optf(t.Growth30PerMonth), optf(t.Growth90PerMonth), f.Status, date(f.Date), date(f.Earliest), date(f.Latest),
			optf(f.Probability), r.HorizonEnd.Format(time.DateOnly))
		if d := f.Demand; d != nil {
			row = append(row, ftoa(d.Mean), optf(d.Hi))
		} else {
			row = append(row, "", "")
		}
		if l, ok := lines[string(t.Type)]; ok {
			row = append(row, itoa(l.Required), itoa(l.Reclaimable), itoa(l.Reclaim), itoa(l.Buy))
		} else {
			row = append(row, "", "", "", "")
		}
		row = append(row, mape(f.Backtest, 30), mape(f.Backtest, 90), f.Series)
		if l, ok := lines[string(t.Type)]; ok {
			row = append(row, l.Basis)
		} else {
			row = append(row, "")
		}
		if u := t.Unmet; u != nil && u.Source != nil {
			row = append(row, *u.Source, itoa(*u.Denials), optf(u.Waiting))
		} else {
			row = append(row, "", "", "")
		}
		row = append(row, downgradeBuy(r.Plan, t.Type))
		_ = cw.Write(row)
	}
	return cw.Flush()
}

// WriteCandidatesCSV writes every candidate list, one row per user and
// list (kind: reclaim, downgrade, dual, capacity).
func WriteCandidatesCSV(w io.Writer, r *Report) error {
	if c := r.Candidates; c.Limit > 0 && c.Sizes() != (CandidateCounts{len(c.Reclaim), len(c.Downgrade), len(c.Dual), len(c.Capacity)}) {
		return fmt.Errorf("the candidate lists of this report were cut to %d entries each; build it with every candidate (Options.CandidateLimit 0, licmon report --candidates)", c.Limit)
	}
	cw := csvout.NewWriter(w)
	_ = cw.Write(CandidateCSVHeader)
	for _, list := range [][]Candidate{r.Candidates.Reclaim, r.Candidates.Downgrade, r.Candidates.Dual, r.Candidates.Capacity} {
		for _, c := range list {
			_ = cw.Write([]string{c.Kind, c.UserGUID, c.Directory, c.UserID, c.Name, string(c.Type), c.AllocationID, date(c.Created),
				date(c.LastUsed), strconv.Itoa(c.IdleDays), date(c.LastAuthored), strconv.Itoa(c.AppsOwned), strconv.Itoa(c.ObjectsOwned),
				strconv.Itoa(c.Connections), itoa(c.Minutes), c.MinutesMonth, date(c.FreesAfter), c.Reason})
		}
	}
	return cw.Flush()
}

// optf writes an unknown number as an empty cell, never as 0.
func optf(v *float64) string {
	if v == nil {
		return ""
	}
	return ftoa(*v)
}

// downgradeBuy is a type's purchase with the downgrade lever, "" without one.
func downgradeBuy(p Plan, typ license.Type) string {
	if p.WithDowngrades == nil {
		return ""
	}
	for _, l := range p.WithDowngrades.Lines {
		if l.Type == typ {
			return itoa(l.Buy)
		}
	}
	return ""
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func date(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

func mape(b *Backtest, days int) string {
	if b == nil {
		return ""
	}
	for _, h := range b.Horizons {
		if h.Days == days && h.N > 0 {
			return ftoa(h.MAPE)
		}
	}
	return ""
}
