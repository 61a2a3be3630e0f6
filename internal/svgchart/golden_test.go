package svgchart

import (
	"bytes"
	"testing"

	"github.com/licmon/licmon/internal/golden"
)

func goldenCases() map[string]Chart {
	return map[string]Chart{
		"forecast":      forecastChart(7),
		"reconstructed": reconChart(),
		"gauge-40":      gauge40,
		"gauge-85":      gauge85,
		"gauge-101":     gauge101,
		"empty":         &TimeSeriesChart{Title: "Professional allocated", Thresholds: []Threshold{{Value: 500, Label: "licensed"}}},
		"single-point":  &TimeSeriesChart{Title: "Professional allocated", Series: []Series{{Name: "Professional", Points: []Point{{T: day(2026, 11, 26), V: 42}}}}, Thresholds: []Threshold{{Value: 50, Label: "licensed"}}},
	}
}

func TestGolden(t *testing.T) {
	for name, c := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := c.Render(&b); err != nil {
				t.Fatalf("Render: %v", err)
			}
			golden.Assert(t, name+".svg", b.Bytes())
			if got := string(c.SVG()); got != b.String() {
				t.Error("SVG() and Render() differ")
			}
		})
	}
}
