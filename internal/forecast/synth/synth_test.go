package synth

import (
	"math"
	"slices"
	"testing"
)

func TestGenerateShapesAndLengths(t *testing.T) {
	for _, g := range []Group{Short, Long} {
		ss := Generate(g, 2*len(Shapes), 180, 1)
		seen := map[Shape]int{}
		for _, s := range ss {
			seen[s.Shape]++
			n := len(s.History)
			if g == Short && (n < 45 || n > 90) || g == Long && (n < 240 || n > 600) {
				t.Errorf("%s: %d days of history", s.ID, n)
			}
			if len(s.Future) != 180 {
				t.Errorf("%s: %d days of future, want 180", s.ID, len(s.Future))
			}
			all := slices.Concat(s.History, s.Future)
			flat, weeks := 0, 0
			for i, v := range all {
				if v < 0 || v != math.Trunc(v) {
					t.Fatalf("%s day %d: %v is not a seat count", s.ID, i, v)
				}
				if i >= 7 && i%7 == 0 {
					weeks++
					unchanged := 0
					for j := i - 6; j <= i; j++ {
						if all[j] == all[j-1] {
							unchanged++
						}
					}
					if unchanged >= 2 {
						flat++
					}
				}
			}
			// Weekends are flat: every week has at least two days without a change.
			if flat != weeks {
				t.Errorf("%s: %d of %d weeks have two unchanged days", s.ID, flat, weeks)
			}
		}
		for _, sh := range Shapes {
			if seen[sh] != 2 {
				t.Errorf("%s: shape %s generated %d times, want 2", g, sh, seen[sh])
			}
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	a, b, c := Generate(Long, 8, 30, 5), Generate(Long, 8, 30, 5), Generate(Long, 8, 30, 6)
	for i := range a {
		if !slices.Equal(a[i].History, b[i].History) || !slices.Equal(a[i].Future, b[i].Future) {
			t.Fatalf("series %d differs between two runs with the same seed", i)
		}
	}
	if slices.Equal(a[0].History, c[0].History) {
		t.Error("seeds 5 and 6 gave the same series")
	}
}

func TestDriftMatchesRwf(t *testing.T) {
	// R 4.2.2, forecast 8.20: f <- rwf(c(10, 12, 11, 15, 17), drift = TRUE, h = 2, level = 80)
	// print(cbind(f$mean, f$lower, f$upper), digits = 10)
	//   f$mean     f$lower     f$upper
	// 6  18.75 15.79616959 21.70383041
	// 7  20.50 15.92394561 25.07605439
	f := Drift([]float64{10, 12, 11, 15, 17}, 2, 0.8)
	want := [][3]float64{{18.75, 15.79616959, 21.70383041}, {20.5, 15.92394561, 25.07605439}}
	for k, w := range want {
		if math.Abs(f.Mean[k]-w[0]) > 1e-9 || math.Abs(f.Lo[k]-w[1]) > 1e-7 || math.Abs(f.Hi[k]-w[2]) > 1e-7 {
			t.Errorf("h=%d: %v [%v, %v], want %v", k+1, f.Mean[k], f.Lo[k], f.Hi[k], w)
		}
	}
}

func TestWinklerAndTally(t *testing.T) {
	if got := Winkler(10, 20, 15, 0.2); got != 10 {
		t.Errorf("inside: %v, want the width 10", got)
	}
	if got := Winkler(10, 20, 8, 0.2); got != 30 {
		t.Errorf("2 below: %v, want 10 + 2/0.2·2 = 30", got)
	}
	if got := Winkler(10, 20, 21, 0.2); got != 20 {
		t.Errorf("1 above: %v, want 10 + 2/0.2·1 = 20", got)
	}
	var tl Tally
	tl.Add(100, 90, 110, 100)
	tl.Add(100, 90, 110, 120)
	tl.Add(0, 0, 0, 0)
	if tl.N != 3 || tl.In != 2 || math.Abs(tl.MAPE()-(0+100.0/6)/2) > 1e-9 || tl.MeanWinkler() != (20+120+0)/3.0 {
		t.Errorf("tally %+v: coverage %v MAPE %v Winkler %v", tl, tl.Coverage(), tl.MAPE(), tl.MeanWinkler())
	}
}
