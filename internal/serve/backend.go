package serve

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/web"
)

// backend adapts the server to web.Backend: everything comes from memory
// except the check history, which is a small indexed read of the store
// after the results still waiting to be stored.
type backend struct{ s *Server }

func (b *backend) site(name string) (*siteState, error) {
	st := b.s.rt.Load().byKey[strings.ToLower(name)]
	if st == nil {
		return nil, fmt.Errorf("%w: %s", web.ErrUnknownSite, name)
	}
	return st, nil
}

func (b *backend) Sites(ctx context.Context) ([]web.SiteInfo, error) {
	rt := b.s.rt.Load()
	out := make([]web.SiteInfo, 0, len(rt.sites))
	for _, st := range rt.sites {
		st.mu.Lock()
		si := web.SiteInfo{Name: st.cfg.Name, Server: st.cfg.DisplayServer(), LastCollect: st.lastCollect, CollectError: st.collectErr}
		if c := st.check; c != nil {
			si.LastCheck, si.Status, si.Summary = c.CheckedAt, c.Status, c.Summary
		} else {
			si.Status = check.Unknown
			si.Summary = "not checked yet"
		}
		st.mu.Unlock()
		out = append(out, si)
	}
	return out, nil
}

func (b *backend) Check(ctx context.Context, site string) (*check.Report, error) {
	st, err := b.site(site)
	if err != nil {
		return nil, err
	}
	return st.latestCheck(), nil
}

func (b *backend) CheckHistory(ctx context.Context, site string, limit int) ([]web.CheckSummary, error) {
	st, err := b.site(site)
	if err != nil {
		return nil, err
	}
	// The results still waiting for the store are the newest: they come
	// first, so the history never misses a check the dashboard shows.
	rows := b.s.checks.pending(st.cfg.Name)
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	if limit <= 0 || len(rows) < limit {
		stored, err := b.s.st.Checks(ctx, st.cfg.Name, limit-len(rows))
		if err != nil {
			return nil, err
		}
		// A result stored between the two reads is in both: keep one.
		for _, c := range stored {
			if !slices.ContainsFunc(rows, func(p store.CheckResult) bool { return p.ID == 0 && p.At.Unix() == c.At.Unix() }) {
				rows = append(rows, c)
			}
		}
	}
	out := make([]web.CheckSummary, 0, len(rows))
	for _, r := range rows {
		cs, err := web.SummarizeCheck(r)
		if err != nil {
			return nil, err
		}
		out = append(out, cs)
	}
	return out, nil
}

func (b *backend) Report(ctx context.Context, site string) (*report.Report, error) {
	st, err := b.site(site)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.report, nil
}

func (b *backend) Alerts(ctx context.Context) ([]web.AlertState, error) {
	var out []web.AlertState
	for _, a := range b.s.engine.Active() {
		out = append(out, web.AlertState{Key: a.Alert.Key, Site: a.Alert.Site, Rule: a.Alert.Rule, Severity: a.Alert.Severity,
			Status: web.AlertFiring, Title: a.Alert.Title, Since: a.Since, LastSent: a.LastSent()})
	}
	for _, r := range b.s.engine.Recent() {
		out = append(out, web.AlertState{Key: r.Alert.Key, Site: r.Alert.Site, Rule: r.Alert.Rule, Severity: "ok",
			Status: web.AlertResolved, Title: r.Alert.Title, Since: r.At, LastSent: r.LastSent})
	}
	return out, nil
}

// Actions returns the site's latest reclaim plans and audited changes.
func (b *backend) Actions(ctx context.Context, site string, limit int) (*web.Actions, error) {
	st, err := b.site(site)
	if err != nil {
		return nil, err
	}
	return web.SummarizeActions(ctx, b.s.st, st.cfg.Name, limit)
}
