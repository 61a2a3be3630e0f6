package svgchart

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.svg from the current output")

func goldenCases() map[string]Chart {
	return map[string]Chart{
		"forecast":      forecastChart(7),
		"reconstructed": reconChart(),
		"gauge-40":      gauge40,
		"gauge-85":      gauge85,
		"gauge-101":     gauge101,
		"bar":           idleBars(),
		"sparkline":     spark(),
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
			path := filepath.Join("testdata", name+".svg")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run go test ./internal/svgchart -update): %v", err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("%s differs from golden (-want +got):\n%s", path, diff)
			}
			if got := string(c.SVG()); got != b.String() {
				t.Error("SVG() and Render() differ")
			}
		})
	}
}
