// Package numtext holds the small rules licmon follows wherever it prints
// a figure: how it is rounded and how the word after a count agrees with
// it. The report, the forecast and the charts share them so that the same
// figure reads the same everywhere.
package numtext

import "math"

// Round1 rounds to one decimal, halves away from zero (2.25 → 2.3,
// -2.25 → -2.3). A value that is not finite (NaN, ±Inf) gives 0, so that
// it never reaches JSON or SVG.
func Round1(v float64) float64 { return round(v, 10) }

// Round2 rounds to two decimals as Round1 does to one.
func Round2(v float64) float64 { return round(v, 100) }

func round(v, scale float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*scale) / scale
}

// Plural returns one when n is 1 and many otherwise: "1 day", "2 days",
// "0 days".
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
