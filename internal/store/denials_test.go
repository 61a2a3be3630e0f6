package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

func TestDenials(t *testing.T) { forEachBackend(t, testDenials) }

func testDenials(t *testing.T, be backend) {
	s, _ := be.open(t, store.Options{})
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	pro := license.Professional

	// A site may get denials before its first collection (imported history).
	if err := s.SaveDenials(ctx, "prod", license.DenialsFromImport, []license.DenialDay{
		{Day: day(1), Type: pro, Denials: 4},
		{Day: day(2).Add(13 * time.Hour), Type: pro, Denials: 6}, // any time of the day is that day
		{Day: day(2), Type: license.Analyzer, Denials: 1},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveDenials(ctx, "prod", license.DenialsFromLogs, []license.DenialDay{
		{Day: day(2), Type: pro, Denials: 7, Users: 3, UsersKnown: true},
	}); err != nil {
		t.Fatal(err)
	}
	// Saving a source again replaces that source's days and keeps the others.
	if err := s.SaveDenials(ctx, "prod", license.DenialsFromImport, []license.DenialDay{
		{Day: day(1), Type: pro, Denials: 5},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Denials(ctx, "prod", pro, day(1), day(30))
	if err != nil {
		t.Fatal(err)
	}
	want := []license.DenialDay{
		{Day: day(1), Type: pro, Source: "import", Denials: 5},
		{Day: day(2), Type: pro, Source: "import", Denials: 6},
		{Day: day(2), Type: pro, Source: "logs", Denials: 7, Users: 3, UsersKnown: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Denials (-want +got):\n%s", diff)
	}
	if got, _ := s.Denials(ctx, "prod", pro, day(2), day(2)); len(got) != 2 {
		t.Errorf("Denials of one day = %v, want the two sources of Nov 2", got)
	}

	for name, c := range map[string]struct {
		source string
		days   []license.DenialDay
		want   string
	}{
		"unknown source": {"guess", []license.DenialDay{{Day: day(1), Type: pro}}, `unknown source "guess"`},
		"unknown type":   {"logs", []license.DenialDay{{Day: day(1), Type: "seats"}}, `unknown type "seats"`},
		"negative":       {"logs", []license.DenialDay{{Day: day(1), Type: pro, Denials: -1}}, "negative count"},
		"twice":          {"logs", []license.DenialDay{{Day: day(1), Type: pro}, {Day: day(1), Type: pro}}, "twice"},
	} {
		if err := s.SaveDenials(ctx, "prod", c.source, c.days); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to say %q", name, err, c.want)
		}
	}
	if _, err := s.Denials(ctx, "nowhere", pro, day(1), day(2)); !errors.Is(err, store.ErrUnknownSite) {
		t.Errorf("Denials of an unknown site: err = %v, want ErrUnknownSite", err)
	}
}
