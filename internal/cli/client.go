package cli

import (
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/qrs"
)

// retryBackoff, when positive, replaces the first wait between retries of
// the QRS client's reads and of reclaim's changes (production: the
// defaults of qrs.Config and reclaim.ApplyOptions). Only this package's
// tests set it, once before they start (export_test.go): their fault cases
// count the retries to prove they happen and are bounded, which does not
// need production's seconds of waiting.
var retryBackoff time.Duration

// newClient builds a QRS client for a configured site.
func newClient(e *env, s *config.Site) (*qrs.Client, error) {
	if retryBackoff <= 0 {
		return s.Client(version(), e.log)
	}
	cfg, err := s.QRS("licmon/"+version(), e.log)
	if err != nil {
		return nil, err
	}
	cfg.RetryBackoff = retryBackoff
	c, err := qrs.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("site %s: %w", s.Name, err)
	}
	return c, nil
}
