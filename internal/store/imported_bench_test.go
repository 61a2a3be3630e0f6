package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

// history20y is 20 years of daily rows of the five types (36,525 rows).
func history20y() []license.HistoryDay {
	var out []license.HistoryDay
	d0 := time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; ; i++ {
		d := d0.AddDate(0, 0, i)
		if d.Year() == 2026 {
			return out
		}
		n := int64(i)
		out = append(out,
			license.HistoryDay{Day: d, Type: license.Professional, Licensed: 500, Allocated: 100 + n/20, Used: 90 + n/25, UsedKnown: true,
				Quarantined: n % 3, QuarantinedKnown: true, Denied: n % 5, DeniedKnown: true},
			license.HistoryDay{Day: d, Type: license.Analyzer, Licensed: 800, Allocated: 200 + n/15},
			license.HistoryDay{Day: d, Type: license.AnalyzerCapacity, Licensed: 6000, Allocated: (n * 37) % 6000},
			license.HistoryDay{Day: d, Type: license.UserAccess, Licensed: 300, Allocated: 50 + n/40},
			license.HistoryDay{Day: d, Type: license.LoginAccess, Licensed: 100, Allocated: n % 90})
	}
}

// BenchmarkImportHistory20Years: the first import of 36,525 rows (each
// iteration a new site in the same file) and the same rows again, which
// compares them all and writes nothing.
func BenchmarkImportHistory20Years(b *testing.B) {
	rows := history20y()
	ctx := context.Background()
	b.Run("new", func(b *testing.B) {
		s, _ := openTemp(b, store.Options{})
		i := 0
		for b.Loop() {
			res, err := s.ImportHistory(ctx, fmt.Sprintf("site%d", i), rows, store.ImportOptions{})
			if err != nil || res.New != len(rows) {
				b.Fatalf("%+v, %v", res, err)
			}
			i++
		}
	})
	b.Run("again", func(b *testing.B) {
		s, _ := openTemp(b, store.Options{})
		if _, err := s.ImportHistory(ctx, "prod", rows, store.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := s.ImportHistory(ctx, "prod", rows, store.ImportOptions{})
			if err != nil || res.Unchanged != len(rows) {
				b.Fatalf("%+v, %v", res, err)
			}
		}
	})
}
