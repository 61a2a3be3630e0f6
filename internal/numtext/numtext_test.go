package numtext

import (
	"math"
	"testing"
)

func TestRound(t *testing.T) {
	for _, tc := range []struct {
		in, one, two float64
	}{
		{2.25, 2.3, 2.25}, {-2.25, -2.3, -2.25}, {0.05, 0.1, 0.05}, {-0.05, -0.1, -0.05},
		{1.005, 1, 1}, {12.3456, 12.3, 12.35}, {0, 0, 0},
		{math.NaN(), 0, 0}, {math.Inf(1), 0, 0}, {math.Inf(-1), 0, 0},
	} {
		if got := Round1(tc.in); got != tc.one {
			t.Errorf("Round1(%v) = %v, want %v", tc.in, got, tc.one)
		}
		if got := Round2(tc.in); got != tc.two {
			t.Errorf("Round2(%v) = %v, want %v", tc.in, got, tc.two)
		}
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "days", 1: "day", 2: "days", -1: "days"} {
		if got := Plural(n, "day", "days"); got != want {
			t.Errorf("Plural(%d) = %q, want %q", n, got, want)
		}
	}
}
