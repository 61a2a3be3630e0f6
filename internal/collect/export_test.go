package collect

import (
	"context"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/qrs"
)

// Snapshot reads a snapshot without saving it, for tests that compare an
// incremental read with a full one (prev nil).
func Snapshot(ctx context.Context, src *qrs.Client, site string, now time.Time, prev *Previous) (*license.Snapshot, error) {
	return snapshot(ctx, src, site, now, nil, func() (*Previous, error) { return prev, nil }, nil)
}
