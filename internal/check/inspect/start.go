package inspect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/backoff"
	"github.com/licmon/licmon/internal/qrs"
)

// Starter is what StartAfterRunning needs of the QRS.
type Starter interface {
	ReloadTasks(ctx context.Context, opts qrs.ListOptions) ([]qrs.ReloadTask, error)
	StartTaskSynchronous(ctx context.Context, id string) (string, error)
}

// StartAfterRunning starts the task and returns its execution session. The
// scheduler runs a task once at a time and refuses a start while a run is
// going (a scheduled one, typically): that run began before whatever the
// caller just fixed, so StartAfterRunning waits for it to end, polling every
// poll, and starts the task again. waiting is called once, with the running
// run's start, before the wait. A start refused for another reason (the
// task disabled, no scheduler) returns the refusal as it is.
func StartAfterRunning(ctx context.Context, c Starter, taskID string, poll time.Duration, waiting func(started time.Time)) (string, error) {
	session, err := c.StartTaskSynchronous(ctx, taskID)
	if !errors.Is(err, qrs.ErrTaskNotStarted) {
		return session, err
	}
	refused := err
	for announced := false; ; announced = true {
		last, lerr := lastRun(ctx, c, taskID)
		if lerr != nil {
			return "", fmt.Errorf("%w; and reading whether a run is going failed: %v", refused, lerr)
		}
		if last == nil || last.Status.IsFinished() || last.Status == qrs.StatusNeverStarted {
			if !announced {
				return "", refused // not running: refused for another reason
			}
			return c.StartTaskSynchronous(ctx, taskID)
		}
		if !announced && waiting != nil {
			waiting(last.StartTime.Time)
		}
		if err := backoff.Sleep(ctx, poll); err != nil {
			return "", fmt.Errorf("%w; waited for the run that is going (since %s) until: %v", refused, last.StartTime.Time.UTC().Format(time.RFC3339), err)
		}
	}
}

func lastRun(ctx context.Context, c Starter, taskID string) (*qrs.ExecutionResultCondensed, error) {
	ts, err := c.ReloadTasks(ctx, qrs.ListOptions{Filter: "id eq " + taskID})
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("the task %s is gone", taskID)
	}
	return ts[0].LastExecution(), nil
}
