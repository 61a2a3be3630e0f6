package license

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestHistoryDayRoundTrip: a day in the report's terms survives the store's
// terms and back for every type, and Seats reads it as the report does.
func TestHistoryDayRoundTrip(t *testing.T) {
	d := time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC)
	for _, h := range []HistoryDay{
		{Day: d, Type: Professional, Licensed: 100, Allocated: 104, Used: 90, UsedKnown: true, Quarantined: 2, QuarantinedKnown: true},
		{Day: d, Type: Analyzer, Licensed: 50, Allocated: 20, Used: 11, UsedKnown: true, Quarantined: 0, QuarantinedKnown: true},
		{Day: d, Type: AnalyzerCapacity, Licensed: 1200, Allocated: 300},
		{Day: d, Type: UserAccess, Licensed: 40, Allocated: 35, Quarantined: 1, QuarantinedKnown: true},
		{Day: d, Type: LoginAccess, Licensed: 10, Allocated: 4},
	} {
		p := h.Counters()
		if !p.Imported || p.Reconstructed {
			t.Errorf("%s: imported %v reconstructed %v", h.Type, p.Imported, p.Reconstructed)
		}
		if a, l := p.Seats(); a != h.Allocated || l != h.Licensed {
			t.Errorf("%s: Seats() = %d, %d; want %d, %d", h.Type, a, l, h.Allocated, h.Licensed)
		}
		if diff := cmp.Diff(h, HistoryDayOf(p)); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", h.Type, diff)
		}
	}
	// The QRS's own figures for an over-allocated Professional pool.
	p := HistoryDay{Day: d, Type: Professional, Licensed: 100, Allocated: 104}.Counters()
	if p.Total != 100 || p.Allocated != 104 || p.Excess != 4 || p.Available != 0 {
		t.Errorf("professional counters = %+v", p)
	}
}
