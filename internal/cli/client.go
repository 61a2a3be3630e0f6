package cli

import (
	"fmt"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/qrs"
)

// newClient builds a QRS client for a configured site.
func newClient(e *env, s *config.Site) (*qrs.Client, error) {
	cfg, err := s.QRS("licmon/"+version(), e.log)
	if err != nil {
		return nil, err
	}
	c, err := qrs.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("site %s: %w", s.Name, err)
	}
	return c, nil
}
