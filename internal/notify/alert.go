package notify

import (
	"context"
	"time"
)

// Severity values of [Alert.Severity].
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityOK       = "ok"
)

// Status values of [Alert.Status].
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Alert is one notification about one alert rule on one site. The rules
// fill it; channels only render it.
type Alert struct {
	// Key identifies the alert for deduplication, e.g. "prod/lm-task-failed".
	Key string
	// Site and Rule name the monitored Qlik site and the alert rule.
	Site, Rule string
	// Severity is "critical", "warning" or "ok".
	Severity string
	// Status is "firing" or "resolved".
	Status string
	// Title is a one-line headline; Summary a short paragraph.
	Title   string
	Summary string
	// Details are extra facts, one per line.
	Details []string
	// Diagnosis is the analysis of a failing script log, if any.
	Diagnosis *Diagnosis
	// LogHead and LogTail are the first and last lines of the failing
	// script log; the caller decides how many.
	LogHead, LogTail []string
	// DashboardURL links to the licmon dashboard page of this alert.
	DashboardURL string
	// StartsAt is when the condition began; EndsAt when it resolved.
	StartsAt, EndsAt time.Time
	// Labels are free-form key/value pairs passed through to receivers.
	Labels map[string]string
}

// Diagnosis is the part of a script-log diagnosis worth putting in an alert.
type Diagnosis struct {
	// Code is the classification, e.g. "rest-auth".
	Code string
	// Connection is the data connection in use when the error happened.
	Connection string
	// Line is the script line number of the failing statement (0 = unknown).
	Line int
	// Statement is the failing statement text.
	Statement string
	// Error is the error text from the log.
	Error string
	// Hint tells the admin how to fix it.
	Hint string
}

// Resolved reports whether the alert is a resolution notice.
func (a Alert) Resolved() bool { return a.Status == StatusResolved }

// Notifier delivers an alert over one channel. It is defined here, where
// Send consumes it, and shaped for retries: retry is true only when the same
// call may succeed later (5xx, 429, timeouts, connection refused) and false
// for failures that need a human (4xx, bad configuration, TLS verification).
type Notifier interface {
	// Name identifies the channel in logs and errors, e.g. "slack" or the
	// configured name; it never contains secrets.
	Name() string
	// Notify delivers a once.
	Notify(ctx context.Context, a Alert) (retry bool, err error)
}
