package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/licmon/licmon/internal/alert/rules"
	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/reclaim"
	"github.com/licmon/licmon/internal/store"
)

// RuleReclaimRun is the alert every scheduled reclaim run raises.
const RuleReclaimRun = "reclaim-run"

// reclaimScheduled reports whether the config enables serve's scheduled
// reclaim for a site: only when reclaim.schedule.enabled is true and the
// site is named. Otherwise serve never changes a site.
func reclaimScheduled(cfg *config.Config, site string) bool {
	s := cfg.Reclaim.Schedule
	return s.Enabled && slices.ContainsFunc(s.Sites, func(n string) bool { return strings.EqualFold(n, site) })
}

// runReclaim plans the configured policy on a site, saves the plan, applies
// it (re-checked, audited) and raises an alert that says what it did.
func (s *Server) runReclaim(ctx context.Context, rt *runtime, st *siteState) error {
	name := st.cfg.Name
	var rc reclaim.Client = st.client
	sc := rt.cfg.Reclaim.Schedule
	types := sc.Types
	if len(types) == 0 {
		types = []string{"professional", "analyzer"}
	}
	ts, err := reclaim.ParseTypes(strings.Join(types, ","))
	if err != nil {
		return fmt.Errorf("scheduled reclaim of %s: %w", name, err)
	}
	p := reclaim.PolicyFromConfig(rt.cfg.Reclaim)
	now := s.opts.Now()
	in, err := reclaim.Gather(ctx, rc, reclaim.GatherOptions{Types: ts, Now: now})
	if err != nil {
		s.reclaimAlert(name, "", "critical", "Scheduled reclaim could not read the site: nothing was changed", []string{err.Error()})
		return err
	}
	pl := reclaim.Build(in, p, reclaim.Options{Site: name, Types: ts})
	sum, body, err := pl.Record()
	if err != nil {
		return err
	}
	s.writeMu.Lock()
	id, err := s.st.SavePlan(ctx, store.ActionPlan{Site: name, Kind: "reclaim", CreatedAt: pl.BuiltAt, CreatedBy: "licmon serve (scheduled)", Summary: sum, Body: body})
	s.writeMu.Unlock()
	if err != nil {
		return fmt.Errorf("scheduled reclaim of %s: save the plan (nothing was changed): %w", name, err)
	}
	pl.ID = id
	var b [8]byte
	rand.Read(b[:])
	run := hex.EncodeToString(b[:])
	rec := store.NewAuditRun(s.st, name, run, "licmon serve (scheduled)", "reclaim apply", id)
	res, err := reclaim.Apply(ctx, rc, pl, reclaim.ApplyOptions{Policy: p, Rate: rt.cfg.Reclaim.Rate, Retries: rt.cfg.Reclaim.Retries}, rec)
	counts := map[string]int{}
	for _, r := range res {
		counts[r.Result]++
	}
	sev := "warning"
	details := []string{fmt.Sprintf("plan %d: %d candidates, %d excluded", id, len(pl.Candidates), len(pl.Excluded)),
		fmt.Sprintf("%d released, %d skipped, %d failed", counts[reclaim.Released], counts[reclaim.Skipped], counts[reclaim.Failed]+counts[reclaim.Unknown]),
		"audit run " + run + ": licmon reclaim history --site " + name}
	if err != nil {
		sev = "critical"
		details = append(details, err.Error())
	} else if counts[reclaim.Failed]+counts[reclaim.Unknown] > 0 {
		sev = "critical"
	}
	s.reclaimAlert(name, run, sev, fmt.Sprintf("Scheduled reclaim released %d allocation(s) on %s", counts[reclaim.Released], name), details)
	return err
}

// reclaimAlert raises one alert per scheduled run (its key names the run,
// so each run is told; the previous run's alert resolves).
func (s *Server) reclaimAlert(site, run, severity, title string, details []string) {
	if run == "" {
		run = "failed"
	}
	s.engine.Update(site, rules.Result{Rules: []string{RuleReclaimRun}, Firing: []notify.Alert{{
		Key: site + "/" + RuleReclaimRun + "/" + run, Site: site, Rule: RuleReclaimRun, Severity: severity,
		Status: notify.StatusFiring, Title: title, Details: details}}})
}
