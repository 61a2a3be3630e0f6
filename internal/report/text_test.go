package report

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/licmon/licmon/internal/license"
)

// TestTextFits80Columns: the default text report is read in an 80-column
// terminal; a longer line wraps into noise there. Every line of the
// simulated site's report, of a site at capacity with refusals from two
// sources and of a site after one collection (the longest plan wording)
// fits, the plan comes before the figures, and --wide still gives the
// full table.
func TestTextFits80Columns(t *testing.T) {
	capacity := func() *Report {
		st := openStore(t)
		plateau(t, st)
		denials(t, st, license.DenialsEstimated, 50, 70, 2, 2)
		denials(t, st, license.DenialsFromLogs, 100, 20, 10, 30)
		r, err := Build(context.Background(), st, "s", Options{NoBacktest: true, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	once := func() *Report {
		st := openStore(t)
		oneCollection(t, st)
		r, err := Build(context.Background(), st, "s", Options{Seed: 1, IncludeReconstructed: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for name, r := range map[string]*Report{"simulated": simulated(t), "at capacity": capacity(), "one collection": once()} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteText(&b, r); err != nil {
				t.Fatal(err)
			}
			txt := b.String()
			for i, l := range strings.Split(strings.TrimSuffix(txt, "\n"), "\n") {
				if n := utf8.RuneCountInString(l); n > TextWidth {
					t.Errorf("line %d is %d columns, more than %d:\n%s", i+1, n, TextWidth, l)
				}
			}
			plan, types := strings.Index(txt, "PLAN: "), strings.Index(txt, "\nProfessional: ")
			if plan < 0 || types < 0 || plan > types {
				t.Errorf("the plan (at %d) is not above the per-type blocks (at %d):\n%s", plan, types, txt)
			}
			if !strings.Contains(txt, "Professional: demand ") {
				t.Errorf("the needs lack the Professional line:\n%s", txt)
			}

			b.Reset()
			if err := WriteTextWith(&b, r, TextOptions{Wide: true}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "USED 7/30/90D  NEVER USED  UNUSED 30/60/90D  QUARANTINED") {
				t.Errorf("--wide lacks the full table:\n%s", b.String())
			}
		})
	}
}

// TestWordingIsGrammatical: counts agree with their nouns ("1 object",
// never "1 objects") in every output, and the capacity line of the HTML
// report starts its second sentence with a capital letter.
func TestWordingIsGrammatical(t *testing.T) {
	r := simulated(t)
	var js, html bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, r); err != nil {
		t.Fatal(err)
	}
	bad := regexp.MustCompile(`\b1 (apps|objects|data connections|users|refusals)\b`)
	for name, out := range map[string]string{"JSON": js.String(), "HTML": html.String()} {
		if m := bad.FindString(out); m != "" {
			t.Errorf("%s says %q", name, m)
		}
	}
	if !strings.Contains(js.String(), "1 object,") {
		t.Error("the simulated site has no owner of one object: the test does not test the singular")
	}
	if m := regexp.MustCompile(`\(last month [^)]*\)\. [a-z]`).FindString(html.String()); m != "" {
		t.Errorf("HTML capacity line starts a sentence in lower case: %q", m)
	}
}
