// Package web is the dashboard and JSON API of `licmon serve`: server-side
// HTML (html/template, inline SVG charts from svgchart, one stylesheet and
// one optional script, all embedded in the binary) and a read-only JSON API
// over the same data. It reads everything through the small Backend
// interface, which the daemon implements over its scheduler state and the
// history store; the package itself never touches the store, the QRS or the
// network.
//
// Pages render in well under 100 ms for a 100k-user site because a page only
// reads the backend's cached report model and draws its charts once per model
// (see chartCache); candidate tables show the first rows and link to a full
// CSV download.
//
// # Routes
//
// All paths are relative to Options.BasePath.
//
//	GET /                                   all-sites overview
//	GET /sites/{site}                       one site: health, diagnosis, licenses, candidates, check history
//	GET /sites/{site}/candidates.csv?kind=K full candidate list as CSV (K: reclaim|downgrade|dual|capacity; default reclaim)
//	GET /static/{file}                      style.css, app.js
//	GET /api/v1/openapi.yaml                this API as OpenAPI 3.0
//
// # JSON API
//
// Every answer is application/json; charset=utf-8. Times are RFC 3339 UTC.
// Field names are stable within a version; new fields may appear.
// Field names of the report model are those of internal/report (its
// schemaVersion is echoed), those of the check are those of
// `licmon check --format json`.
//
//	GET /api/v1/sites
//	    {"sites": [{"name", "server", "lastCheck", "status", "summary", "lastCollect", "collectError"}]}
//	    status is the latest check's verdict: "ok", "warning", "critical" or
//	    "unknown" (also before the first check).
//	GET /api/v1/sites/{site}
//	    one element of the list above.
//	GET /api/v1/sites/{site}/check
//	    the latest check, byte for byte what `licmon check --format json` prints
//	    for the site (findings, task, scriptLog.diagnosis with its context lines, …).
//	GET /api/v1/sites/{site}/checks?limit=N
//	    {"site", "checks": [{"at", "status", "summary", "durationMs"}]}, newest first (default 100).
//	GET /api/v1/sites/{site}/licenses
//	    {"schemaVersion", "site", "asOf", "dataAt", "license", "capacity", "unmetDemand",
//	     "types": [{"type", "label", "perUser", "licensed", "allocated", "quarantined", "excess",
//	                "remaining", "usage", "growth30PerMonth", "growth90PerMonth",
//	                "history": [{"day", "allocated", "licensed", "reconstructed", "demand"}]}]}
//	GET /api/v1/sites/{site}/forecast
//	    {"schemaVersion", "site", "asOf", "dataAt", "horizonEnd", "horizonDays", "settings",
//	     "types": [{"type", "label", "licensed", "allocated", "remaining", "growth30PerMonth",
//	                "growth90PerMonth", "forecast": {"status", "reason", "date", "earliest", "latest",
//	                "daysLeft", "probability", "method", "points", "reconstructedPoints", "demand",
//	                "series", "seriesNote", "backtest", "band"}}],
//	     "plan", "whatIf", "capacity", "unmetDemand", "notes"}
//	GET /api/v1/sites/{site}/candidates?kind=K&limit=N&offset=M
//	    {"schemaVersion", "site", "asOf", "kind", "settings", "total", "offset",
//	     "candidates": [{"kind", "userGuid", "directory", "userId", "name", "type", "allocationId",
//	                     "created", "lastUsed", "idleDays", "lastAuthored", "appsOwned", "objectsOwned",
//	                     "dataConnectionsOwned", "minutes", "minutesMonth", "freesAfter", "reason"}]}
//	    Without kind every list is returned ("kind": "all"); total counts before paging.
//	GET /api/v1/sites/{site}/report
//	    the whole report model, as `licmon report --format json` prints it.
//	GET /api/v1/alerts?status=firing|resolved
//	    {"alerts": [{"key", "site", "rule", "severity", "status", "title", "since", "lastSent"}]}
//
// Errors have a status code and a body
//
//	{"status": 404, "code": "unknown-site", "error": "licmon monitors no site named \"x\"", "hint": "Known sites: prod, test. …"}
//
// with code one of unknown-site, no-check (not checked yet), no-history (not
// collected yet), bad-kind, bad-status, bad-parameter, not-found, backend-error.
//
// # Security
//
// Every response carries a Content-Security-Policy that allows only the
// binary's own script, stylesheet and images (and inline style attributes,
// which the SVG charts use to size themselves), frame-ancestors 'none',
// X-Content-Type-Options nosniff and Referrer-Policy no-referrer. All text
// from a site (names, findings, script-log lines) is escaped by html/template.
package web
