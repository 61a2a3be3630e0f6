package svgchart

import "time"

// Point is one observation of a series.
type Point struct {
	T time.Time
	V float64
	// Reconstructed marks a value that was not measured on the day but backfilled (for example a
	// lower bound rebuilt from allocation creation dates). Segments touching a reconstructed
	// point are drawn dashed and lighter, with their own legend entry, so a reader can tell
	// measured history from inferred history within one series.
	Reconstructed bool
}

// Style is how a series is drawn.
type Style int

// Series styles.
const (
	// Line is a solid polyline.
	Line Style = iota
	// Area is a line with a translucent fill down to the axis.
	Area
	// Step holds each value until the next point (step-after), for counts that change in jumps.
	Step
	// Dashed is a dashed polyline, for secondary or derived series.
	Dashed
)

// Series is one named line of a TimeSeriesChart. Points need not be sorted; non-finite values
// (NaN, ±Inf) leave a gap.
type Series struct {
	Name   string
	Points []Point
	Style  Style
	// Class is added to the series' elements for the dashboard stylesheet.
	Class string
	// Color overrides the palette colour (any SVG colour, e.g. "#0072B2").
	Color string
}

// Band is the forecast for one day: the point forecast and its prediction interval.
type Band struct {
	T            time.Time
	Mean, Lo, Hi float64
}

// Forecast is a prediction drawn as a translucent interval band with a dashed mean line,
// normally starting where the history ends.
type Forecast struct {
	// Name is the legend text; default "forecast". A forecast with an interval says its level,
	// e.g. "forecast, 80% interval".
	Name  string
	Bands []Band
	// Color defaults to ColorForecast, never the history's colour, so band and history fill
	// stay apart.
	Color string
}

// Threshold is a horizontal reference line across the whole plot. Its legend entry says the
// value ("licensed 500"); no label is drawn on the plot, where it would cross lines. A total that
// changes over time is better drawn as a Step series extended to the horizon.
type Threshold struct {
	Value float64
	// Label is the legend text with the value, e.g. Label "licensed" shows "licensed 500".
	Label string
	Color string
}

// Marker is a vertical line at a date, such as "as of" or a forecast run-out, optionally with a
// shaded span (From–To) such as the run-out's prediction interval. Its label is written above
// the plot, never across a line, and labels that would collide go to another row.
type Marker struct {
	T        time.Time
	Label    string
	From, To time.Time // optional span; both must be set
	Color    string
	// Dot marks the point (T, Value) on the line, such as where the forecast crosses the
	// licensed total.
	Dot   bool
	Value float64
}
