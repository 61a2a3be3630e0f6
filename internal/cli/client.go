package cli

import (
	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/qrs"
)

// newClient builds a QRS client for a configured site.
func newClient(e *env, s *config.Site) (*qrs.Client, error) { return s.Client(version(), e.log) }
