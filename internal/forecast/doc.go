// Package forecast predicts when a license type runs out and how much demand to expect at a
// horizon, with intervals that say how sure the prediction is.
//
// The input is a daily series of allocated seats for one license type (Professional, Analyzer,
// user or login access passes). The method is damped-trend exponential smoothing (Holt's linear
// method with an optional damping factor), fitted by minimising one-step-ahead squared error over
// a small parameter grid. Prediction intervals come from simulating future paths with a moving-block
// bootstrap of the in-sample one-step errors, so they reflect the noise the site actually showed
// rather than an assumed distribution. Everything is seeded and deterministic.
//
// The package is pure logic: it knows nothing of HTTP, storage or the terminal. docs/FORECASTING.md
// explains the method, the interval, the backtest and the limits.
package forecast
