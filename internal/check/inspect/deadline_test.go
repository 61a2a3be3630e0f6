package inspect

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/licmon/licmon/internal/qrs"
)

// A check ends before the job that runs it, so the daemon records an
// UNKNOWN with the reason instead of dropping a check cut off by the job's
// timeout; on its own it gets DeadlineFactor × the site's timeout. On the
// fake clock of a synctest bubble, so that a loaded machine cannot let the
// job's timeout pass before the check's is seen.
func TestWithDeadline(t *testing.T) {
	synctest.Test(t, testWithDeadline)
}

func testWithDeadline(t *testing.T) {
	before := time.Now()
	ctx, cancel := WithDeadline(context.Background(), "prod", 2*time.Second, false)
	after := time.Now()
	defer cancel()
	if d, ok := ctx.Deadline(); !ok || d.Before(before.Add(8*time.Second-time.Millisecond)) || d.After(after.Add(8*time.Second+time.Millisecond)) {
		t.Fatalf("deadline %s after the call, want 4 × 2s", d.Sub(before))
	}

	job, cancelJob := context.WithTimeout(context.Background(), time.Second)
	defer cancelJob()
	ctx, cancel = WithDeadline(job, "prod", 30*time.Second, false)
	defer cancel()
	<-ctx.Done()
	if job.Err() != nil {
		t.Fatal("the job's timeout ended first: the check would be dropped")
	}
	var de *qrs.DeadlineError
	if !errors.As(context.Cause(ctx), &de) || de.Why != "the job's timeout" || de.What != "licmon check of prod" {
		t.Fatalf("cause %v", context.Cause(ctx))
	}

	before = time.Now()
	ctx, cancel = WithDeadline(context.Background(), "prod", 0, true)
	defer cancel()
	if d, _ := ctx.Deadline(); d.Before(before.Add(DeadlineFactor*qrs.DefaultTimeout + DefaultFixTimeout - time.Millisecond)) {
		t.Fatalf("--fix deadline %s after the call, want 4 × 30s + 30m", d.Sub(before))
	}
}
