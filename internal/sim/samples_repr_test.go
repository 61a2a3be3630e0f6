package sim_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	samplesreq "github.com/licmon/licmon/internal/samples"
	"github.com/licmon/licmon/internal/sim"
)

// TestReprSampleShapes checks that the simulator's task and data-connection
// lists carry every key of the real QRS answers (published as truncated
// Python reprs by qrspy, 2017) with the same JSON types.
func TestReprSampleShapes(t *testing.T) {
	samplesreq.Require(t, samples)
	h := newSite(t, sim.Options{Users: 300}).Handler()
	for file, path := range map[string]string{
		"task_condensed_list.qrspy_2017.TRUNCATED.txt":           "/qrs/task",
		"dataconnection_condensed_list.qrspy_2017.TRUNCATED.txt": "/qrs/dataconnection",
	} {
		t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(samples, "qrs", file))
			if err != nil {
				t.Fatal(err)
			}
			_, text, _ := strings.Cut(string(b), "\n") // the provenance line
			js, err := samplesreq.PythonRepr(text)
			if err != nil {
				t.Fatal(err)
			}
			var want []any
			if err := json.Unmarshal(js, &want); err != nil {
				t.Fatal(err)
			}
			got, ok := getJSON(t, h, path).([]any)
			if !ok || len(got) == 0 {
				t.Fatalf("%s: the simulator answered no list", path)
			}
			// The complete items of the sample (the last one is cut short).
			for _, w := range want[:max(len(want)-1, 1)] {
				compareShape(t, file, w, got[0])
			}
		})
	}
}
