// Package demand measures the demand a license type could not serve.
//
// When a type sits at its licensed total, allocated seats stop at the total
// while people keep asking for access; the allocated series then measures the
// license, not the need. This package holds the pure logic that puts the
// turned-away demand back into the numbers:
//
//   - Estimate derives access denials from two QRS collections alone (users
//     who appeared without any allocation while the type was full): an
//     estimate, stored under the source license.DenialsEstimated.
//   - Choose picks, per type, the one source a report rests on (logs before
//     import before the estimate: sources are never summed).
//   - Waiting turns the chosen daily counts into the unmet demand still
//     waiting on a day, and Series adds it to the allocated series on the
//     days the type was full: the daily demand series a forecast is fitted to.
//
// The model and its assumptions are documented in docs/FORECASTING.md,
// "Demand at capacity". The package knows nothing of storage, HTTP or the
// terminal.
package demand
