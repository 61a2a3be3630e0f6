package collect

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

// TestSaveEstimateAddsUpCollectionsOfADay: two collections on one day each
// count the users that appeared since the one before, and the stored
// qrs-estimate for the day is their sum; the other sources are kept.
func TestSaveEstimateAddsUpCollectionsOfADay(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "c.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	if err := st.SaveDenials(ctx, "s", license.DenialsFromLogs, []license.DenialDay{{Day: day, Type: license.Professional, Denials: 40}}); err != nil {
		t.Fatal(err)
	}
	full := []license.Counters{{Type: license.Professional, Enabled: true, Total: 10, Allocated: 10}}
	snap := func(at time.Time, ids ...string) *license.Snapshot {
		s := &license.Snapshot{Site: "s", At: at, Counters: full}
		for _, id := range ids {
			s.Users = append(s.Users, license.User{ID: id, Directory: "CORP", UserID: id, Created: at.Add(-time.Hour)})
		}
		return s
	}
	first, second := day.Add(9*time.Hour), day.Add(15*time.Hour)
	if n, err := saveEstimate(ctx, st, "s", day.Add(-18*time.Hour), snap(first, "a", "b")); err != nil || n != 2 {
		t.Fatalf("first collection: %d, %v; want 2", n, err)
	}
	if n, err := saveEstimate(ctx, st, "s", first, snap(second, "c")); err != nil || n != 1 {
		t.Fatalf("second collection: %d, %v; want 1", n, err)
	}
	got, err := st.Denials(ctx, "s", license.Professional, day, day)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Source != license.DenialsFromLogs || got[0].Denials != 40 ||
		got[1].Source != license.DenialsEstimated || got[1].Denials != 3 || got[1].Users != 3 || !got[1].UsersKnown {
		t.Fatalf("stored %+v, want logs 40 kept and qrs-estimate 3 users", got)
	}
}
