package inspect

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/licmon/licmon/internal/check"
)

// fix starts the task when its last run did not succeed and waits for the
// run. It returns that run (nil when none was started or its end could not
// be read) and the finding that says what --fix did.
func fix(ctx context.Context, c Client, opts Options, r *check.Report, f *taskFacts) (*check.Execution, check.Finding) {
	if f.task == nil {
		return nil, check.Finding{Code: "fix-skipped", Severity: r.Status, Title: "--fix: there is no task to start"}
	}
	if last := f.task.LastExecution(); last != nil && last.Status.IsSuccess() {
		return nil, check.Finding{Code: "fix-skipped", Severity: check.OK, Title: "--fix: the last run succeeded, nothing to start"}
	}
	ctx, cancel := context.WithTimeout(ctx, opts.FixTimeout)
	defer cancel()
	var waited string
	session, err := StartAfterRunning(ctx, c, f.task.ID, 2*time.Second, func(started time.Time) {
		waited = fmt.Sprintf("a run that started %s was going; --fix waited for it to end, then started the task", started.UTC().Format(time.RFC3339))
	})
	if err != nil {
		return nil, check.Finding{Code: "fix-failed", Severity: check.Critical, Title: "--fix: could not start the task", Evidence: []string{err.Error()},
			Hint: "Starting tasks needs the right to update the task (RootAdmin or ContentAdmin)."}
	}
	results, err := c.WaitExecution(ctx, session, 2*time.Second)
	if err != nil || len(results) == 0 {
		msg := "no execution result"
		if err != nil {
			msg = err.Error()
		}
		return nil, check.Finding{Code: "fix-failed", Severity: check.Unknown, Title: "--fix: started the task but could not read how it ended", Evidence: []string{msg}}
	}
	sort.SliceStable(results, func(i, j int) bool { return startOf(&results[i]).After(startOf(&results[j])) })
	x := execution(&results[0].ExecutionResultCondensed)
	fx := check.FixFinding(x)
	if waited != "" {
		fx.Evidence = append([]string{waited}, fx.Evidence...)
	}
	return x, fx
}
