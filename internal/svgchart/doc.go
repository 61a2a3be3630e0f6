// Package svgchart draws small, self-contained SVG charts on the server: a time-series chart with
// a threshold, a forecast band and markers, and a gauge.
//
// The output is meant to be embedded inline, both in the HTML report that is emailed to managers
// and in the dashboard rendered with html/template. That drives the design:
//
//   - No JavaScript, no external assets, no fonts to load. Hover tooltips use the native SVG
//     <title> element, so they work with scripting disabled.
//   - Every element carries a CSS class (prefixed "sc-") for the dashboard's stylesheet and an
//     inline presentation attribute with a default colour, so the chart also looks right in an
//     email client that drops stylesheets. Presentation attributes have the lowest precedence in
//     CSS, so any stylesheet rule overrides them.
//   - Charts use a viewBox and width="100%" so they scale with their container.
//   - All text is XML-escaped, which is why SVG may return template.HTML: the markup is ours and
//     every caller-supplied string in it has been escaped.
//   - Output is deterministic (no map iteration, coordinates rounded to one decimal) so golden
//     files stay stable.
//   - Degenerate input (no data, one point, all zeros, NaN or Inf, very large counts) renders a
//     sensible chart and never panics; a chart without data says "no data yet".
//
// The package defines its own small input types and depends on nothing but the standard library,
// so callers map forecast or store types onto Point, Band and Marker.
package svgchart
