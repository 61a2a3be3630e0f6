package license

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Type
	}{
		{"professional", Professional}, {"Prof", Professional}, {"ANALYZER", Analyzer},
		{"analyzer_capacity", AnalyzerCapacity}, {"capacity", AnalyzerCapacity},
		{"user-access", UserAccess}, {"user", UserAccess}, {" login ", LoginAccess},
	} {
		got, err := ParseType(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseType(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	_, err := ParseType("token")
	if err == nil || err.Error() != `parse license type "token": unknown type (use one of professional, analyzer, analyzer-capacity, user-access, login-access)` {
		t.Errorf("ParseType(token) error = %v", err)
	}
}

func TestTypesLabelsRoundTrip(t *testing.T) {
	want := []string{"Professional", "Analyzer", "Analyzer Capacity (minutes)", "User access passes", "Login access passes"}
	for i, typ := range Types() {
		if typ.Label() != want[i] {
			t.Errorf("%s.Label() = %q, want %q", typ, typ.Label(), want[i])
		}
		back, err := ParseType(string(typ))
		if err != nil || back != typ || !typ.Valid() {
			t.Errorf("round trip %q: %q, %v", typ, back, err)
		}
	}
	if Type("bogus").Valid() {
		t.Error("bogus type reported valid")
	}
}

func d(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestReconstruct(t *testing.T) {
	day := func(s string) time.Time { return d(s + " 00:00") }
	snap := &Snapshot{
		Site: "s", At: d("2026-03-05 10:00"),
		Counters: []Counters{
			{Type: Professional, Enabled: true, Total: 10},
			{Type: Analyzer, Enabled: true, Total: 5},
			{Type: AnalyzerCapacity, Enabled: true, Total: 600},
		},
		Allocations: []Allocation{
			// allocated Mar 1, used Mar 2 23:59 UTC
			{ID: "a1", Type: Professional, UserGUID: "u1", Created: d("2026-03-01 08:00"), LastUsed: d("2026-03-02 23:59")},
			// allocated Mar 3, never used
			{ID: "a2", Type: Professional, UserGUID: "u2", Created: d("2026-03-03 12:00")},
			// allocated before the range: counts from the first day
			{ID: "a3", Type: Analyzer, UserGUID: "u3", Created: d("2026-02-01 00:00"), LastUsed: d("2026-03-02 01:00")},
			// quarantined: allocated Mar 1, last used Mar 2 -> counted Mar 1..2 only
			{ID: "a4", Type: Analyzer, UserGUID: "u4", Created: d("2026-03-01 00:00"), LastUsed: d("2026-03-02 09:00"), Quarantined: true},
			// used today (the collection day): outside the backfill
			{ID: "a5", Type: Analyzer, UserGUID: "u5", Created: d("2026-03-05 01:00"), LastUsed: d("2026-03-05 09:00")},
			// no Created: ignored for Allocated, still active
			{ID: "a6", Type: Professional, UserGUID: "u6", LastUsed: d("2026-03-03 10:00")},
		},
		Capacity: []CapacityUse{
			{UserGUID: "u7", Month: "2026-02", Minutes: 60},
			{UserGUID: "u8", Month: "2026-02", Minutes: 12},
			{UserGUID: "u9", Month: "2026-02", Minutes: 0},
			{UserGUID: "u7", Month: "2026-03", Minutes: 30}, // current month: skipped
		},
	}
	p := func(dd string, typ Type, alloc, active, total int64) DailyCounters {
		return DailyCounters{Day: day(dd), Type: typ, Allocated: alloc, Active: active, Total: total,
			Available: max(total-alloc, 0), Reconstructed: true}
	}
	// from = Feb 28 so the February capacity point (on the month's last
	// day) is in range; a3 already exists on Feb 28. Within a day, points
	// follow Types() order.
	got := Reconstruct(snap, d("2026-02-28 15:00"))
	want := []DailyCounters{
		p("2026-02-28", Professional, 0, 0, 10), p("2026-02-28", Analyzer, 1, 0, 5),
		{Day: day("2026-02-28"), Type: AnalyzerCapacity, Total: 600, Used: 72, Available: 528, Active: 2, Reconstructed: true},
		p("2026-03-01", Professional, 1, 0, 10), p("2026-03-01", Analyzer, 2, 0, 5),
		p("2026-03-02", Professional, 1, 1, 10), p("2026-03-02", Analyzer, 2, 2, 5),
		p("2026-03-03", Professional, 2, 1, 10), p("2026-03-03", Analyzer, 1, 0, 5),
		p("2026-03-04", Professional, 2, 0, 10), p("2026-03-04", Analyzer, 1, 0, 5),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Reconstruct mismatch (-want +got):\n%s", diff)
	}
}

func TestReconstructEdges(t *testing.T) {
	at := d("2026-03-05 10:00")
	for _, tc := range []struct {
		name string
		snap *Snapshot
		from time.Time
		want int
	}{
		{"nil snapshot", nil, time.Time{}, 0},
		{"no data and zero from", &Snapshot{At: at}, time.Time{}, 0},
		{"from after first collection", &Snapshot{At: at, Allocations: []Allocation{{ID: "a", Type: Analyzer, Created: d("2026-01-01 00:00")}}}, at.AddDate(0, 0, 1), 0},
		{"zero from starts at earliest created", &Snapshot{At: at, Allocations: []Allocation{{ID: "a", Type: Analyzer, Created: d("2026-03-02 05:00")}}}, time.Time{}, 3},
		{"QRS never-set sentinels are unknown", &Snapshot{At: at, Allocations: []Allocation{{ID: "a", Type: Analyzer,
			Created: time.Date(1753, 1, 1, 0, 0, 0, 0, time.UTC), LastUsed: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}}}, time.Time{}, 0},
		{"login access never reconstructed", &Snapshot{At: at, Counters: []Counters{{Type: LoginAccess, Enabled: true, Total: 10}}}, d("2026-03-01 00:00"), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Reconstruct(tc.snap, tc.from)
			if len(got) != tc.want {
				t.Fatalf("got %d points, want %d: %+v", len(got), tc.want, got)
			}
			for _, p := range got {
				if !p.Reconstructed || !p.Day.Before(at) {
					t.Errorf("bad point %+v", p)
				}
			}
		})
	}
}
