package reclaim

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/licmon/licmon/internal/csvout"
	"github.com/licmon/licmon/internal/termtext"
)

func dateOrDash(t *time.Time) string {
	if t == nil {
		return "–"
	}
	return t.UTC().Format(time.DateOnly)
}

// WriteText renders the plan for a terminal; limit > 0 shows at most that
// many candidates and exclusions (the totals count them all).
func WriteText(w io.Writer, pl *Plan, limit int) error {
	var b strings.Builder
	id := ""
	if pl.ID != 0 {
		id = fmt.Sprintf(" %d", pl.ID)
	}
	src := pl.Source
	fmt.Fprintf(&b, "Reclaim plan%s for site %s, built %s from %d QRS requests (%d users", id, termtext.Clean(pl.Site), pl.BuiltAt.Format("2006-01-02 15:04 MST"), src.Requests, src.Users)
	for _, t := range pl.Types {
		fmt.Fprintf(&b, ", %d %s", src.Allocations[t], t)
	}
	b.WriteString(" allocations)\n")
	switch src.QuarantineModel {
	case "lef":
		fmt.Fprintf(&b, "License %s: a release of an allocation used in the last 7 days is quarantined until 7 days after that use.\n", src.LicenseKind)
	case "signed-key":
		b.WriteString("Signed license key: a release frees the seat at once (user access passes still quarantine).\n")
	}
	var th []string
	for _, t := range pl.Types {
		th = append(th, string(t)+" "+pl.Inactive[t])
	}
	fmt.Fprintf(&b, "Inactive for at least: %s; at most %d changes per run.\n", strings.Join(th, ", "), pl.Policy.MaxReleases)
	fmt.Fprintf(&b, "Never released: %s.\n\n", strings.Join(pl.Policy.Rules, ", "))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tRELEASE\tFREED NOW\tQUARANTINED\tDOWNGRADE\tEXCLUDED")
	for _, t := range pl.Types {
		x := pl.Totals[t]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", t, x.Candidates, x.FreedNow, x.Quarantined, x.Downgrades, x.Excluded)
	}
	tw.Flush()
	if len(pl.Candidates) > 0 {
		b.WriteString("\nCandidates\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ACTION\tUSER\tTYPE\tLAST USED\tDAYS\tWHY\tEFFECT")
		for i, c := range pl.Candidates {
			if limit > 0 && i == limit {
				fmt.Fprintf(tw, "… %d more\n", len(pl.Candidates)-limit)
				break
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", c.Action, termtext.Clean(c.User), c.Type, dateOrDash(c.LastUsed), c.DaysInactive, c.Why, c.Effect)
		}
		tw.Flush()
	} else {
		b.WriteString("\nNo candidates.\n")
	}
	if len(pl.Excluded) > 0 {
		b.WriteString("\nExcluded\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ACTION\tUSER\tTYPE\tRULE\tDETAIL")
		for i, x := range pl.Excluded {
			if limit > 0 && i == limit {
				fmt.Fprintf(tw, "… %d more\n", len(pl.Excluded)-limit)
				break
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.Action, termtext.Clean(x.User), x.Type, x.Rule, termtext.Clean(x.Detail))
		}
		tw.Flush()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON renders the plan as JSON (null for unknown dates).
func WriteJSON(w io.Writer, pl *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(pl)
}

// CSVHeader are the columns of WriteCSV.
var CSVHeader = []string{"plan_id", "site", "list", "action", "user", "name", "type", "allocation_id", "last_used", "days_inactive", "why_or_rule", "effect_or_detail"}

// WriteCSV writes one row per candidate and per exclusion.
func WriteCSV(w io.Writer, pl *Plan) error {
	cw := csvout.NewWriter(w)
	_ = cw.Write(CSVHeader)
	id := ""
	if pl.ID != 0 {
		id = strconv.FormatInt(pl.ID, 10)
	}
	for _, c := range pl.Candidates {
		lu := ""
		if c.LastUsed != nil {
			lu = c.LastUsed.UTC().Format(time.RFC3339)
		}
		_ = cw.Write([]string{id, termtext.Clean(pl.Site), "candidate", c.Action, termtext.Clean(c.User), termtext.Clean(c.Name), string(c.Type), c.AllocationID, lu,
			strconv.Itoa(c.DaysInactive), c.Why, c.Effect})
	}
	for _, x := range pl.Excluded {
		_ = cw.Write([]string{id, termtext.Clean(pl.Site), "excluded", x.Action, termtext.Clean(x.User), "", string(x.Type), x.AllocationID, "", "", x.Rule, termtext.Clean(x.Detail)})
	}
	return cw.Flush()
}

// Summary is the plan's totals as stored with it.
func (pl *Plan) Summary() map[string]any {
	return map[string]any{"candidates": len(pl.Candidates), "excluded": len(pl.Excluded), "totals": pl.Totals, "types": pl.Types}
}

// ParsePlan reads a plan stored as JSON.
func ParsePlan(b []byte) (*Plan, error) {
	var pl Plan
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&pl); err != nil {
		return nil, fmt.Errorf("read the stored plan: %w", err)
	}
	if pl.Site == "" || len(pl.Types) == 0 || pl.Totals == nil {
		return nil, fmt.Errorf("read the stored plan: it has no site, types or totals")
	}
	for i, c := range pl.Candidates {
		if c.AllocationID == "" || (c.Action != "release" && c.Action != "downgrade") {
			return nil, fmt.Errorf("read the stored plan: candidate %d has no allocation id or an unknown action %q", i+1, c.Action)
		}
		if c.Action == "downgrade" && c.UserGUID == "" {
			return nil, fmt.Errorf("read the stored plan: downgrade candidate %d has no user", i+1)
		}
	}
	return &pl, nil
}
