package termtext

import (
	"reflect"
	"testing"
)

func TestWrap(t *testing.T) {
	for _, c := range []struct {
		text, first, rest string
		width             int
		want              []string
	}{
		{"reclaim 7 Professional and 5 Analyzer, then buy 99", "PLAN: ", "      ", 30,
			[]string{"PLAN: reclaim 7 Professional", "      and 5 Analyzer, then buy", "      99"}},
		{"short", "- ", "  ", 80, []string{"- short"}},
		// A URL longer than the line keeps its own line whole.
		{"see https://example.com/a/very/long/path/that/does/not/fit for it", "", "  ", 20,
			[]string{"see", "  https://example.com/a/very/long/path/that/does/not/fit", "  for it"}},
		{"no  wrap   at all", "x ", "", 0, []string{"x no  wrap   at all"}},
		{"unused ≥ 90 days – ok", "", "", 12, []string{"unused ≥ 90", "days – ok"}},
	} {
		if got := Wrap(c.text, c.width, c.first, c.rest); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", c.text, c.width, got, c.want)
		}
	}
}
