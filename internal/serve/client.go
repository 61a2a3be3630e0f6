package serve

import (
	"fmt"
	"log/slog"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/qrs"
)

// QRSClient builds the QRS client of a configured site, as the other
// commands do; it is the usual Options.NewClient.
func QRSClient(version string, log *slog.Logger) func(s config.Site) (Client, error) {
	return func(s config.Site) (Client, error) {
		cfg, err := s.QRS("licmon/"+version, log)
		if err != nil {
			return nil, err
		}
		c, err := qrs.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("site %s: %w", s.Name, err)
		}
		return c, nil
	}
}
