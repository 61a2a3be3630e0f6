// Package backoff owns the wait between retries, for every client that
// retries (the QRS client, alert delivery): exponential steps with "equal
// jitter", so that many licmon instances behind one proxy do not retry in
// lock-step, and a cap that no wait exceeds, jitter included.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Delay returns the wait before retry number attempt (1-based): the step
// initial·2^(attempt-1), capped at limit, and the wait uniformly in
// [step/2, step]. So limit bounds every wait. A non-positive initial gives
// no wait; a limit below initial caps at initial.
func Delay(initial, limit time.Duration, attempt int) time.Duration {
	if initial <= 0 {
		return 0
	}
	limit = max(limit, initial)
	step := initial
	// Doubling in a loop, not by shifting, so a large attempt cannot overflow.
	for i := 1; i < attempt && step < limit; i++ {
		step *= 2
	}
	step = min(step, limit)
	half := step / 2
	if half <= 0 {
		return step
	}
	return half + rand.N(step-half+1)
}

// Sleep waits d, or until ctx is done, whichever comes first; it returns
// ctx's error when the wait was cut short.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
