// Package report computes and renders `licmon report`: per license type the
// licensed, allocated and used figures, growth, a run-out forecast with its
// interval and backtested error, the purchase or reclaim plan for a horizon,
// what-if reclaim thresholds, downgrade and reclaim candidates, the
// analyzer-capacity month and unmet demand.
//
// Build reads only the license history (never the QRS), through the narrow
// Source interface that the history store satisfies, and returns a Report,
// a plain data model that the report command renders as text, JSON, CSV or
// HTML and that `licmon serve` reuses for its pages and JSON API. Rendering
// never computes: every figure a renderer shows is a field of Report, so the
// outputs cannot disagree. The package imports no storage, SQL or HTTP
// (internal/layering holds it to that).
package report
