package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/backoff"
)

// RetryPolicy bounds how hard [Send] tries. Zero fields take the values of
// [DefaultRetryPolicy]; set MaxAttempts to 1 to disable retries.
type RetryPolicy struct {
	// MaxAttempts is the total number of calls to Notify.
	MaxAttempts int `yaml:"max_attempts"`
	// InitialBackoff is the wait before the second attempt; it doubles
	// after each further attempt, up to MaxBackoff.
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	// MaxBackoff caps a single wait.
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// MaxElapsed stops retrying when the next wait would end later than
	// this after the first attempt started.
	MaxElapsed time.Duration `yaml:"max_elapsed"`
}

// DefaultRetryPolicy suits a check that runs every few minutes: five
// attempts over at most five minutes, so a retry storm never overlaps the
// next check by much.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 5, InitialBackoff: 2 * time.Second, MaxBackoff: time.Minute, MaxElapsed: 5 * time.Minute}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.InitialBackoff <= 0 {
		p.InitialBackoff = d.InitialBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = max(d.MaxBackoff, p.InitialBackoff)
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = d.MaxElapsed
	}
	return p
}

// backoff returns the wait after the given failed attempt (1-based), never
// above MaxBackoff.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	return backoff.Delay(p.InitialBackoff, p.MaxBackoff, attempt)
}

// SendError is returned by [Send] when delivery failed for good.
type SendError struct {
	// Channel is the notifier name.
	Channel string
	// Attempts is how many times Notify was called.
	Attempts int
	// Retryable is the retry verdict of the last attempt: true means the
	// policy or the context ran out, false that the failure is permanent.
	Retryable bool
	// Err is the error of the last attempt.
	Err error
	// Ctx is the context error when the context stopped the retries.
	Ctx error
}

// Error implements error.
func (e *SendError) Error() string {
	switch {
	case e.Ctx != nil && e.Err == nil:
		return fmt.Sprintf("notify %s: %v before the first attempt", e.Channel, e.Ctx)
	case e.Ctx != nil:
		return fmt.Sprintf("notify %s: stopped after %d attempts (%v): %v", e.Channel, e.Attempts, e.Ctx, e.Err)
	case e.Retryable && e.Attempts > 1:
		return fmt.Sprintf("notify %s: gave up after %d attempts: %v", e.Channel, e.Attempts, e.Err)
	default:
		return fmt.Sprintf("notify %s: %v", e.Channel, e.Err)
	}
}

// Unwrap exposes the last attempt's error and the context error to
// errors.Is / errors.As.
func (e *SendError) Unwrap() []error {
	var errs []error
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.Ctx != nil {
		errs = append(errs, e.Ctx)
	}
	return errs
}

// Send delivers a through n, retrying failures that n marks retryable with
// exponential backoff and jitter until policy or ctx runs out. It never
// panics (a panicking notifier becomes a permanent error) and returns nil or
// a *[SendError] naming the channel.
func Send(ctx context.Context, n Notifier, a Alert, policy RetryPolicy) error {
	if n == nil {
		return &SendError{Channel: "<nil>", Err: errors.New("no notifier configured")}
	}
	name := safeName(n)
	if err := ctx.Err(); err != nil {
		return &SendError{Channel: name, Ctx: err}
	}
	p := policy.withDefaults()
	start := time.Now()
	for attempt := 1; ; attempt++ {
		retry, err := safeNotify(ctx, n, a)
		if err == nil {
			return nil
		}
		fail := &SendError{Channel: name, Attempts: attempt, Retryable: retry, Err: err}
		if ctxErr := ctx.Err(); ctxErr != nil {
			fail.Ctx = ctxErr
			return fail
		}
		if !retry || attempt >= p.MaxAttempts {
			return fail
		}
		wait := p.backoff(attempt)
		if time.Since(start)+wait > p.MaxElapsed {
			return fail
		}
		if err := backoff.Sleep(ctx, wait); err != nil {
			fail.Ctx = err
			return fail
		}
	}
}

// Test sends [SampleAlert] through n: the implementation of
// `licmon alert test CHANNEL`.
func Test(ctx context.Context, n Notifier, policy RetryPolicy, now time.Time) error {
	return Send(ctx, n, SampleAlert(now), policy)
}

func safeNotify(ctx context.Context, n Notifier, a Alert) (retry bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			retry, err = false, fmt.Errorf("notifier panicked: %v", r)
		}
	}()
	retry, err = n.Notify(ctx, a)
	return retry, err
}

func safeName(n Notifier) (name string) {
	defer func() {
		if recover() != nil {
			name = fmt.Sprintf("%T", n)
		}
	}()
	return n.Name()
}
