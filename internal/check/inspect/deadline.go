package inspect

import (
	"context"
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/qrs"
)

// DefaultFixTimeout is how long Fix waits for the task's run.
const DefaultFixTimeout = 30 * time.Minute

// DeadlineFactor times the site's per-request timeout is the total time a
// check of one site may take. The timeout bounds each silence; a check
// makes about a dozen calls, most of them concurrently, so four silences
// in a row is already a QRS too slow to monitor, and a server dripping its
// answer byte by byte, which no idle timeout ends, ends here.
const DeadlineFactor = 4

// WithDeadline bounds a check of site whose QRS requests time out after
// timeout (0: qrs.DefaultTimeout) to DeadlineFactor × timeout, plus
// DefaultFixTimeout with fix. A deadline of ctx itself (a daemon's job
// timeout) is kept 10% ahead of, so that the check ends first and Run
// returns a report whose UNKNOWN findings say why, instead of being cut off.
func WithDeadline(ctx context.Context, site string, timeout time.Duration, fix bool) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		timeout = qrs.DefaultTimeout
	}
	d := DeadlineFactor * timeout
	why := fmt.Sprintf("%d × --timeout %s", DeadlineFactor, timeout)
	if fix {
		d += DefaultFixTimeout
		why += fmt.Sprintf(" + %s for --fix", DefaultFixTimeout)
	}
	if end, ok := ctx.Deadline(); ok {
		if left := time.Until(end) * 9 / 10; left < d {
			d, why = left, "the job's timeout"
		}
	}
	return qrs.WithDeadline(ctx, d.Round(time.Millisecond), "licmon check of "+site, why)
}
