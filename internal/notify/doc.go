// Package notify delivers licmon alerts to people and systems.
//
// The alert rules and the scheduler of `licmon serve` build an [Alert] and
// hand it to one or more [Notifier]s through [Send], which retries transient
// failures with exponential backoff. The channels live in sub-packages
// (notify/webhook, notify/slack, notify/teams, notify/email); they all render
// their text from [Render] so that a page, a chat message and an e-mail say
// the same thing in the same order.
//
// Notifier follows the alertmanager contract: Notify reports whether a
// failure is worth retrying (5xx, timeouts, refused connections) or not (4xx,
// bad configuration), so one dead receiver cannot hold the scheduler hostage
// and a typo is reported at once instead of being retried for minutes.
//
// Secrets (webhook URLs carry tokens, SMTP passwords) never appear in errors:
// URLs are reduced to scheme and host by [RedactURL].
package notify
