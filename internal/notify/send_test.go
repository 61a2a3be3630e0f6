package notify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeNotifier returns the queued results in order.
type fakeNotifier struct {
	mu      sync.Mutex
	results []result
	calls   int
	onCall  func(n int)
}

type result struct {
	retry bool
	err   error
}

func (f *fakeNotifier) Name() string { return "fake" }

func (f *fakeNotifier) Notify(ctx context.Context, a Alert) (bool, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	var r result
	if len(f.results) > 0 {
		r, f.results = f.results[0], f.results[1:]
	}
	f.mu.Unlock()
	if f.onCall != nil {
		f.onCall(n)
	}
	return r.retry, r.err
}

var tiny = RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Microsecond, MaxBackoff: 10 * time.Microsecond, MaxElapsed: time.Minute}

func TestSendRetriesThenSucceeds(t *testing.T) {
	boom := errors.New("HTTP 500")
	f := &fakeNotifier{results: []result{{true, boom}, {true, boom}, {false, nil}}}
	if err := Send(t.Context(), f, SampleAlert(time.Now()), tiny); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if f.calls != 3 {
		t.Errorf("calls = %d, want 3", f.calls)
	}
}

func TestSendPermanentErrorNotRetried(t *testing.T) {
	bad := errors.New("HTTP 400 invalid_blocks")
	f := &fakeNotifier{results: []result{{false, bad}, {false, nil}}}
	err := Send(t.Context(), f, SampleAlert(time.Now()), tiny)
	if !errors.Is(err, bad) {
		t.Fatalf("err = %v, want wrapping %v", err, bad)
	}
	var se *SendError
	if !errors.As(err, &se) || se.Attempts != 1 || se.Retryable || se.Channel != "fake" {
		t.Errorf("SendError = %+v, want 1 non-retryable attempt on fake", se)
	}
	if got, want := err.Error(), "notify fake: HTTP 400 invalid_blocks"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if f.calls != 1 {
		t.Errorf("calls = %d, want 1", f.calls)
	}
}

func TestSendGivesUpAfterMaxAttempts(t *testing.T) {
	f := &fakeNotifier{}
	for range 10 {
		f.results = append(f.results, result{true, errors.New("connection refused")})
	}
	p := tiny
	p.MaxAttempts = 3
	err := Send(t.Context(), f, Alert{}, p)
	if err == nil || f.calls != 3 {
		t.Fatalf("err = %v, calls = %d; want error after 3 calls", err, f.calls)
	}
	if want := "notify fake: gave up after 3 attempts: connection refused"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestSendStopsWhenMaxElapsedWouldBeExceeded(t *testing.T) {
	f := &fakeNotifier{results: []result{{true, errors.New("503")}, {false, nil}}}
	p := RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Hour, MaxBackoff: time.Hour, MaxElapsed: time.Minute}
	if err := Send(t.Context(), f, Alert{}, p); err == nil || f.calls != 1 {
		t.Fatalf("err = %v, calls = %d; want error after 1 call (backoff would pass max_elapsed)", err, f.calls)
	}
}

func TestSendHonoursContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	f := &fakeNotifier{onCall: func(n int) {
		if n == 2 {
			cancel()
		}
	}}
	for range 10 {
		f.results = append(f.results, result{true, errors.New("timeout")})
	}
	// A long backoff proves cancellation interrupts the wait as well.
	p := RetryPolicy{MaxAttempts: 10, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxElapsed: time.Hour}
	err := Send(ctx, f, Alert{}, p)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if f.calls != 2 {
		t.Errorf("calls = %d, want 2", f.calls)
	}

	// Cancelled before starting: no attempt at all.
	f2 := &fakeNotifier{}
	if err := Send(ctx, f2, Alert{}, p); !errors.Is(err, context.Canceled) || f2.calls != 0 {
		t.Errorf("pre-cancelled: err = %v, calls = %d", err, f2.calls)
	}
}

func TestSendInterruptsBackoffWait(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	f := &fakeNotifier{results: []result{{true, errors.New("503")}}, onCall: func(int) { cancel() }}
	p := RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Hour, MaxBackoff: time.Hour, MaxElapsed: 10 * time.Hour}
	done := make(chan error, 1)
	go func() { done <- Send(ctx, f, Alert{}, p) }()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

type panicker struct{}

func (panicker) Name() string                                { return "panicky" }
func (panicker) Notify(context.Context, Alert) (bool, error) { panic("nil map") }

func TestSendNeverPanics(t *testing.T) {
	err := Send(t.Context(), panicker{}, Alert{}, tiny)
	if err == nil || !strings.Contains(err.Error(), "notify panicky: notifier panicked: nil map") {
		t.Errorf("err = %v", err)
	}
	if err := Send(t.Context(), nil, Alert{}, tiny); err == nil {
		t.Error("nil notifier: want error")
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	p := RetryPolicy{InitialBackoff: time.Second, MaxBackoff: 8 * time.Second}.withDefaults()
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 9: 8 * time.Second} {
		for range 20 {
			got := p.backoff(attempt)
			if got < want/2 || got > want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", attempt, got, want/2, want)
			}
		}
	}
}
