package backoff

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDelayCapHolds(t *testing.T) {
	cases := []struct {
		initial, limit time.Duration
	}{
		{500 * time.Millisecond, 10 * time.Second}, // the QRS client
		{2 * time.Second, time.Minute},             // alert delivery
		{3 * time.Second, 10 * time.Second},        // a cap that is not a power-of-two step
		{time.Nanosecond, 3 * time.Nanosecond},
	}
	for _, c := range cases {
		for attempt := 1; attempt <= 80; attempt++ {
			for range 200 {
				d := Delay(c.initial, c.limit, attempt)
				if d > c.limit {
					t.Fatalf("Delay(%v, %v, %d) = %v: above the cap", c.initial, c.limit, attempt, d)
				}
				if d < c.initial/2 {
					t.Fatalf("Delay(%v, %v, %d) = %v: below half the first step", c.initial, c.limit, attempt, d)
				}
			}
		}
	}
}

func TestDelayGrowsExponentiallyWithEqualJitter(t *testing.T) {
	initial, limit := time.Second, 10*time.Second
	for attempt, step := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: limit, 60: limit} {
		lo, hi := step, time.Duration(0)
		for range 2000 {
			d := Delay(initial, limit, attempt)
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo < step/2 || hi > step {
			t.Errorf("attempt %d: waits in [%v, %v], want within [%v, %v]", attempt, lo, hi, step/2, step)
		}
		// 2000 uniform draws reach both ends of the range within a tenth.
		if lo > step/2+step/10 || hi < step-step/10 {
			t.Errorf("attempt %d: waits in [%v, %v] do not spread over [%v, %v]: no jitter", attempt, lo, hi, step/2, step)
		}
	}
}

func TestDelayDegenerate(t *testing.T) {
	if d := Delay(0, time.Second, 3); d != 0 {
		t.Errorf("no initial backoff: got %v, want 0", d)
	}
	if d := Delay(4*time.Second, time.Second, 1); d > 4*time.Second || d < 2*time.Second {
		t.Errorf("cap below the first step: got %v, want within [2s, 4s]", d)
	}
}

func TestSleepStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on a cancelled context: %v, want context.Canceled", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("Sleep: %v", err)
	}
}
