package report

import "github.com/licmon/licmon/internal/numtext"

// The rounding and the count words every licmon output shares.
var (
	round1 = numtext.Round1
	round2 = numtext.Round2
	plural = numtext.Plural
)
