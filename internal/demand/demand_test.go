package demand

import (
	"fmt"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/license"
)

var prev = time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)

func snapshot(profFull, anaFull bool) *license.Snapshot {
	c := func(typ license.Type, full bool) license.Counters {
		n := int64(100)
		if !full {
			n = 90
		}
		return license.Counters{Type: typ, Enabled: true, Total: 100, Allocated: n, Available: 100 - n}
	}
	return &license.Snapshot{At: prev.Add(30 * time.Hour), Counters: []license.Counters{c(license.Professional, profFull), c(license.Analyzer, anaFull)}}
}

func newUser(id string, created time.Time) license.User {
	return license.User{ID: id, Directory: "CORP", UserID: id, Created: created}
}

// TestEstimateCountsNewUsersWithoutSeat: only users created since the
// previous collection, without an allocation or capacity minutes, count,
// on the day they were created.
func TestEstimateCountsNewUsersWithoutSeat(t *testing.T) {
	s := snapshot(true, false)
	day1, day2 := prev.Add(2*time.Hour), prev.Add(26*time.Hour)
	s.Users = []license.User{
		newUser("new1", day1), newUser("new2", day1), newUser("new3", day2),
		newUser("allocated", day1), newUser("capacity", day2), newUser("old", prev.Add(-time.Hour)),
		newUser("unknown", time.Date(1753, 1, 1, 0, 0, 0, 0, time.UTC)),
		{ID: "svc", Directory: "INTERNAL", UserID: "sa_repository", Created: day1},
		{ID: "blocked", Directory: "CORP", Created: day1, Blocked: true},
		{ID: "inactive", Directory: "CORP", Created: day1, Inactive: true},
	}
	s.Allocations = []license.Allocation{{ID: "a", Type: license.Analyzer, UserGUID: "allocated"}}
	s.Capacity = []license.CapacityUse{{UserGUID: "capacity", Month: license.MonthOf(s.At), Minutes: 6}}
	got := Estimate(prev, s)
	want := "[2026-03-01 professional qrs-estimate 2/2 2026-03-02 professional qrs-estimate 1/1]"
	if g := format(got); g != want {
		t.Fatalf("Estimate = %s, want %s", g, want)
	}
}

// TestEstimateNeedsAFullType: with room in every seat type, a user without
// an allocation was not refused for want of a seat.
func TestEstimateNeedsAFullType(t *testing.T) {
	s := snapshot(false, false)
	s.Users = []license.User{newUser("new", prev.Add(time.Hour))}
	if got := Estimate(prev, s); len(got) != 0 {
		t.Fatalf("Estimate = %s, want nothing", format(got))
	}
	s = snapshot(true, true)
	s.Users = []license.User{newUser("new", prev.Add(time.Hour))}
	if got := format(Estimate(prev, s)); got != "[2026-03-01 analyzer qrs-estimate 1/1]" {
		t.Fatalf("both full: %s, want the user counted once, against Analyzer", got)
	}
	if got := Estimate(time.Time{}, s); len(got) != 0 {
		t.Fatalf("first collection: %s, want nothing", format(got))
	}
}

func TestAddSumsSameDay(t *testing.T) {
	d := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	a := []license.DenialDay{{Day: d, Type: license.Professional, Source: license.DenialsEstimated, Denials: 2, Users: 2, UsersKnown: true}}
	b := []license.DenialDay{{Day: d.Add(5 * time.Hour), Type: license.Professional, Source: license.DenialsEstimated, Denials: 3, Users: 3, UsersKnown: true},
		{Day: d.AddDate(0, 0, 1), Type: license.Professional, Source: license.DenialsEstimated, Denials: 1, Users: 1, UsersKnown: true}}
	if got := format(Add(a, b)); got != "[2026-03-01 professional qrs-estimate 5/5 2026-03-02 professional qrs-estimate 1/1]" {
		t.Fatal(got)
	}
}

func TestChoosePrefersLogsThenImport(t *testing.T) {
	d := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	days := []license.DenialDay{
		{Day: d, Source: license.DenialsEstimated, Denials: 9},
		{Day: d, Source: license.DenialsFromImport, Denials: 5},
		{Day: d.AddDate(0, 0, 1), Source: license.DenialsFromLogs, Denials: 4},
	}
	if src, got := Choose(days); src != license.DenialsFromLogs || len(got) != 1 || got[0].Denials != 4 {
		t.Fatalf("Choose = %s %+v, want logs only", src, got)
	}
	if src, got := Choose(days[:2]); src != license.DenialsFromImport || len(got) != 1 {
		t.Fatalf("Choose = %s %+v, want import", src, got)
	}
	if src, got := Choose(nil); src != "" || got != nil {
		t.Fatalf("Choose(nil) = %q %v", src, got)
	}
}

// TestWaitingModel: estimated users wait 30 days (summed); logged refusals
// count the busiest day of the last 7 (people retry daily).
func TestWaitingModel(t *testing.T) {
	d := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var est, logs []license.DenialDay
	for k := range 10 {
		est = append(est, license.DenialDay{Day: d.AddDate(0, 0, k), Denials: 2, Users: 2, UsersKnown: true})
		logs = append(logs, license.DenialDay{Day: d.AddDate(0, 0, k), Denials: 50, Users: int64(5 + k%3), UsersKnown: true})
	}
	we := NewWaiting(license.DenialsEstimated, est)
	if got := we.At(d.AddDate(0, 0, 9)); got != 20 {
		t.Fatalf("estimate waiting after 10 days = %v, want 20", got)
	}
	if got := we.At(d.AddDate(0, 0, 9+30)); got != 0 {
		t.Fatalf("estimate waiting 30 days after the last = %v, want 0", got)
	}
	wl := NewWaiting(license.DenialsFromLogs, logs)
	if got := wl.At(d.AddDate(0, 0, 9)); got != 7 {
		t.Fatalf("logs waiting = %v, want the busiest day's 7 distinct users", got)
	}
	imp := NewWaiting(license.DenialsFromImport, []license.DenialDay{{Day: d, Denials: 12}})
	if got := imp.At(d.AddDate(0, 0, 3)); got != 12 {
		t.Fatalf("import without users = %v, want the 12 denials", got)
	}
	var nilW *Waiting
	if nilW.At(d) != 0 {
		t.Fatal("nil waiting is not 0")
	}
}

// TestSeriesAddsWaitingOnlyAtCapacity: the plateau plus the waiting users.
func TestSeriesAddsWaitingOnlyAtCapacity(t *testing.T) {
	d := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	pts := []Point{{d, 90, 100}, {d.AddDate(0, 0, 1), 100, 100}, {d.AddDate(0, 0, 2), 100, 100}}
	w := NewWaiting(license.DenialsEstimated, []license.DenialDay{{Day: d, Denials: 3, Users: 3, UsersKnown: true},
		{Day: d.AddDate(0, 0, 2), Denials: 4, Users: 4, UsersKnown: true}})
	if got := fmt.Sprint(Series(pts, w)); got != "[90 103 107]" {
		t.Fatalf("Series = %s", got)
	}
	if got := PlateauStart(pts); got != 1 {
		t.Fatalf("PlateauStart = %d, want 1", got)
	}
	if got := PlateauStart(pts[:1]); got != 1 {
		t.Fatalf("PlateauStart without plateau = %d, want len", got)
	}
}

func format(ds []license.DenialDay) string {
	var s []string
	for _, d := range ds {
		s = append(s, fmt.Sprintf("%s %s %s %d/%d", d.Day.Format(time.DateOnly), d.Type, d.Source, d.Denials, d.Users))
	}
	return fmt.Sprint(s)
}
