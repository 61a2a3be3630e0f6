package svgchart

import (
	"slices"
	"testing"
	"time"
)

func TestNiceNumberTicks(t *testing.T) {
	tests := []struct {
		name     string
		lo, hi   float64
		max      int
		want     []float64
		decimals int
	}{
		{"0-7", 0, 7, 7, []float64{0, 1, 2, 3, 4, 5, 6, 7}, 0},
		{"0-7 few", 0, 7, 4, []float64{0, 2, 4, 6, 8}, 0},
		{"0-480", 0, 480, 7, []float64{0, 100, 200, 300, 400, 500}, 0},
		{"0-123456", 0, 123456, 7, []float64{0, 20000, 40000, 60000, 80000, 100000, 120000, 140000}, 0},
		{"0-1e6", 0, 1e6, 5, []float64{0, 200000, 400000, 600000, 800000, 1000000}, 0},
		{"fractions", 0, 1.3, 6, []float64{0, 0.5, 1, 1.5}, 1},
		{"tenths", 0, 0.7, 7, []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}, 1},
		{"from data", 310, 460, 5, []float64{300, 350, 400, 450, 500}, 0},
		{"negative", -30, 40, 7, []float64{-30, -20, -10, 0, 10, 20, 30, 40}, 0},
		{"all zero", 0, 0, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}, 1},
		{"nan", nan(), 5, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := niceNumberTicks(tc.lo, tc.hi, tc.max)
			if !slices.Equal(got.Values, tc.want) || got.Decimals != tc.decimals {
				t.Errorf("ticks = %v (%d decimals), want %v (%d)", got.Values, got.Decimals, tc.want, tc.decimals)
			}
			if got.Lo > tc.lo && finite(tc.lo) || got.Hi < tc.hi && finite(tc.lo) {
				t.Errorf("axis %v..%v does not cover %v..%v", got.Lo, got.Hi, tc.lo, tc.hi)
			}
		})
	}
}

func TestNiceDateTicks(t *testing.T) {
	labels := func(ts []dateTick) []string {
		var out []string
		for _, x := range ts {
			s := x.Label
			if x.Sub != "" {
				s += "/" + x.Sub
			}
			out = append(out, s)
		}
		return out
	}
	tests := []struct {
		name     string
		from, to time.Time
		max      int
		want     []string
	}{
		{"10 days, room for all", day(2026, 11, 16), day(2026, 11, 26), 12,
			[]string{"Nov 16/2026", "Nov 17", "Nov 18", "Nov 19", "Nov 20", "Nov 21", "Nov 22", "Nov 23", "Nov 24", "Nov 25", "Nov 26"}},
		// Two-day ticks are aligned to the epoch, not to the first point, so a daily-refreshed
		// dashboard does not shift every tick by one day each day.
		{"10 days", day(2026, 11, 16), day(2026, 11, 26), 7,
			[]string{"Nov 17/2026", "Nov 19", "Nov 21", "Nov 23", "Nov 25"}},
		{"10 days next day", day(2026, 11, 17), day(2026, 11, 27), 7,
			[]string{"Nov 17/2026", "Nov 19", "Nov 21", "Nov 23", "Nov 25", "Nov 27"}},
		{"10 days across new year", day(2025, 12, 27), day(2026, 1, 6), 7,
			[]string{"Dec 28/2025", "Dec 30", "Jan 1/2026", "Jan 3", "Jan 5"}},
		{"3 months", day(2026, 1, 1), day(2026, 4, 1), 7,
			[]string{"Jan 1/2026", "Jan 15", "Feb 1", "Feb 15", "Mar 1", "Mar 15", "Apr 1"}},
		{"3 months weekly", day(2026, 1, 1), day(2026, 4, 1), 14,
			[]string{"Jan 5/2026", "Jan 12", "Jan 19", "Jan 26", "Feb 2", "Feb 9", "Feb 16", "Feb 23", "Mar 2", "Mar 9", "Mar 16", "Mar 23", "Mar 30"}},
		{"3 years", day(2024, 1, 1), day(2026, 12, 31), 8,
			[]string{"Jan/2024", "Jul", "Jan/2025", "Jul", "Jan/2026", "Jul"}},
		{"3 years quarterly", day(2024, 2, 10), day(2027, 2, 9), 13,
			[]string{"Apr/2024", "Jul", "Oct", "Jan/2025", "Apr", "Jul", "Oct", "Jan/2026", "Apr", "Jul", "Oct", "Jan/2027"}},
		{"20 years", day(2010, 6, 1), day(2030, 6, 1), 8,
			[]string{"2015", "2020", "2025", "2030"}},
		{"within one day", day(2026, 11, 26).Add(time.Hour), day(2026, 11, 26).Add(5 * time.Hour), 7, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := niceDateTicks(tc.from, tc.to, tc.max)
			if !slices.Equal(labels(got), tc.want) {
				t.Errorf("labels = %q, want %q", labels(got), tc.want)
			}
		})
	}
}

func TestNiceNumberTicksConstant(t *testing.T) {
	// A constant series gets a small range around it that includes the value.
	got := niceNumberTicks(42, 42, 4)
	if got.Lo > 42 || got.Hi < 42 || got.Hi <= got.Lo || len(got.Values) < 2 {
		t.Errorf("ticks %v do not frame 42", got.Values)
	}
}

func TestFormatNum(t *testing.T) {
	tests := []struct {
		v    float64
		dec  int
		want string
	}{
		{0, 0, "0"}, {7, 0, "7"}, {480, 0, "480"}, {1000, 0, "1,000"}, {123456, 0, "123,456"},
		{1e6, 0, "1,000,000"}, {-12345.5, 1, "-12,345.5"}, {0.5, 1, "0.5"}, {-0.01, 1, "0.0"},
	}
	for _, tc := range tests {
		if got := formatNum(tc.v, tc.dec); got != tc.want {
			t.Errorf("formatNum(%v, %d) = %q, want %q", tc.v, tc.dec, got, tc.want)
		}
	}
}

func TestAppendCoord(t *testing.T) {
	tests := map[float64]string{0: "0", -0.04: "0", 12.34: "12.3", 12.35: "12.4", -7.25: "-7.3", 100: "100", 0.05: "0.1", -0.5: "-0.5", 1e6: "1000000"}
	for v, want := range tests {
		if got := string(appendCoord(nil, v)); got != want {
			t.Errorf("appendCoord(%v) = %q, want %q", v, got, want)
		}
	}
}
