package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/store"
)

// Backend is what the dashboard and the API read. `licmon serve` implements
// it over its configuration, its scheduler state and the history store; the
// tests implement it with fixed data. Every method must be cheap enough to
// call on each page view: the expensive work (checks, collections, the report
// model) happens in the background and is cached by the backend.
//
// A method given a site the backend does not know returns an error wrapping
// ErrUnknownSite. "Nothing yet" is not an error: Check returns (nil, nil)
// before the first check and Report returns (nil, nil) before the first
// collection.
type Backend interface {
	// Sites lists the configured sites in display order.
	Sites(ctx context.Context) ([]SiteInfo, error)
	// Check returns the latest check of the site.
	Check(ctx context.Context, site string) (*check.Report, error)
	// CheckHistory returns the site's latest checks, newest first, at most limit.
	CheckHistory(ctx context.Context, site string, limit int) ([]CheckSummary, error)
	// Report returns the site's report model. The backend caches it and
	// should return the same pointer until the data behind it changes: the
	// dashboard caches the charts it draws from a model by its identity.
	Report(ctx context.Context, site string) (*report.Report, error)
	// Alerts returns the state of every alert known since the start,
	// firing ones first.
	Alerts(ctx context.Context) ([]AlertState, error)
}

// ErrUnknownSite is wrapped by Backend errors about a site that is not
// configured; the handler answers 404.
var ErrUnknownSite = errors.New("unknown site")

// SiteInfo is one configured site as the overview lists it.
type SiteInfo struct {
	// Name is the site name from the configuration (used in URLs).
	Name string `json:"name"`
	// Server is the QRS URL.
	Server string `json:"server"`
	// LastCheck is when the latest check ran (zero: none yet); Status and
	// Summary are its verdict.
	LastCheck time.Time      `json:"lastCheck,omitzero"`
	Status    check.Severity `json:"status"`
	Summary   string         `json:"summary,omitempty"`
	// LastCollect is when the latest successful collection ran (zero: none yet).
	LastCollect time.Time `json:"lastCollect,omitzero"`
	// CollectError is the error of the latest collection when it failed.
	CollectError string `json:"collectError,omitempty"`
}

// CheckSummary is one past check in the check history.
type CheckSummary struct {
	At         time.Time      `json:"at"`
	Status     check.Severity `json:"status"`
	Summary    string         `json:"summary"`
	DurationMS int64          `json:"durationMs"`
}

// SummarizeCheck turns a stored check result into a CheckSummary by reading
// the summary fields of its JSON; a backend over the store maps
// store.Checks through it.
func SummarizeCheck(c store.CheckResult) (CheckSummary, error) {
	var j struct {
		CheckedAt  time.Time      `json:"checkedAt"`
		Status     check.Severity `json:"status"`
		Summary    string         `json:"summary"`
		DurationMS int64          `json:"durationMs"`
	}
	if err := json.Unmarshal(c.JSON, &j); err != nil {
		return CheckSummary{}, fmt.Errorf("decode stored check %d of %s: %w", c.ID, c.Site, err)
	}
	at := c.At
	if at.IsZero() {
		at = j.CheckedAt
	}
	return CheckSummary{At: at, Status: j.Status, Summary: j.Summary, DurationMS: j.DurationMS}, nil
}

// Alert statuses of AlertState.Status (the same words as internal/notify).
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// AlertState is the current state of one alert key.
type AlertState struct {
	// Key identifies the alert, e.g. "prod/lm-task-failed".
	Key  string `json:"key"`
	Site string `json:"site"`
	Rule string `json:"rule"`
	// Severity is "critical", "warning" or "ok".
	Severity string `json:"severity"`
	// Status is AlertFiring or AlertResolved.
	Status string `json:"status"`
	// Title is the alert's one-line headline.
	Title string `json:"title,omitempty"`
	// Since is when the current status began.
	Since time.Time `json:"since"`
	// LastSent is when a notification was last delivered (zero: never).
	LastSent time.Time `json:"lastSent,omitzero"`
}
